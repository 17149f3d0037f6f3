using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight;

/// <summary>
/// Per-key single flights for work that loads many keys in one call. <see cref="DoManyAsync"/> joins the keys
/// already in flight in this group and sends only the missing ones to one call of the work;
/// <see cref="DoAsync"/> and <see cref="DoOrDefaultAsync"/> ask for one key, and with <see cref="BatchWindow"/> set,
/// concurrent single-key calls for different keys are gathered into one call of the work (the DataLoader pattern).
/// Nothing is cached: once a call of the work has completed, its keys leave the group, and the next call for them
/// runs the work again.
/// </summary>
/// <typeparam name="TKey">The key type. It must have value equality (or a comparer that gives it one).</typeparam>
/// <typeparam name="TValue">The type of the values the work produces.</typeparam>
/// <remarks>
/// <para>All members are thread-safe. The rules are in docs/batching.md; in short:</para>
/// <list type="bullet">
/// <item><description>
/// A key is in flight at most once at a time: calls that ask for a key already in flight (from any
/// <see cref="DoManyAsync"/>, <see cref="DoAsync"/> or <see cref="DoOrDefaultAsync"/>) wait for that flight instead of
/// loading the key again.
/// </description></item>
/// <item><description>
/// A fault of a call of the work (it threw, returned a faulted task, or returned <see langword="null"/>) reaches
/// every caller that waits for one of that call's keys, and nobody else.
/// </description></item>
/// <item><description>
/// Cancellation is per caller: a caller's token ends only its own wait. The token passed to a call of the work is
/// cancelled only when nobody waits for any of that call's keys any more.
/// </description></item>
/// </list>
/// </remarks>
public sealed partial class SingleFlightBatchGroup<TKey, TValue>
    where TKey : notnull
{
    /// <summary>Creates an empty group.</summary>
    /// <param name="comparer">
    /// The comparer that decides which keys are equal, or <see langword="null"/> for
    /// <see cref="EqualityComparer{T}.Default"/>.
    /// </param>
    public SingleFlightBatchGroup(IEqualityComparer<TKey>? comparer = null)
    {
        _comparer = comparer ?? EqualityComparer<TKey>.Default;
        _flights = new Dictionary<TKey, Slot>(_comparer);
    }

    /// <summary>
    /// The name of the operation this group serves, reported as the <c>singleflight.operation</c> tag of its metrics and
    /// spans (see <see cref="SingleFlightTelemetry"/>), and named in the messages of the exceptions it creates. Never
    /// put keys or personal data in it: it is a low-cardinality label.
    /// </summary>
    /// <remarks>
    /// A plain setter rather than <c>init</c>, for the reason given on <see cref="SingleFlightGroup{TKey, TValue}.Name"/>.
    /// </remarks>
    public string? Name { get; set; }

    /// <summary>
    /// How long the first single-key call (<see cref="DoAsync"/>, <see cref="DoOrDefaultAsync"/>) of a batch waits for
    /// other single-key calls to join it before the batch is sent to the work. <see cref="TimeSpan.Zero"/> (the default)
    /// turns batching off: each single-key call whose key is not in flight sends its key alone (equal keys are still
    /// coalesced).
    /// </summary>
    /// <remarks>
    /// <para>
    /// The window opens with the first call of a batch and is measured on <see cref="TimeProvider"/>; the batch is sent
    /// when the window ends or when it reaches <see cref="MaxBatchSize"/> keys, whichever comes first. So no call waits
    /// longer than the window for its key to be sent. One timer per open batch, created when the window opens; none
    /// while no batch is open. <see cref="DoManyAsync"/> never waits for a window.
    /// </para>
    /// <para>Batches opened after a change use the new value. A plain setter, not <c>init</c> (see <see cref="Name"/>).</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The value is negative or longer than <see cref="SingleFlightGroup{TKey, TValue}.MaxLifetimeOption"/>
    /// (<see cref="int.MaxValue"/> milliseconds).
    /// </exception>
    public TimeSpan BatchWindow
    {
        get => _batchWindow;
        set
        {
            if (value < TimeSpan.Zero || value > MaxBatchWindow)
            {
                throw new ArgumentOutOfRangeException(nameof(BatchWindow), value, "BatchWindow must be zero (no batching) or positive and at most " + int.MaxValue + " ms.");
            }

            _batchWindow = value;
        }
    }

    /// <summary>
    /// The most keys one call of the work receives, or 0 (the default) for no limit. A batch of single-key calls is sent
    /// as soon as it holds this many keys; the missing keys of a <see cref="DoManyAsync"/> are split into
    /// ceil(n / <see cref="MaxBatchSize"/>) calls of the work, started one after the other without waiting for each other.
    /// </summary>
    /// <remarks>Batches opened after a change use the new value. A plain setter, not <c>init</c> (see <see cref="Name"/>).</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MaxBatchSize
    {
        get => _maxBatchSize;
        set
        {
            if (value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), value, "MaxBatchSize must be zero (no limit) or positive.");
            }

            _maxBatchSize = value;
        }
    }

    /// <summary>
    /// The clock that <see cref="BatchWindow"/> is measured on. Default: <see cref="System.TimeProvider.System"/>. Tests set
    /// a fake one (<c>FakeTimeProvider</c>). Not read while <see cref="BatchWindow"/> is zero.
    /// </summary>
    /// <remarks>A plain setter, not <c>init</c> (see <see cref="Name"/>).</remarks>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set
        {
            ThrowHelper.ThrowIfNull(value, nameof(value));
            _timeProvider = value;
        }
    }

    /// <summary>
    /// The number of keys in flight now: keys whose call of the work is running or whose batch is waiting for its window.
    /// Zero when the group is idle.
    /// </summary>
    /// <remarks>A snapshot for diagnostics: reading it briefly locks the group.</remarks>
    public int InFlightCount
    {
        get
        {
            lock (_lock)
            {
                return _flights.Count;
            }
        }
    }

    /// <summary>
    /// Returns the values of <paramref name="keys"/>: keys already in flight in this group are joined, and the distinct
    /// missing keys are sent to one call of <paramref name="work"/> (or ceil(n / <see cref="MaxBatchSize"/>) calls when
    /// that is set). Never waits for <see cref="BatchWindow"/>.
    /// </summary>
    /// <param name="keys">
    /// The keys. Duplicates are allowed (each key is loaded once and appears once in the result). Enumerated once,
    /// synchronously, before this method returns.
    /// </param>
    /// <param name="work">
    /// The work that loads the missing keys. It receives them distinct, and a token that is cancelled only when nobody
    /// waits for any of them any more. Not called when every key is already in flight, nor for empty input.
    /// </param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>
    /// A dictionary (using the group's comparer) with every requested key that its call of the work returned; keys that
    /// the work did not return are absent. Empty input completes synchronously with an empty dictionary.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="keys"/>, one of its elements, or <paramref name="work"/> is null.</exception>
    /// <exception cref="OperationCanceledException">This caller's <paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">
    /// A call of the work for one of the keys returned <see langword="null"/> instead of a dictionary; or this call was made
    /// from inside the synchronous part of the work that loads one of its keys (it would wait for itself forever).
    /// </exception>
    /// <remarks>
    /// When several calls of the work serve one caller (keys joined from other callers' calls, or a split by
    /// <see cref="MaxBatchSize"/>) and one of them faults, the caller receives that fault (the first one, if several
    /// fault); the values of the others are dropped for this caller.
    /// </remarks>
    public ValueTask<IReadOnlyDictionary<TKey, TValue>> DoManyAsync(
        IEnumerable<TKey> keys,
        SingleFlightBatchWork<TKey, TValue> work,
        CancellationToken cancellationToken = default)
    {
        ThrowHelper.ThrowIfNull(keys, nameof(keys));
        ThrowHelper.ThrowIfNull(work, nameof(work));
        return DoManyCore(keys, work, cancellationToken);
    }

    /// <summary>
    /// Returns the value of <paramref name="key"/>: joins its flight if the key is in flight in this group; otherwise
    /// adds it to the open batch (with <see cref="BatchWindow"/> set) or sends it alone to <paramref name="work"/>.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="work">
    /// The work. A batch of single-key calls is sent to the work of the call that opened it; later calls' work is not
    /// used for that batch.
    /// </param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The key's value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="KeyNotFoundException">
    /// The call of the work that loaded the key did not return it. The message names the operation (<see cref="Name"/>),
    /// never the key.
    /// </exception>
    /// <exception cref="OperationCanceledException">This caller's <paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">
    /// The call of the work returned <see langword="null"/> instead of a dictionary; or this call was made from inside the
    /// synchronous part of the work that loads the key.
    /// </exception>
    public ValueTask<TValue> DoAsync(
        TKey key,
        SingleFlightBatchWork<TKey, TValue> work,
        CancellationToken cancellationToken = default)
    {
        ThrowHelper.ThrowIfNull(key, nameof(key));
        ThrowHelper.ThrowIfNull(work, nameof(work));
        return DoOneCore(key, work, cancellationToken, throwIfMissing: true)!;
    }

    /// <summary>
    /// Like <see cref="DoAsync"/>, but returns <see langword="default"/> when the call of the work that loaded the key did
    /// not return it (for a work whose declared result is nullable: "not found" is <see langword="null"/>).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="work">The work (see <see cref="DoAsync"/> for whose work a batch uses).</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The key's value, or <see langword="default"/> when the work did not return the key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="OperationCanceledException">This caller's <paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">
    /// The call of the work returned <see langword="null"/> instead of a dictionary; or this call was made from inside the
    /// synchronous part of the work that loads the key.
    /// </exception>
    public ValueTask<TValue?> DoOrDefaultAsync(
        TKey key,
        SingleFlightBatchWork<TKey, TValue> work,
        CancellationToken cancellationToken = default)
    {
        ThrowHelper.ThrowIfNull(key, nameof(key));
        ThrowHelper.ThrowIfNull(work, nameof(work));
        return DoOneCore(key, work, cancellationToken, throwIfMissing: false);
    }
}
