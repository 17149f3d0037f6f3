using System;
using System.Diagnostics;
using System.Threading;

namespace SingleFlight;

public sealed partial class SingleFlightGroup<TKey, TValue>
{
    /// <summary>One execution of the work for one key, and the callers waiting for it.</summary>
    private sealed partial class Flight
    {
        // _state packs: the number of callers who may still cancel (low bits) and four flags.
        // A flight is abandoned when that count drops to zero while no caller that cannot cancel takes part.
        private const int CountMask = (1 << 26) - 1;
        private const int Detached = 1 << 26; // Forget took (or is taking) it out of the map: never kept for the share window
        private const int Kept = 1 << 27;     // completed with a value that stays in the map for the share window
        private const int Pinned = 1 << 28;   // a caller that cannot cancel takes part: never abandoned
        private const int Waited = 1 << 29;   // someone waits on the completion: the result must be published
        private const int Closed = 1 << 30;   // completed or abandoned: admits no more callers

        // The next flight in this flight's bucket of the group's map. Written before the flight is published,
        // then only under the group's _slowLock (see the map's rules in SingleFlightGroup.Table.cs).
        internal Flight? Next;

        // One slot for what only some flights need (issue 19): null; the work's CancellationTokenSource (a leader that
        // can cancel); or the Completion, once someone waits, which then holds that token source. No reference to the
        // group (the callers pass it in) and the span kept on the completion: the uncontended call's only allocation,
        // this object, is 48 bytes for a small key (56 with two slots).
        private object? _extra;
        private int _state;

        // Set by a leader whose work completed synchronously, before it takes the flight out of the map: such a flight
        // is never Closed (that compare-and-swap is what issue 19 saved); a joiner checks this flag after its join
        // instead. See SucceedAtOnce. Fits in the object's padding: the flight stays 48 bytes for a small key.
        private volatile bool _done;

        internal Flight(TKey key, int hash, bool cancellable)
        {
            Key = key;
            Hash = hash;
            if (cancellable)
            {
                _state = 1;
                _extra = new CancellationTokenSource();
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
            get => CurrentCompletion?.Span;
            set
            {
                if (value is not null)
                {
                    GetCompletion().Span = value;
                }
            }
        }

        internal CancellationToken WorkToken => Cancellation?.Token ?? CancellationToken.None;

        /// <summary>The work's token source, if the work has one.</summary>
        private CancellationTokenSource? Cancellation
        {
            get
            {
                var extra = Volatile.Read(ref _extra);
                return extra is Completion completion ? completion.Cancellation : extra as CancellationTokenSource;
            }
        }

        /// <summary>The completion, if someone created it.</summary>
        private Completion? CurrentCompletion => Volatile.Read(ref _extra) as Completion;

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
                    // The leader of a flight whose work completed at once publishes its result only if it sees Waited,
                    // which it reads after setting _done (SucceedAtOnce). This compare-and-swap is a full fence, so either
                    // this read sees _done (the flight is over: the caller looks again and starts a new flight), or the
                    // leader's read sees Waited and the result reaches the completion this caller waits on.
                    return !_done;
                }

                spinner.SpinOnce();
            }
        }

        /// <summary>Marks the flight as taken out of the map by <c>Forget</c> (see <see cref="Detached"/>).</summary>
        internal void Detach()
        {
            var spinner = default(SpinWait);
            while (true)
            {
                var state = Volatile.Read(ref _state);
                if ((state & Detached) != 0 || Interlocked.CompareExchange(ref _state, state | Detached, state) == state)
                {
                    return;
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
                    CurrentCompletion?.Lifespan?.Stop();

                    // Out of the map first, so that a caller arriving now starts a fresh flight instead of
                    // finding one whose work is being cancelled.
                    owner.RemoveIfPresent(this);
                    try
                    {
                        Cancellation!.Cancel();
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

        /// <summary>
        /// The leader's work completed synchronously with <paramref name="result"/> (no deadline, no share window): ends
        /// the flight with one compare-and-swap fewer than <see cref="Succeed(SingleFlightGroup{TKey, TValue}, TValue)"/>.
        /// </summary>
        /// <remarks>
        /// Instead of closing the state word (a CAS that every joiner races with), the leader sets <c>_done</c>, takes the
        /// flight out of the map (a CAS and an interlocked decrement: full fences; or, if the flight was already gone, an
        /// explicit full fence), then reads the state. A joiner
        /// sets Waited with a CAS (a full fence), then reads <c>_done</c>. Of two threads that each write one location and
        /// then, after a fence, read the other's, at least one sees the other's write: either the leader sees Waited and
        /// publishes the result to the completion, or the joiner sees <c>_done</c> and looks again (it never waits on a
        /// completion nobody will complete). A leader of such a flight can never be abandoned (its own place, a count or
        /// Pinned, is never released), so nothing else needs Closed here.
        /// </remarks>
        internal void SucceedAtOnce(SingleFlightGroup<TKey, TValue> owner, TValue result)
        {
            _done = true;
            if (!owner.RemoveIfPresent(this))
            {
                // A removal that succeeded ran interlocked operations (the CAS or the entry counter's decrement), which
                // are full fences. One that found the flight gone (Forget took it out, or a caller that saw _done) may
                // have taken only the slow-path lock, whose acquire .NET's memory model does not promise to order the
                // write of _done before the read of the state below (a store-load pair): fence it here, off the hot path.
                Interlocked.MemoryBarrier();
            }

            if ((Volatile.Read(ref _state) & Waited) != 0)
            {
                CloseState();
                var completion = GetCompletion();
                completion.TrySetResult(result);
                completion.ReleaseWaiters();
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
            Completion? created = null;
            while (true)
            {
                var extra = Volatile.Read(ref _extra);
                if (extra is Completion completion)
                {
                    return completion;
                }

                // The completion takes over the slot and keeps the work's token source (if any) in it.
                created ??= new Completion();
                created.Cancellation = (CancellationTokenSource?)extra;
                if (ReferenceEquals(Interlocked.CompareExchange(ref _extra, created, extra), extra))
                {
                    return created;
                }
            }
        }

        /// <summary>Closes the flight to new callers, takes it out of the map, and returns the prior state.</summary>
        private int Close(SingleFlightGroup<TKey, TValue> owner)
        {
            var state = CloseState();

            // Leave the map before anyone is told the result: a caller that reacts to it by calling again
            // must start a new flight, never find this one.
            owner.RemoveIfPresent(this);
            return state;
        }

        /// <summary>Sets Closed and returns the prior state.</summary>
        private int CloseState()
        {
            var spinner = default(SpinWait);
            while (true)
            {
                var state = Volatile.Read(ref _state);
                if (Interlocked.CompareExchange(ref _state, state | Closed, state) == state)
                {
                    return state;
                }

                spinner.SpinOnce();
            }
        }
    }
}
