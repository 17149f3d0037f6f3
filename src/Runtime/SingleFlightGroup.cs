using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight;

/// <summary>
/// Collapses concurrent calls with equal keys into one execution: the first caller (the leader) runs the
/// work; callers that arrive while it is in flight (joiners) receive the same result. Nothing is cached:
/// once a flight ends, the next call for its key runs the work again.
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
public sealed class SingleFlightGroup<TKey, TValue>
    where TKey : notnull
{
    // The map of running flights is a hash table of chains threaded through the flights themselves
    // (Flight.Next), so starting a flight allocates the flight and nothing else. The uncontended path takes no
    // lock: a flight is published with one compare-and-swap on its bucket's head and, when it ends alone in its
    // bucket, unpublished with another. The rules that make that safe:
    //   - A bucket's head changes only by CAS; a chain is only ever extended at its head.
    //   - Next fields of published flights change only under _slowLock (removal of a flight that is not alone
    //     in its bucket, and resizing). So a flight that is the head with Next == null can be removed by a CAS
    //     of the head to null: nobody can have linked a successor to it without changing the head first.
    //   - An insert CASes the head it read before walking the chain; if no insert happened since (the head is
    //     unchanged) no flight for the key can have appeared in the chain, and removals only shorten it.
    //     (Head ABA — a newer flight inserted and removed again — is harmless: the chain still holds no flight
    //     for the key.) A flight is published at most once, so no removed flight ever comes back.
    //   - Resizing (under _slowLock) freezes every old bucket by CASing its head to s_moved, relinks the frozen
    //     chains into the new table and then publishes it. Any CAS on a frozen bucket fails; whoever sees
    //     s_moved waits on _slowLock for the new table. A lookup that walks a chain while it is being relinked
    //     may miss a flight, but it then tries to insert into (or re-checks) the frozen bucket and retries.
    private static readonly Flight s_moved = new(default!, 0, cancellable: false);

    private const int InitialBuckets = 8;
    private const int MaxBuckets = 1 << 30;

    // A chain this long makes an insert consider growing the table.
    private const int LongChain = 4;

    private readonly IEqualityComparer<TKey>? _comparer;
    private readonly object _slowLock = new();
    private volatile Table _table;

    /// <summary>Creates an empty group.</summary>
    /// <param name="comparer">
    /// The comparer that decides which keys are equal, or <see langword="null"/> for
    /// <see cref="EqualityComparer{T}.Default"/>.
    /// </param>
    public SingleFlightGroup(IEqualityComparer<TKey>? comparer = null)
    {
        // null stands for EqualityComparer<TKey>.Default, whose calls the JIT devirtualizes for value types.
        _comparer = comparer is null || ReferenceEquals(comparer, EqualityComparer<TKey>.Default) ? null : comparer;
        _table = new Table(InitialBuckets);
    }

    /// <summary>
    /// The name of the operation this group serves, reported as the <c>singleflight.operation</c> tag of its
    /// metrics and spans (see <see cref="SingleFlightTelemetry"/>). Generated methods use
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
    /// The number of flights running now. Zero when the group is idle.
    /// </summary>
    /// <remarks>A snapshot for diagnostics: reading it briefly locks the whole group.</remarks>
    public int InFlightCount
    {
        get
        {
            lock (_slowLock)
            {
                return _table.Count();
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
    /// Runs <paramref name="work"/> for <paramref name="key"/> on the calling thread, or blocks until the
    /// flight already running for an equal key ends and returns its result.
    /// </summary>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="work">The work.</param>
    /// <returns>The flight's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The call was made from inside the work of the flight for the same key, on the same thread.
    /// </exception>
    /// <remarks>
    /// A blocking caller that joins a flight started by <c>DoAsync</c> blocks its thread until that
    /// asynchronous work ends. Use one path per key.
    /// </remarks>
    public TValue Do(TKey key, Func<TValue> work)
    {
        ThrowHelper.ThrowIfNull(work, nameof(work));
        return Do(key, work, static w => w());
    }

    /// <summary>
    /// Runs <paramref name="work"/> with <paramref name="state"/> for <paramref name="key"/> on the calling
    /// thread, or blocks until the flight already running for an equal key ends and returns its result.
    /// </summary>
    /// <typeparam name="TState">The type of the state passed to the work.</typeparam>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="state">The state passed to <paramref name="work"/> when this caller leads the flight.</param>
    /// <param name="work">The work.</param>
    /// <returns>The flight's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// The call was made from inside the work of the flight for the same key, on the same thread.
    /// </exception>
    public TValue Do<TState>(TKey key, TState state, Func<TState, TValue> work)
    {
        ThrowHelper.ThrowIfNull(key, nameof(key));
        ThrowHelper.ThrowIfNull(work, nameof(work));

        var hash = GetHash(key);
        while (true)
        {
            var existing = FindOrAdd(key, hash, cancellable: false, out var flight);
            if (existing is not null)
            {
                if (ReentrancyGuard.IsRunningOnThisThread(existing))
                {
                    throw ReentrancyGuard.CreateException(key);
                }

                if (existing.TryJoin(cancellable: false))
                {
                    JoinedHook?.Invoke(key);
                    return WaitBlocking(existing);
                }

                RemoveIfPresent(existing);
                continue;
            }

            TValue result;
            var observation = SingleFlightTelemetry.FlightObserved ? FlightObservation.Begin(Name) : default;
            flight.Span = observation.Activity;
            var outer = ReentrancyGuard.Enter(flight);
            try
            {
                result = work(state);
            }
            catch (Exception ex)
            {
                observation.End(ex);
                flight.Fail(this, ex);
                SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Faulted, ex);
                throw;
            }
            finally
            {
                ReentrancyGuard.Exit(outer);
            }

            observation.End(null);
            flight.Succeed(this, result);
            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Led);
            return result;
        }
    }

    /// <summary>
    /// Detaches the flight running for <paramref name="key"/>, if any, so that the next call for that key starts
    /// a new flight. Callers already waiting for the detached flight still receive its result.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> if a flight was running for <paramref name="key"/>.</returns>
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

    private ValueTask<TValue> Start<TState>(
        TKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken,
        out bool shared)
    {
        ThrowHelper.ThrowIfNull(key, nameof(key));
        ThrowHelper.ThrowIfNull(work, nameof(work));
        shared = false;

        if (cancellationToken.IsCancellationRequested)
        {
            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Cancelled);
            return new ValueTask<TValue>(Task.FromCanceled<TValue>(cancellationToken));
        }

        var hash = GetHash(key);
        while (true)
        {
            var existing = FindOrAdd(key, hash, cancellationToken.CanBeCanceled, out var flight);
            if (existing is not null)
            {
                if (ReentrancyGuard.IsRunningOnThisThread(existing))
                {
                    return new ValueTask<TValue>(Task.FromException<TValue>(ReentrancyGuard.CreateException(key)));
                }

                if (existing.TryJoin(cancellationToken.CanBeCanceled))
                {
                    JoinedHook?.Invoke(key);
                    shared = true;
                    return Wait(existing, cancellationToken, led: false);
                }

                // The flight ended (or every caller left it) and is on its way out of the map: help it out,
                // then start a new one.
                RemoveIfPresent(existing);
                continue;
            }

            return Lead(flight, state, work, cancellationToken);
        }
    }

    private ValueTask<TValue> Lead<TState>(
        Flight flight,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken)
    {
        var observation = SingleFlightTelemetry.FlightObserved ? FlightObservation.Begin(Name) : default;
        flight.Span = observation.Activity;

        ValueTask<TValue> pending;
        var outer = ReentrancyGuard.Enter(flight);
        try
        {
            pending = work(state, flight.WorkToken);
        }
        catch (Exception ex)
        {
            // A synchronous throw is the same failure as an asynchronous one: shared, then forgotten.
            pending = new ValueTask<TValue>(Task.FromException<TValue>(ex));
        }
        finally
        {
            ReentrancyGuard.Exit(outer);
            observation.WorkInvoked();
        }

        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            observation.End(null);
            flight.Succeed(this, result);
            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Led);
            return new ValueTask<TValue>(result);
        }

        // The leader waits on the flight's completion like a joiner, whether or not its token can cancel: every
        // caller then observes one task's outcome (rule 9). Awaiting the work in an async helper and returning the
        // helper's task would not do: an async method that ends with an OperationCanceledException the work threw
        // on its own completes as Canceled, while the completion (and so every joiner) is Faulted with it.
        flight.ExpectWaiters();
        _ = CompleteAsync(this, flight, pending, observation);
        return Wait(flight, cancellationToken, led: true);
    }

    // Awaits the work and publishes its outcome to the flight's completion. Nobody awaits the helper itself: callers
    // only ever see the completion's task, so no misuse of a caller's ValueTask can touch the helper's state.
    private static async ValueTask CompleteAsync(
        SingleFlightGroup<TKey, TValue> owner,
        Flight flight,
        ValueTask<TValue> pending,
        FlightObservation observation)
    {
        TValue result;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Every caller, the leader included, receives the exception through the flight's completion.
            observation.End(ex);
            flight.Fail(owner, ex);
            return;
        }

        observation.End(null);
        flight.Succeed(owner, result);
    }

    private ValueTask<TValue> Wait(Flight flight, CancellationToken cancellationToken, bool led)
    {
        var completion = flight.GetCompletion();
        var wait = !cancellationToken.CanBeCanceled || completion.Task.IsCompleted
            ? new ValueTask<TValue>(completion.Task)
            : new ValueTask<TValue>(CancellableWaiter.Start(this, flight, completion, cancellationToken));

        return SingleFlightTelemetry.JoinObserved
            ? new ValueTask<TValue>(ObservedWait.Start(wait.AsTask(), Name, flight.Span, led, cancellationToken))
            : wait;
    }

    private TValue WaitBlocking(Flight flight)
    {
        var completion = flight.GetCompletion().Task;
        if (!SingleFlightTelemetry.JoinObserved)
        {
            // GetResult rethrows the leader's exception object itself, with its stack trace.
            return completion.GetAwaiter().GetResult();
        }

        var observation = WaitObservation.Begin(Name, flight.Span, led: false);
        try
        {
            var value = completion.GetAwaiter().GetResult();
            observation.End(null, CancellationToken.None);
            return value;
        }
        catch (Exception ex)
        {
            observation.End(ex, CancellationToken.None);
            throw;
        }
    }

    private int GetHash(TKey key) => _comparer is null ? EqualityComparer<TKey>.Default.GetHashCode(key) : _comparer.GetHashCode(key);

    private bool KeyEquals(TKey x, TKey y) => _comparer is null ? EqualityComparer<TKey>.Default.Equals(x, y) : _comparer.Equals(x, y);

    /// <summary>
    /// Returns the flight running for <paramref name="key"/>; or, when there is none, publishes a new one as
    /// <paramref name="added"/> and returns <see langword="null"/>.
    /// </summary>
    private Flight? FindOrAdd(TKey key, int hash, bool cancellable, out Flight added)
    {
        Flight? candidate = null;
        while (true)
        {
            var table = _table;
            var buckets = table.Buckets;
            var index = table.IndexOf(hash);
            var head = Volatile.Read(ref buckets[index]);
            if (ReferenceEquals(head, s_moved))
            {
                WaitForResize();
                continue;
            }

            var length = 0;
            for (var flight = head; flight is not null; flight = Volatile.Read(ref flight.Next))
            {
                if (flight.Hash == hash && KeyEquals(flight.Key, key))
                {
                    added = null!;
                    return flight;
                }

                // Only entries with another hash code count: growing the table cannot split equal hash codes,
                // so a chain of them must not make every insert try (and scan the table) again.
                if (flight.Hash != hash)
                {
                    length++;
                }
            }

            if (length >= LongChain && TryGrow(table))
            {
                continue;
            }

            candidate ??= new Flight(key, hash, cancellable);
            candidate.Next = head;

            // Succeeds only if the head is still the one whose chain was searched (see the map's rules above).
            if (ReferenceEquals(Interlocked.CompareExchange(ref buckets[index], candidate, head), head))
            {
                added = candidate;
                return null;
            }
        }
    }

    /// <summary>The flight running for <paramref name="key"/>, if any.</summary>
    private Flight? Find(TKey key, int hash)
    {
        while (true)
        {
            var table = _table;
            var buckets = table.Buckets;
            var index = table.IndexOf(hash);
            var head = Volatile.Read(ref buckets[index]);
            if (!ReferenceEquals(head, s_moved))
            {
                for (var flight = head; flight is not null; flight = Volatile.Read(ref flight.Next))
                {
                    if (flight.Hash == hash && KeyEquals(flight.Key, key))
                    {
                        return flight;
                    }
                }

                // A miss counts only if the chain was not being relinked by a resize meanwhile.
                if (!ReferenceEquals(Volatile.Read(ref buckets[index]), s_moved))
                {
                    return null;
                }
            }

            WaitForResize();
        }
    }

    /// <summary>
    /// Takes <paramref name="flight"/> out of the map if it is still there, never a newer flight for its key.
    /// </summary>
    /// <returns><see langword="true"/> if this call removed it.</returns>
    private bool RemoveIfPresent(Flight flight)
    {
        // The uncontended case: the flight is alone in its bucket, so one CAS of the head to null removes it.
        var table = _table;
        var buckets = table.Buckets;
        var index = table.IndexOf(flight.Hash);
        if (ReferenceEquals(Volatile.Read(ref buckets[index]), flight)
            && Volatile.Read(ref flight.Next) is null
            && ReferenceEquals(Interlocked.CompareExchange(ref buckets[index], null, flight), flight))
        {
            return true;
        }

        lock (_slowLock)
        {
            // No resize can run now, so the current table holds no frozen bucket, and no Next field changes.
            table = _table;
            buckets = table.Buckets;
            index = table.IndexOf(flight.Hash);
            while (true)
            {
                var head = Volatile.Read(ref buckets[index]);
                if (ReferenceEquals(head, flight))
                {
                    if (ReferenceEquals(Interlocked.CompareExchange(ref buckets[index], flight.Next, flight), flight))
                    {
                        return true;
                    }

                    // A new flight was pushed in front of it (or it was removed by the lock-free path): look again.
                    continue;
                }

                for (var previous = head; previous is not null; previous = previous.Next)
                {
                    if (ReferenceEquals(previous.Next, flight))
                    {
                        Volatile.Write(ref previous.Next, flight.Next);
                        return true;
                    }
                }

                return false;
            }
        }
    }

    /// <summary>
    /// Doubles the table if it is at least half full. Returns <see langword="true"/> if the caller should look
    /// again (the table changed).
    /// </summary>
    private bool TryGrow(Table table)
    {
        lock (_slowLock)
        {
            if (!ReferenceEquals(_table, table))
            {
                return true;
            }

            var buckets = table.Buckets;

            // A long chain in a table that is mostly empty comes from colliding hash codes: growing won't help.
            if (buckets.Length >= MaxBuckets || table.Count() < buckets.Length / 2)
            {
                return false;
            }

            var bigger = new Table(buckets.Length * 2);
            for (var i = 0; i < buckets.Length; i++)
            {
                Flight? head;
                do
                {
                    head = Volatile.Read(ref buckets[i]);
                }
                while (!ReferenceEquals(Interlocked.CompareExchange(ref buckets[i], s_moved, head), head));

                // The chain is frozen now: its head can't change, and its Next fields change only under the lock.
                for (var flight = head; flight is not null;)
                {
                    var next = flight.Next;
                    ref var target = ref bigger.Buckets[bigger.IndexOf(flight.Hash)];
                    Volatile.Write(ref flight.Next, target);
                    target = flight;
                    flight = next;
                }
            }

            _table = bigger;
            return true;
        }
    }

    private void WaitForResize()
    {
        // A resize holds the lock until it has published the new table.
        lock (_slowLock)
        {
        }
    }

    /// <summary>A fixed-size array of chains; the map replaces it with a bigger one as it fills.</summary>
    private sealed class Table
    {
        internal readonly Flight?[] Buckets;
        private readonly int _shift;

        internal Table(int size)
        {
            Buckets = new Flight?[size];
            var bits = 0;
            while ((1 << bits) < size)
            {
                bits++;
            }

            _shift = 32 - bits;
        }

        // Fibonacci hashing: the top bits of the product, so that keys with equal low bits (ids that are
        // multiples of a power of two) still spread.
        internal int IndexOf(int hash) => (int)(((uint)hash * 2654435769u) >> _shift);

        internal int Count()
        {
            var count = 0;
            foreach (var head in Buckets)
            {
                for (var flight = head; flight is not null && !ReferenceEquals(flight, s_moved); flight = Volatile.Read(ref flight.Next))
                {
                    count++;
                }
            }

            return count;
        }
    }

    /// <summary>One execution of the work for one key, and the callers waiting for it.</summary>
    private sealed class Flight
    {
        // _state packs: the number of callers who may still cancel (low bits) and three flags.
        // A flight is abandoned when that count drops to zero while no caller that cannot cancel takes part.
        private const int CountMask = (1 << 28) - 1;
        private const int Pinned = 1 << 28;   // a caller that cannot cancel takes part: never abandoned
        private const int Waited = 1 << 29;   // someone waits on the completion: the result must be published
        private const int Closed = 1 << 30;   // completed or abandoned: admits no more callers

        // The next flight in this flight's bucket of the group's map. Written before the flight is published,
        // then only under the group's _slowLock (see the map's rules).
        internal Flight? Next;

        // No reference to the group (the callers pass it in) and the span kept on the completion: the
        // uncontended call's only allocation, this object, stays at 56 bytes for a small key.
        private readonly CancellationTokenSource? _cancellation;
        private Completion? _completion;
        private int _state;

        internal Flight(TKey key, int hash, bool cancellable)
        {
            Key = key;
            Hash = hash;
            if (cancellable)
            {
                _state = 1;
                _cancellation = new CancellationTokenSource();
            }
            else
            {
                // With a leader that cannot cancel, the flight can never be abandoned, so its work needs
                // no token source at all.
                _state = Pinned;
            }
        }

        internal TKey Key { get; }

        internal int Hash { get; }

        /// <summary>The flight's span when it is traced, so that joiners can link to it.</summary>
        /// <remarks>
        /// Kept on the completion, which is created here only when there is a span: an untraced flight pays
        /// no field for it.
        /// </remarks>
        internal Activity? Span
        {
            get => Volatile.Read(ref _completion)?.Span;
            set
            {
                if (value is not null)
                {
                    GetCompletion().Span = value;
                }
            }
        }

        internal CancellationToken WorkToken => _cancellation?.Token ?? CancellationToken.None;

        /// <summary>Admits a joiner unless the flight has completed or been abandoned.</summary>
        internal bool TryJoin(bool cancellable)
        {
            var spinner = default(SpinWait);
            while (true)
            {
                var state = Volatile.Read(ref _state);
                if ((state & Closed) != 0)
                {
                    return false;
                }

                var next = (state | Waited) + (cancellable ? 1 : 0);
                if (!cancellable)
                {
                    next |= Pinned;
                }

                if (Interlocked.CompareExchange(ref _state, next, state) == state)
                {
                    return true;
                }

                spinner.SpinOnce();
            }
        }

        /// <summary>The leader waits on the completion too: make sure the result is published to it.</summary>
        internal void ExpectWaiters()
        {
            var spinner = default(SpinWait);
            while (true)
            {
                var state = Volatile.Read(ref _state);
                if (Interlocked.CompareExchange(ref _state, state | Waited, state) == state)
                {
                    return;
                }

                spinner.SpinOnce();
            }
        }

        /// <summary>A caller that could cancel has cancelled and left.</summary>
        internal void Release(SingleFlightGroup<TKey, TValue> owner)
        {
            var spinner = default(SpinWait);
            while (true)
            {
                var state = Volatile.Read(ref _state);
                if ((state & Closed) != 0)
                {
                    return;
                }

                var next = state - 1;
                var abandoned = (next & (CountMask | Pinned)) == 0;
                if (abandoned)
                {
                    next |= Closed;
                }

                if (Interlocked.CompareExchange(ref _state, next, state) != state)
                {
                    spinner.SpinOnce();
                    continue;
                }

                if (abandoned)
                {
                    // Out of the map first, so that a caller arriving now starts a fresh flight instead of
                    // finding one whose work is being cancelled.
                    owner.RemoveIfPresent(this);
                    try
                    {
                        _cancellation!.Cancel();
                    }
                    catch (AggregateException)
                    {
                        // Thrown by the work's own cancellation callbacks. Nobody waits for this flight any
                        // more, and the caller whose cancellation got us here must not receive the work's
                        // errors from its own CancellationTokenSource.Cancel().
                    }
                }

                return;
            }
        }

        internal void Succeed(SingleFlightGroup<TKey, TValue> owner, TValue result)
        {
            if ((Close(owner) & Waited) != 0)
            {
                var completion = GetCompletion();
                completion.TrySetResult(result);
                completion.ReleaseWaiters();
            }
        }

        internal void Fail(SingleFlightGroup<TKey, TValue> owner, Exception exception)
        {
            if ((Close(owner) & Waited) != 0)
            {
                var completion = GetCompletion();
                completion.TrySetException(exception);

                // Waiters that received the exception observed it; waiters that all cancelled never will.
                // Mark it observed so it never surfaces as an UnobservedTaskException.
                _ = completion.Task.Exception;
                completion.ReleaseWaiters();
            }
        }

        internal Completion GetCompletion()
        {
            var completion = Volatile.Read(ref _completion);
            if (completion is not null)
            {
                return completion;
            }

            // Continuations run asynchronously: the leader's thread must not run every joiner's continuation
            // before it returns to its own caller.
            completion = new Completion();
            return Interlocked.CompareExchange(ref _completion, completion, null) ?? completion;
        }

        /// <summary>Closes the flight to new callers, takes it out of the map, and returns the prior state.</summary>
        private int Close(SingleFlightGroup<TKey, TValue> owner)
        {
            var spinner = default(SpinWait);
            int state;
            while (true)
            {
                state = Volatile.Read(ref _state);
                if (Interlocked.CompareExchange(ref _state, state | Closed, state) == state)
                {
                    break;
                }

                spinner.SpinOnce();
            }

            // Leave the map before anyone is told the result: a caller that reacts to it by calling again
            // must start a new flight, never find this one.
            owner.RemoveIfPresent(this);
            return state;
        }
    }

    /// <summary>
    /// A flight's shared result, and the list of the cancellable joiners waiting for it. Joiners that cannot
    /// cancel await its task directly; cancellable ones each have a task of their own, and the flight completes
    /// those itself — no continuation object per joiner on the shared task.
    /// </summary>
    private sealed class Completion : TaskCompletionSource<TValue>
    {
        // Marks a list whose waiters have been released: a waiter that finds it completes from the task.
        private static readonly CancellableWaiter s_released = CancellableWaiter.CreateSentinel();

        /// <summary>The flight's span when it is traced (see Flight.Span).</summary>
        internal Activity? Span { get; set; }

        // A lock-free stack of waiters (CancellableWaiter.Next). Pushed by joiners; taken whole, once, by
        // ReleaseWaiters after the task has completed.
        private CancellableWaiter? _waiters;

        // Continuations run asynchronously: the leader's thread must not run every joiner's continuation
        // before it returns to its own caller.
        internal Completion()
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
        }

        /// <summary>Adds a waiter; returns false if the waiters were already released (the task is complete).</summary>
        internal bool TryAdd(CancellableWaiter waiter)
        {
            while (true)
            {
                var head = Volatile.Read(ref _waiters);
                if (ReferenceEquals(head, s_released))
                {
                    return false;
                }

                waiter.Next = head;
                if (ReferenceEquals(Interlocked.CompareExchange(ref _waiters, waiter, head), head))
                {
                    return true;
                }
            }
        }

        /// <summary>Completes every waiter added so far; later ones see the list released. Call after the task completed.</summary>
        internal void ReleaseWaiters()
        {
            var waiter = Interlocked.Exchange(ref _waiters, s_released);
            if (waiter is null)
            {
                return;
            }

#if NETCOREAPP3_0_OR_GREATER
            CompleteAll(waiter, Task);
#else
            // Without CancellationTokenRegistration.Unregister, completing a waiter disposes its registration,
            // which waits for a cancellation callback running on another thread. The thread that finished the
            // work must never wait for that (it may hold a lock that callback needs): hand the list over.
            ThreadPool.QueueUserWorkItem(static s => CompleteAll((CancellableWaiter)((object[])s!)[0], (Task<TValue>)((object[])s!)[1]), new object[] { waiter, Task });
#endif
        }

        private static void CompleteAll(CancellableWaiter? waiter, Task<TValue> task)
        {
            while (waiter is not null)
            {
                var next = waiter.Next;
                waiter.Next = null;
                waiter.OnCompleted(task);
                waiter = next;
            }
        }
    }

    /// <summary>
    /// Completes <paramref name="target"/> the way <paramref name="source"/> ended unsuccessfully, keeping the kind: the
    /// same exception objects when it faulted (even an <see cref="OperationCanceledException"/> the work threw on its
    /// own, rule 9), a cancellation by <paramref name="callerToken"/> when it was cancelled (only a caller's own token
    /// cancels its wait). An async method cannot relay like this: it turns every OperationCanceledException into a
    /// cancellation.
    /// </summary>
    /// <returns><see langword="false"/> if <paramref name="source"/> ran to completion.</returns>
    private static bool TryRelayFailure<TResult>(TaskCompletionSource<TResult> target, Task<TValue> source, CancellationToken callerToken)
    {
        switch (source.Status)
        {
            case TaskStatus.Faulted:
                target.TrySetException(source.Exception!.InnerExceptions);
                return true;
            case TaskStatus.Canceled:
                target.TrySetCanceled(callerToken);
                return true;
            default:
                return false;
        }
    }

    /// <summary><c>DoWithResultAsync</c>'s task: the caller's wait, with the value wrapped and the outcome kind kept.</summary>
    private sealed class ResultRelay : TaskCompletionSource<SingleFlightResult<TValue>>
    {
        private readonly Task<TValue> _wait;
        private readonly bool _shared;
        private readonly CancellationToken _callerToken;

        private ResultRelay(Task<TValue> wait, bool shared, CancellationToken callerToken)
        {
            _wait = wait;
            _shared = shared;
            _callerToken = callerToken;
        }

        internal static Task<SingleFlightResult<TValue>> Start(Task<TValue> wait, bool shared, CancellationToken callerToken)
        {
            var relay = new ResultRelay(wait, shared, callerToken);
            if (wait.IsCompleted)
            {
                relay.OnCompleted();
            }
            else
            {
                // The wait's task already runs its continuations asynchronously (or it is the caller's own waiter):
                // the caller's continuation may run inline here.
                wait.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(relay.OnCompleted);
            }

            return relay.Task;
        }

        private void OnCompleted()
        {
            if (!TryRelayFailure(this, _wait, _callerToken))
            {
                TrySetResult(new SingleFlightResult<TValue>(_wait.Result, _shared));
            }
        }
    }

    /// <summary>A caller's wait while telemetry listens: records the call when it ends, and keeps its outcome kind.</summary>
    private sealed class ObservedWait : TaskCompletionSource<TValue>
    {
        private readonly Task<TValue> _wait;
        private readonly WaitObservation _observation;
        private readonly CancellationToken _callerToken;

        private ObservedWait(Task<TValue> wait, WaitObservation observation, CancellationToken callerToken)
        {
            _wait = wait;
            _observation = observation;
            _callerToken = callerToken;
        }

        internal static Task<TValue> Start(Task<TValue> wait, string? operation, Activity? flightSpan, bool led, CancellationToken callerToken)
        {
            // The joiner's span must not stay current in the caller's context after this returns.
            var previous = Activity.Current;
            var observation = WaitObservation.Begin(operation, flightSpan, led);
            if (!ReferenceEquals(Activity.Current, previous))
            {
                Activity.Current = previous;
            }

            if (wait.IsCompleted)
            {
                observation.End(ErrorOf(wait), callerToken);
                return wait;
            }

            var relay = new ObservedWait(wait, observation, callerToken);
            wait.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(relay.OnCompleted);
            return relay.Task;
        }

        private static Exception? ErrorOf(Task<TValue> wait) => wait.Status switch
        {
            TaskStatus.RanToCompletion => null,
            TaskStatus.Faulted => wait.Exception!.InnerException,
            _ => new TaskCanceledException(wait),
        };

        private void OnCompleted()
        {
            _observation.End(ErrorOf(_wait), _callerToken);
            if (!TryRelayFailure(this, _wait, _callerToken))
            {
                TrySetResult(_wait.Result);
            }
        }
    }

    /// <summary>A joiner whose token can cancel: its own task, completed by the flight or by its token.</summary>
    private sealed class CancellableWaiter : TaskCompletionSource<TValue>
    {
        private readonly SingleFlightGroup<TKey, TValue>? _owner;
        private readonly Flight? _flight;
        private readonly CancellationToken _cancellationToken;
        private CancellationTokenRegistration _registration;

        private CancellableWaiter(SingleFlightGroup<TKey, TValue>? owner, Flight? flight, CancellationToken cancellationToken)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            _owner = owner;
            _flight = flight;
            _cancellationToken = cancellationToken;
        }

        /// <summary>The next waiter in its completion's list.</summary>
        internal CancellableWaiter? Next;

        internal static CancellableWaiter CreateSentinel() => new(null, null, CancellationToken.None);

        internal static Task<TValue> Start(
            SingleFlightGroup<TKey, TValue> owner,
            Flight flight,
            Completion completion,
            CancellationToken cancellationToken)
        {
            var waiter = new CancellableWaiter(owner, flight, cancellationToken);
            waiter._registration = cancellationToken.Register(static s => ((CancellableWaiter)s!).OnCanceled(), waiter);
            if (!completion.TryAdd(waiter))
            {
                // The flight published its result between the caller's check and now.
                waiter.OnCompleted(completion.Task);
            }

            return waiter.Task;
        }

        private void OnCanceled()
        {
            // Leave the flight before the caller sees its cancellation: once it has, a new call for the key
            // must not find a flight that no caller wants any more. The waiter stays in the completion's list
            // until the flight ends (as a continuation on the shared task would); completing it then is a no-op.
            _flight!.Release(_owner!);
            TrySetCanceled(_cancellationToken);
        }

        internal void OnCompleted(Task<TValue> completion)
        {
#if NETCOREAPP3_0_OR_GREATER
            // Unregister, not Dispose: Dispose waits for a cancellation callback running on another thread, and
            // this runs on the thread that finished the work (see Completion.ReleaseWaiters).
            _registration.Unregister();
#else
            _registration.Dispose();
#endif
            switch (completion.Status)
            {
                case TaskStatus.RanToCompletion:
                    TrySetResult(completion.Result);
                    break;
                case TaskStatus.Faulted:
                    TrySetException(completion.Exception!.InnerExceptions);
                    break;
                default:
                    TrySetCanceled();
                    break;
            }
        }
    }
}
