using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
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
    private readonly ConcurrentDictionary<TKey, Flight> _flights;

    /// <summary>Creates an empty group.</summary>
    /// <param name="comparer">
    /// The comparer that decides which keys are equal, or <see langword="null"/> for
    /// <see cref="EqualityComparer{T}.Default"/>.
    /// </param>
    public SingleFlightGroup(IEqualityComparer<TKey>? comparer = null)
    {
        _flights = new ConcurrentDictionary<TKey, Flight>(comparer ?? EqualityComparer<TKey>.Default);
    }

    /// <summary>
    /// The name of the operation this group serves, reported as the <c>singleflight.operation</c> tag of its
    /// metrics and spans (see <see cref="SingleFlightTelemetry"/>). Generated methods use
    /// <c>Namespace.Type.Method</c>. Never put keys or personal data in it: it is a low-cardinality label.
    /// </summary>
    public string? Name { get; init; }

    /// <summary>
    /// The number of flights running now. Zero when the group is idle.
    /// </summary>
    /// <remarks>A snapshot for diagnostics: reading it briefly locks the whole group.</remarks>
    public int InFlightCount => _flights.Count;

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

        return WrapAsync(pending, shared);

        static async ValueTask<SingleFlightResult<TValue>> WrapAsync(ValueTask<TValue> pending, bool shared)
            => new(await pending.ConfigureAwait(false), shared);
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

        while (true)
        {
            if (_flights.TryGetValue(key, out var existing))
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

            var flight = new Flight(this, key, cancellable: false);
            if (!_flights.TryAdd(key, flight))
            {
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
                flight.Fail(ex);
                SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Faulted, ex);
                throw;
            }
            finally
            {
                ReentrancyGuard.Exit(outer);
            }

            observation.End(null);
            flight.Succeed(result);
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
        return _flights.TryRemove(key, out _);
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

        while (true)
        {
            if (_flights.TryGetValue(key, out var existing))
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

            var flight = new Flight(this, key, cancellationToken.CanBeCanceled);
            if (_flights.TryAdd(key, flight))
            {
                return Lead(flight, state, work, cancellationToken);
            }
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
            flight.Succeed(result);
            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Led);
            return new ValueTask<TValue>(result);
        }

        if (!cancellationToken.CanBeCanceled)
        {
            // The leader can never leave early, so it awaits the work itself; joiners get the result
            // through the flight's completion.
            return CompleteAsync(flight, pending, observation, leaderOperation: Name, rethrow: true);
        }

        // The leader may cancel its own wait while the work goes on for the joiners, so it waits like a joiner.
        flight.ExpectWaiters();
        _ = CompleteAsync(flight, pending, observation, leaderOperation: null, rethrow: false);
        return Wait(flight, cancellationToken, led: true);
    }

    private static async ValueTask<TValue> CompleteAsync(
        Flight flight,
        ValueTask<TValue> pending,
        FlightObservation observation,
        string? leaderOperation,
        bool rethrow)
    {
        TValue result;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            observation.End(ex);
            flight.Fail(ex);
            if (rethrow)
            {
                SingleFlightTelemetry.RecordCall(leaderOperation, SingleFlightTelemetry.Faulted, ex);
                throw;
            }

            // Every waiter receives the exception through the flight's completion.
            return default!;
        }

        observation.End(null);
        flight.Succeed(result);
        if (rethrow)
        {
            SingleFlightTelemetry.RecordCall(leaderOperation, SingleFlightTelemetry.Led);
        }

        return result;
    }

    private ValueTask<TValue> Wait(Flight flight, CancellationToken cancellationToken, bool led)
    {
        var completion = flight.GetCompletion().Task;
        var wait = !cancellationToken.CanBeCanceled || completion.IsCompleted
            ? new ValueTask<TValue>(completion)
            : new ValueTask<TValue>(CancellableWaiter.Start(flight, completion, cancellationToken));

        return SingleFlightTelemetry.JoinObserved ? ObserveAsync(wait, Name, flight.Span, led, cancellationToken) : wait;

        static async ValueTask<TValue> ObserveAsync(
            ValueTask<TValue> wait, string? operation, Activity? flightSpan, bool led, CancellationToken cancellationToken)
        {
            // Begun inside the async method, so that the joiner's span is current only for this wait and
            // never leaks into the caller's context.
            var observation = WaitObservation.Begin(operation, flightSpan, led);
            try
            {
                var value = await wait.ConfigureAwait(false);
                observation.End(null, cancellationToken);
                return value;
            }
            catch (Exception ex)
            {
                observation.End(ex, cancellationToken);
                throw;
            }
        }
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

    private void RemoveIfPresent(Flight flight)
    {
        // Removes the entry only while it still maps to this very flight, never a newer one for the key.
        ((ICollection<KeyValuePair<TKey, Flight>>)_flights).Remove(new KeyValuePair<TKey, Flight>(flight.Key, flight));
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

        private readonly SingleFlightGroup<TKey, TValue> _owner;
        private readonly CancellationTokenSource? _cancellation;
        private TaskCompletionSource<TValue>? _completion;
        private int _state;

        internal Flight(SingleFlightGroup<TKey, TValue> owner, TKey key, bool cancellable)
        {
            _owner = owner;
            Key = key;
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

        /// <summary>The flight's span when it is traced, so that joiners can link to it.</summary>
        internal Activity? Span { get; set; }

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
        internal void Release()
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
                    _owner.RemoveIfPresent(this);
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

        internal void Succeed(TValue result)
        {
            if ((Close() & Waited) != 0)
            {
                GetCompletion().TrySetResult(result);
            }
        }

        internal void Fail(Exception exception)
        {
            if ((Close() & Waited) != 0)
            {
                var completion = GetCompletion();
                completion.TrySetException(exception);

                // Waiters that received the exception observed it; waiters that all cancelled never will.
                // Mark it observed so it never surfaces as an UnobservedTaskException.
                _ = completion.Task.Exception;
            }
        }

        internal TaskCompletionSource<TValue> GetCompletion()
        {
            var completion = Volatile.Read(ref _completion);
            if (completion is not null)
            {
                return completion;
            }

            // Continuations run asynchronously: the leader's thread must not run every joiner's continuation
            // before it returns to its own caller.
            completion = new TaskCompletionSource<TValue>(TaskCreationOptions.RunContinuationsAsynchronously);
            return Interlocked.CompareExchange(ref _completion, completion, null) ?? completion;
        }

        /// <summary>Closes the flight to new callers, takes it out of the map, and returns the prior state.</summary>
        private int Close()
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
            _owner.RemoveIfPresent(this);
            return state;
        }
    }

    /// <summary>A joiner whose token can cancel: its own task, completed by the flight or by its token.</summary>
    private sealed class CancellableWaiter : TaskCompletionSource<TValue>
    {
        private readonly Flight _flight;
        private readonly CancellationToken _cancellationToken;
        private CancellationTokenRegistration _registration;

        private CancellableWaiter(Flight flight, CancellationToken cancellationToken)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            _flight = flight;
            _cancellationToken = cancellationToken;
        }

        internal static Task<TValue> Start(Flight flight, Task<TValue> completion, CancellationToken cancellationToken)
        {
            var waiter = new CancellableWaiter(flight, cancellationToken);
            waiter._registration = cancellationToken.Register(static s => ((CancellableWaiter)s!).OnCanceled(), waiter);
            completion.ContinueWith(
                static (task, s) => ((CancellableWaiter)s!).OnCompleted(task),
                waiter,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return waiter.Task;
        }

        private void OnCanceled()
        {
            // Leave the flight before the caller sees its cancellation: once it has, a new call for the key
            // must not find a flight that no caller wants any more.
            _flight.Release();
            TrySetCanceled(_cancellationToken);
        }

        private void OnCompleted(Task<TValue> completion)
        {
            _registration.Dispose();
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
