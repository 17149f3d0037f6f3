// A frozen copy of src/Runtime as it was on main before issue 19's hot-path work (the group, its telemetry hooks
// and helpers, renamed). It runs side by side with the current runtime in the same BenchmarkDotNet run, so before and
// after are measured under one machine load. Not maintained: benchmark use only.
using System;
using System.Diagnostics;
using System.Threading;

namespace SingleFlight.Benchmarks.Contenders.BeforeHotPath;

public sealed partial class BeforeHotPathGroup<TKey, TValue>
{
    /// <summary>One execution of the work for one key, and the callers waiting for it.</summary>
    private sealed partial class Flight
    {
        // _state packs: the number of callers who may still cancel (low bits) and four flags.
        // A flight is abandoned when that count drops to zero while no caller that cannot cancel takes part.
        private const int CountMask = (1 << 27) - 1;
        private const int Kept = 1 << 27;     // completed with a value that stays in the map for the share window
        private const int Pinned = 1 << 28;   // a caller that cannot cancel takes part: never abandoned
        private const int Waited = 1 << 29;   // someone waits on the completion: the result must be published
        private const int Closed = 1 << 30;   // completed or abandoned: admits no more callers

        // The next flight in this flight's bucket of the group's map. Written before the flight is published,
        // then only under the group's _slowLock (see the map's rules in SingleFlightGroup.Table.cs).
        internal Flight? Next;

        // No reference to the group (the callers pass it in) and the span kept on the completion: the
        // uncontended call's only allocation, this object, stays at 56 bytes for a small key.
        // Not readonly: a flight with a deadline creates it in StartLifetime, before its work starts.
        private CancellationTokenSource? _cancellation;
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
        internal void Release(BeforeHotPathGroup<TKey, TValue> owner)
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
                    Volatile.Read(ref _completion)?.Lifespan?.Stop();

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

        internal void Succeed(BeforeHotPathGroup<TKey, TValue> owner, TValue result)
        {
            if ((Close(owner) & Waited) != 0)
            {
                var completion = GetCompletion();
                completion.TrySetResult(result);
                completion.ReleaseWaiters();
            }
        }

        internal void Fail(BeforeHotPathGroup<TKey, TValue> owner, Exception exception)
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
        private int Close(BeforeHotPathGroup<TKey, TValue> owner)
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
}
