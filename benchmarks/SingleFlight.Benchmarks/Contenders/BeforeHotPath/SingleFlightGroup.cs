// A frozen copy of src/Runtime as it was on main before issue 19's hot-path work (the group, its telemetry hooks
// and helpers, renamed). It runs side by side with the current runtime in the same BenchmarkDotNet run, so before and
// after are measured under one machine load. Not maintained: benchmark use only.
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Benchmarks.Contenders.BeforeHotPath;

/// <summary>
/// Collapses concurrent calls with equal keys into one execution: the first caller (the leader) runs the
/// work; callers that arrive while it is in flight (joiners) receive the same result. Nothing is cached:
/// once a flight ends, the next call for its key runs the work again (unless <see cref="ShareFor"/> keeps a successful
/// flight's value for a short window). <see cref="Deadline"/> bounds how long a flight may run.
/// </summary>
/// <typeparam name="TKey">The key type. It must have value equality (or a comparer that gives it one).</typeparam>
/// <typeparam name="TValue">The type of the value the work produces.</typeparam>
/// <remarks>
/// <para>All members are thread-safe.</para>
/// <para>
/// Cancellation is per caller: a caller's token ends only that caller's wait. The token passed to the work is
/// cancelled only when every caller of the flight has cancelled; the flight then leaves the group at once,
/// and the next caller starts a new one.
/// </para>
/// <para>
/// Exceptions are shared, not cached: every caller of a faulted flight observes the same exception, and the
/// next call runs the work again.
/// </para>
/// </remarks>
public sealed partial class BeforeHotPathGroup<TKey, TValue>
    where TKey : notnull
{
    /// <summary>Creates an empty group.</summary>
    /// <param name="comparer">
    /// The comparer that decides which keys are equal, or <see langword="null"/> for
    /// <see cref="EqualityComparer{T}.Default"/>.
    /// </param>
    public BeforeHotPathGroup(IEqualityComparer<TKey>? comparer = null)
    {
        // null stands for EqualityComparer<TKey>.Default, whose calls the JIT devirtualizes for value types.
        _comparer = comparer is null || ReferenceEquals(comparer, EqualityComparer<TKey>.Default) ? null : comparer;
        _table = new Table(InitialBuckets);
    }

    /// <summary>
    /// The name of the operation this group serves, reported as the <c>singleflight.operation</c> tag of its
    /// metrics and spans (see <see cref="BeforeHotPathTelemetry"/>). Generated methods use
    /// <c>Namespace.Type.Method</c>. Never put keys or personal data in it: it is a low-cardinality label.
    /// </summary>
    /// <remarks>
    /// Set it where the group is created (<c>new() { Name = "..." }</c>); flights that start after a change report the
    /// new name. It has a plain setter rather than <c>init</c> on purpose: an <c>init</c> setter is compiled to a different
    /// signature in this assembly's netstandard2.0 and net8.0 builds, so a netstandard2.0 library that names its group
    /// would fail with <see cref="MissingMethodException"/> in an app that loads the net8.0 build.
    /// </remarks>
    public string? Name { get; set; }

    /// <summary>
    /// The number of flights running now. Zero when the group is idle. Values kept for <see cref="ShareFor"/> are not
    /// flights and are not counted.
    /// </summary>
    /// <remarks>A snapshot for diagnostics: reading it briefly locks the whole group.</remarks>
    public int InFlightCount
    {
        get
        {
            lock (_slowLock)
            {
                return _table.Count(includeKept: false);
            }
        }
    }

    /// <summary>Called with the key each time a caller joins a running flight. A seam for tests.</summary>
    internal Action<TKey>? JoinedHook { get; set; }

    /// <summary>
    /// Runs <paramref name="work"/> for <paramref name="key"/>, or joins the flight already running for an
    /// equal key and returns its result.
    /// </summary>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="work">
    /// The work. It receives the flight's token, which is cancelled only when every caller of the flight has
    /// cancelled.
    /// </param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The flight's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="OperationCanceledException">This caller's <paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">
    /// The call was made from inside the synchronous part of the work of the flight for the same key.
    /// </exception>
    public ValueTask<TValue> DoAsync(
        TKey key,
        Func<CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken = default)
    {
        ThrowHelper.ThrowIfNull(work, nameof(work));
        return DoAsync(key, work, static (w, ct) => w(ct), cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="work"/> with <paramref name="state"/> for <paramref name="key"/>, or joins the
    /// flight already running for an equal key and returns its result. Passing state lets the caller use a
    /// static lambda, so the call allocates no closure.
    /// </summary>
    /// <typeparam name="TState">The type of the state passed to the work.</typeparam>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="state">The state passed to <paramref name="work"/> when this caller leads the flight.</param>
    /// <param name="work">
    /// The work. It receives the flight's token, which is cancelled only when every caller of the flight has
    /// cancelled.
    /// </param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The flight's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="OperationCanceledException">This caller's <paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">
    /// The call was made from inside the synchronous part of the work of the flight for the same key.
    /// </exception>
    public ValueTask<TValue> DoAsync<TState>(
        TKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken = default)
        => Start(key, state, work, cancellationToken, out _);

    /// <summary>
    /// Like <see cref="DoAsync{TState}(TKey, TState, Func{TState, CancellationToken, ValueTask{TValue}}, CancellationToken)"/>,
    /// and also tells whether this caller joined a flight that another caller led.
    /// </summary>
    /// <typeparam name="TState">The type of the state passed to the work.</typeparam>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="state">The state passed to <paramref name="work"/> when this caller leads the flight.</param>
    /// <param name="work">The work; it receives the flight's token.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The flight's result, and whether it was shared with this caller by another caller's flight.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="OperationCanceledException">This caller's <paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">
    /// The call was made from inside the synchronous part of the work of the flight for the same key.
    /// </exception>
    public ValueTask<SingleFlightResult<TValue>> DoWithResultAsync<TState>(
        TKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken = default)
    {
        var pending = Start(key, state, work, cancellationToken, out var shared);
        if (pending.IsCompletedSuccessfully)
        {
            return new ValueTask<SingleFlightResult<TValue>>(new SingleFlightResult<TValue>(pending.Result, shared));
        }

        // Not an async method: one would turn an OperationCanceledException that the work threw on its own (a fault
        // of the flight) into a cancellation of this caller's task alone (rule 9).
        return new ValueTask<SingleFlightResult<TValue>>(ResultRelay.Start(pending.AsTask(), shared, cancellationToken));
    }

    /// <summary>
    /// Detaches the flight running for <paramref name="key"/>, if any, so that the next call for that key starts
    /// a new flight. Callers already waiting for the detached flight still receive its result. A value kept for
    /// <see cref="ShareFor"/> is dropped the same way.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> if a flight was running (or a value was kept) for <paramref name="key"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    public bool Forget(TKey key)
    {
        ThrowHelper.ThrowIfNull(key, nameof(key));
        var hash = GetHash(key);
        while (true)
        {
            var flight = Find(key, hash);
            if (flight is null)
            {
                return false;
            }

            if (RemoveIfPresent(flight))
            {
                return true;
            }

            // The flight left the map between the lookup and the removal: look again.
        }
    }
}
