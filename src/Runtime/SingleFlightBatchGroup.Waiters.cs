using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight;

public sealed partial class SingleFlightBatchGroup<TKey, TValue>
{
    /// <summary>One caller waiting for the calls of the work that load its keys.</summary>
    private interface IWaiter
    {
        /// <summary>The call whose end completed this waiter (set under the lock); it completes the waiter outside it.</summary>
        Call? CompletedBy { get; }

        /// <summary><paramref name="call"/> ended (under the lock): records whether this waiter is now complete.</summary>
        void CallEnded(Call call, Exception? error, ref Deferred deferred);

        /// <summary>Completes the caller's task (outside the lock), once <see cref="CompletedBy"/> is set.</summary>
        void Complete();
    }

    /// <summary>
    /// What both kinds of waiter share: the caller's task, its cancellation registration, and leaving on cancellation.
    /// <see cref="Done"/> and <see cref="Error"/> are read and written under the group's lock.
    /// </summary>
    private abstract class Waiter<TResult> : TaskCompletionSource<TResult>, IWaiter
    {
        private readonly CancellationToken _cancellationToken;
        private CancellationTokenRegistration _registration;
        private int _registrationState; // 1: registered, 2: completed

        protected Waiter(SingleFlightBatchGroup<TKey, TValue> owner, CancellationToken cancellationToken)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            Owner = owner;
            _cancellationToken = cancellationToken;
        }

        public Call? CompletedBy { get; protected set; }

        protected SingleFlightBatchGroup<TKey, TValue> Owner { get; }

        /// <summary>Whether the caller may stop waiting before its keys arrive.</summary>
        protected bool CanLeave => _cancellationToken.CanBeCanceled;

        /// <summary>The wait has ended: a call completed it, or the caller left.</summary>
        protected bool Done { get; set; }

        /// <summary>The fault that ended the wait, if one did.</summary>
        protected Exception? Error { get; set; }

        public abstract void CallEnded(Call call, Exception? error, ref Deferred deferred);

        public abstract void Complete();

        /// <summary>The caller cancelled (under the lock): each call it still waits for loses a waiter.</summary>
        protected abstract void LeaveCalls(ref Deferred deferred);

        internal void RegisterCancellation()
        {
            if (!_cancellationToken.CanBeCanceled)
            {
                return;
            }

            var registration = _cancellationToken.Register(static s => ((Waiter<TResult>)s!).OnCanceled(), this);
            _registration = registration;

            // Whichever of this and Completed() comes second releases the registration.
            if (Interlocked.Exchange(ref _registrationState, 1) == 2)
            {
                Release(registration);
            }
        }

        /// <summary>The caller's task is set: the cancellation registration is no longer needed.</summary>
        protected void Completed()
        {
            if (Interlocked.Exchange(ref _registrationState, 2) == 1)
            {
                Release(_registration);
            }
        }

        private void OnCanceled()
        {
            var deferred = default(Deferred);
            lock (Owner._lock)
            {
                if (Done)
                {
                    return;
                }

                Done = true;
                LeaveCalls(ref deferred);
            }

            deferred.Run();
            TrySetCanceled(_cancellationToken);
            SingleFlightTelemetry.RecordCall(Owner.Name, SingleFlightTelemetry.Cancelled);
        }

        private static void Release(CancellationTokenRegistration registration)
        {
#if NETCOREAPP3_0_OR_GREATER
            // Unregister, not Dispose: Dispose waits for a cancellation callback running on another thread.
            registration.Unregister();
#else
            // The callback only takes the group's lock, which this thread does not hold.
            registration.Dispose();
#endif
        }
    }

    /// <summary>A <c>DoAsync</c>/<c>DoOrDefaultAsync</c> caller: one key, so one call.</summary>
    private sealed class OneWaiter : Waiter<TValue?>
    {
        private readonly bool _throwIfMissing;
        private Slot _slot;

        internal OneWaiter(SingleFlightBatchGroup<TKey, TValue> owner, bool throwIfMissing, CancellationToken cancellationToken)
            : base(owner, cancellationToken)
        {
            _throwIfMissing = throwIfMissing;
        }

        /// <summary>Whether this caller's key was new (it started or joined a call with it) rather than joined.</summary>
        internal bool Fetched { get; set; }

        /// <summary>The waiter stands for every caller of the key that cannot leave (see <c>Call.Share</c>): no call is recorded.</summary>
        internal bool Shared { get; set; }

        /// <summary>Waits for the key of <paramref name="slot"/> (under the lock).</summary>
        internal void Join(Slot slot)
        {
            _slot = slot;
            slot.Call.AddWaiter(this, CanLeave);
        }

        public override void CallEnded(Call call, Exception? error, ref Deferred deferred)
        {
            if (Done)
            {
                return;
            }

            Done = true;
            Error = error;
            CompletedBy = call;
        }

        public override void Complete()
        {
            var error = Error;
            if (error is null)
            {
                try
                {
                    var call = _slot.Call;
                    if (call.Values!.TryGetValue(call[_slot.Index], out var value))
                    {
                        TrySetResult(value);
                    }
                    else if (_throwIfMissing)
                    {
                        error = ThrowHelper.BatchKeyNotFound(Owner.Name);
                        TrySetException(error);
                    }
                    else
                    {
                        TrySetResult(default);
                    }
                }
                catch (Exception e)
                {
                    // The work's dictionary threw from its lookup.
                    error = e;
                    TrySetException(e);
                }
            }
            else
            {
                TrySetException(error);
            }

            if (!Shared)
            {
                SingleFlightTelemetry.RecordCall(Owner.Name, error is null ? (Fetched ? SingleFlightTelemetry.Led : SingleFlightTelemetry.Joined) : SingleFlightTelemetry.Faulted, error);
            }

            Completed();
        }

        protected override void LeaveCalls(ref Deferred deferred)
        {
            var call = _slot.Call;
            if (call.State is CallState.Open or CallState.Running && --call.Live == 0)
            {
                Owner.Abandon(call, ref deferred);
            }
        }
    }

    /// <summary>A <c>DoManyAsync</c> caller: its distinct keys, where each is loaded, and the calls it waits for.</summary>
    private sealed class ManyWaiter : Waiter<IReadOnlyDictionary<TKey, TValue>>
    {
        private readonly Dictionary<TKey, TValue> _result;
        private readonly TKey[] _keys;
        private readonly int _count;
        private readonly Slot[] _slots;
        private readonly Call[] _calls;
        private int _callCount;
        private int _pending;

        // keys: the caller's distinct keys, in its own spelling (the first count elements).
        internal ManyWaiter(SingleFlightBatchGroup<TKey, TValue> owner, Dictionary<TKey, TValue> result, TKey[] keys, int count, CancellationToken cancellationToken)
            : base(owner, cancellationToken)
        {
            _result = result;
            _keys = keys;
            _count = count;
            _slots = new Slot[count];

            // No caller waits for more calls than it has keys: sized once, never grown.
            _calls = new Call[count];
        }

        /// <summary>How many of this caller's keys were new (sent by it) rather than joined.</summary>
        internal int Fetched { get; set; }

        internal void SetSlot(int index, Slot slot) => _slots[index] = slot;

        internal Call? CallAt(int index) => _slots[index].Call;

        /// <summary>Counts <paramref name="call"/> among the calls to wait for, once (under the lock).</summary>
        internal bool TryAddCall(Call call)
        {
            if (ReferenceEquals(call.Marker, this))
            {
                return false;
            }

            call.Marker = this;
            _calls[_callCount++] = call;
            _pending++;
            return true;
        }

        /// <summary>Every call is known (under the lock): a caller that can leave early asks each for a token of its own.</summary>
        internal void Sealed()
        {
            if (CanLeave || _callCount > 1)
            {
                for (var i = 0; i < _callCount; i++)
                {
                    _calls[i].AnyMayLeave = true;
                }
            }
        }

        public override void CallEnded(Call call, Exception? error, ref Deferred deferred)
        {
            if (Done)
            {
                return;
            }

            if (error is not null)
            {
                // The first fault ends this caller's wait: the calls it still waited for lose a waiter.
                Done = true;
                Error = error;
                CompletedBy = call;
                Leave(call, ref deferred);
            }
            else if (--_pending == 0)
            {
                Done = true;
                CompletedBy = call;
            }
        }

        public override void Complete()
        {
            var error = Error;
            if (error is null)
            {
                try
                {
                    for (var i = 0; i < _count; i++)
                    {
                        var call = _slots[i].Call;
                        if (call.Values!.TryGetValue(call[_slots[i].Index], out var value))
                        {
                            _result[_keys[i]] = value;
                        }
                        else
                        {
                            _result.Remove(_keys[i]);
                        }
                    }
                }
                catch (Exception e)
                {
                    // The work's dictionary threw from its lookup.
                    error = e;
                }
            }

            if (error is null)
            {
                TrySetResult(_result);
            }
            else
            {
                TrySetException(error);
            }

            SingleFlightTelemetry.RecordCall(Owner.Name, error is null ? (Fetched > 0 ? SingleFlightTelemetry.Led : SingleFlightTelemetry.Joined) : SingleFlightTelemetry.Faulted, error);
            Completed();
        }

        protected override void LeaveCalls(ref Deferred deferred) => Leave(null, ref deferred);

        /// <summary>This caller stops waiting (under the lock): each call it still waited for, except <paramref name="ended"/>, loses a waiter.</summary>
        private void Leave(Call? ended, ref Deferred deferred)
        {
            for (var i = 0; i < _callCount; i++)
            {
                var call = _calls[i];
                if (!ReferenceEquals(call, ended) && call.State is CallState.Open or CallState.Running && --call.Live == 0)
                {
                    Owner.Abandon(call, ref deferred);
                }
            }
        }
    }
}
