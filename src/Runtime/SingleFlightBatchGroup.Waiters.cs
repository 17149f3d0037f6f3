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

    /// <summary>A <c>DoAsync</c>/<c>DoOrDefaultAsync</c> caller: one key, so one call.</summary>
    private sealed class OneWaiter : TaskCompletionSource<TValue?>, IWaiter
    {
        private readonly SingleFlightBatchGroup<TKey, TValue> _owner;
        private readonly bool _throwIfMissing;
        private readonly CancellationToken _cancellationToken;
        private CancellationTokenRegistration _registration;
        private int _registrationState; // 1: registered, 2: completed
        private Slot _slot;
        private bool _done;
        private Exception? _error;

        internal OneWaiter(SingleFlightBatchGroup<TKey, TValue> owner, bool throwIfMissing, CancellationToken cancellationToken)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            _owner = owner;
            _throwIfMissing = throwIfMissing;
            _cancellationToken = cancellationToken;
        }

        /// <summary>Whether this caller's key was new (it started or joined a call with it) rather than joined.</summary>
        internal bool Fetched { get; set; }

        public Call? CompletedBy { get; private set; }

        /// <summary>The waiter stands for every caller of the key that cannot leave (see <c>Call.Share</c>): no call is recorded.</summary>
        internal bool Shared { get; set; }

        /// <summary>Waits for the key of <paramref name="slot"/> (under the lock).</summary>
        internal void Join(Slot slot)
        {
            _slot = slot;
            slot.Call.AddWaiter(this, _cancellationToken.CanBeCanceled);
        }

        public void CallEnded(Call call, Exception? error, ref Deferred deferred)
        {
            if (_done)
            {
                return;
            }

            _done = true;
            _error = error;
            CompletedBy = call;
        }

        public void Complete()
        {
            var error = _error;
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
                        error = ThrowHelper.BatchKeyNotFound(_owner.Name);
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
                SingleFlightTelemetry.RecordCall(_owner.Name, error is null ? (Fetched ? SingleFlightTelemetry.Led : SingleFlightTelemetry.Joined) : SingleFlightTelemetry.Faulted, error);
            }

            if (Interlocked.Exchange(ref _registrationState, 2) == 1)
            {
                Release(_registration);
            }
        }

        internal void RegisterCancellation()
        {
            if (!_cancellationToken.CanBeCanceled)
            {
                return;
            }

            var registration = _cancellationToken.Register(static s => ((OneWaiter)s!).OnCanceled(), this);
            _registration = registration;

            // Whichever of this and Complete comes second releases the registration.
            if (Interlocked.Exchange(ref _registrationState, 1) == 2)
            {
                Release(registration);
            }
        }

        private void OnCanceled()
        {
            var deferred = default(Deferred);
            lock (_owner._lock)
            {
                if (_done)
                {
                    return;
                }

                _done = true;
                var call = _slot.Call;
                if (call.State is CallState.Open or CallState.Running && --call.Live == 0)
                {
                    _owner.Abandon(call, ref deferred);
                }
            }

            deferred.Run();
            TrySetCanceled(_cancellationToken);
            SingleFlightTelemetry.RecordCall(_owner.Name, SingleFlightTelemetry.Cancelled);
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

    /// <summary>A <c>DoManyAsync</c> caller: its distinct keys, where each is loaded, and the calls it waits for.</summary>
    private sealed class ManyWaiter : TaskCompletionSource<IReadOnlyDictionary<TKey, TValue>>, IWaiter
    {
        private readonly SingleFlightBatchGroup<TKey, TValue> _owner;
        private readonly Dictionary<TKey, TValue> _result;
        private readonly TKey[] _keys;
        private readonly int _count;
        private readonly Slot[] _slots;
        private readonly CancellationToken _cancellationToken;
        private CancellationTokenRegistration _registration;
        private int _registrationState; // 1: registered, 2: completed
        private readonly Call[] _calls;
        private int _callCount;
        private int _pending;
        private bool _done;
        private Exception? _error;

        // keys: the caller's distinct keys, in its own spelling (the first count elements).
        internal ManyWaiter(SingleFlightBatchGroup<TKey, TValue> owner, Dictionary<TKey, TValue> result, TKey[] keys, int count, CancellationToken cancellationToken)
            : base(TaskCreationOptions.RunContinuationsAsynchronously)
        {
            _owner = owner;
            _result = result;
            _keys = keys;
            _count = count;
            _slots = new Slot[count];

            // No caller waits for more calls than it has keys: sized once, never grown.
            _calls = new Call[count];
            _cancellationToken = cancellationToken;
        }

        /// <summary>How many of this caller's keys were new (sent by it) rather than joined.</summary>
        internal int Fetched { get; set; }

        public Call? CompletedBy { get; private set; }

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
            if (_cancellationToken.CanBeCanceled || _callCount > 1)
            {
                for (var i = 0; i < _callCount; i++)
                {
                    _calls[i].AnyMayLeave = true;
                }
            }
        }

        public void CallEnded(Call call, Exception? error, ref Deferred deferred)
        {
            if (_done)
            {
                return;
            }

            if (error is not null)
            {
                // The first fault ends this caller's wait: the calls it still waited for lose a waiter.
                _done = true;
                _error = error;
                CompletedBy = call;
                Leave(call, ref deferred);
            }
            else if (--_pending == 0)
            {
                _done = true;
                CompletedBy = call;
            }
        }

        public void Complete()
        {
            var error = _error;
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

            SingleFlightTelemetry.RecordCall(_owner.Name, error is null ? (Fetched > 0 ? SingleFlightTelemetry.Led : SingleFlightTelemetry.Joined) : SingleFlightTelemetry.Faulted, error);
            if (Interlocked.Exchange(ref _registrationState, 2) == 1)
            {
                Release(_registration);
            }
        }

        internal void RegisterCancellation()
        {
            if (!_cancellationToken.CanBeCanceled)
            {
                return;
            }

            var registration = _cancellationToken.Register(static s => ((ManyWaiter)s!).OnCanceled(), this);
            _registration = registration;

            // Whichever of this and Complete comes second releases the registration.
            if (Interlocked.Exchange(ref _registrationState, 1) == 2)
            {
                Release(registration);
            }
        }

        private void OnCanceled()
        {
            var deferred = default(Deferred);
            lock (_owner._lock)
            {
                if (_done)
                {
                    return;
                }

                _done = true;
                Leave(null, ref deferred);
            }

            deferred.Run();
            TrySetCanceled(_cancellationToken);
            SingleFlightTelemetry.RecordCall(_owner.Name, SingleFlightTelemetry.Cancelled);
        }

        /// <summary>This caller stops waiting (under the lock): each call it still waited for, except <paramref name="ended"/>, loses a waiter.</summary>
        private void Leave(Call? ended, ref Deferred deferred)
        {
            for (var i = 0; i < _callCount; i++)
            {
                var call = _calls[i];
                if (!ReferenceEquals(call, ended) && call.State is CallState.Open or CallState.Running && --call.Live == 0)
                {
                    _owner.Abandon(call, ref deferred);
                }
            }
        }

        private static void Release(CancellationTokenRegistration registration)
        {
#if NETCOREAPP3_0_OR_GREATER
            registration.Unregister();
#else
            registration.Dispose();
#endif
        }
    }
}
