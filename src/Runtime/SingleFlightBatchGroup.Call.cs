using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight;

public sealed partial class SingleFlightBatchGroup<TKey, TValue>
{
    private enum CallState
    {
        /// <summary>A batch of single-key calls collecting keys until its window ends or it is full.</summary>
        Open,

        /// <summary>Sent: the work is (about to be) running.</summary>
        Running,

        /// <summary>The work ended; its keys have left the table.</summary>
        Completed,

        /// <summary>Nobody waits for any of its keys any more; its keys have left the table.</summary>
        Abandoned,
    }

    /// <summary>
    /// One call of the work: its keys (it is the list the work receives), the callers waiting for them, and how it is
    /// sent. The one object a call of the work costs, besides its callers' own.
    /// </summary>
    /// <remarks>Every field but the ones read by <see cref="Run"/> and the waiters after completion is guarded by the group's lock.</remarks>
    private sealed class Call : IReadOnlyList<TKey>
    {
        private static readonly TimerCallback s_windowEnded = static state => ((Call)state!).Owner.OnWindowEnded((Call)state!);
        private static readonly ContextCallback s_run = static state => ((Call)state!).RunCore();

        private readonly SingleFlightBatchWork<TKey, TValue> _work;
        private TKey[] _keys;
        private IWaiter[]? _waiters;
        private OneWaiter?[]? _sharedThrowing;
        private OneWaiter?[]? _sharedDefault;
        private int _waiterCount;
        private volatile CallState _state;
        private ValueTask<IReadOnlyDictionary<TKey, TValue>> _pending;
        private FlightObservation _observation;

        internal Call(SingleFlightBatchGroup<TKey, TValue> owner, SingleFlightBatchWork<TKey, TValue> work, int capacity, CallState state)
        {
            Owner = owner;
            _work = work;
            _keys = new TKey[capacity];
            _state = state;
            if (state == CallState.Open)
            {
                // The batch is sent by a timer or by another caller: the work runs in the context of the call that opened it.
                Context = ExecutionContext.Capture();
            }
        }

        internal SingleFlightBatchGroup<TKey, TValue> Owner { get; }

        internal CallState State
        {
            get => _state;
            set => _state = value;
        }

        public int Count { get; private set; }

        public TKey this[int index]
            => (uint)index < (uint)Count ? _keys[index] : throw new ArgumentOutOfRangeException(nameof(index));

        /// <summary>Waiters whose caller can leave early (a cancellable token, or several calls to wait for).</summary>
        internal bool AnyMayLeave { get; set; }

        /// <summary>Waiters still waiting (under the lock). At zero the call is abandoned.</summary>
        internal int Live { get; set; }

        /// <summary>The last waiter that counted this call among its calls (under the lock): keeps a waiter from counting it twice.</summary>
        internal object? Marker { get; set; }

        internal ITimer? Timer { get; set; }

        /// <summary>An open batch's <c>MaxBatchSize</c> when it opened (0: no limit): it is sent when it holds this many keys.</summary>
        internal int Limit { get; init; }

        internal CancellationTokenSource? Cancellation { get; private set; }

        internal ExecutionContext? Context { get; }

        /// <summary>The work's dictionary, once completed with one; read by the waiters after completion.</summary>
        internal IReadOnlyDictionary<TKey, TValue>? Values { get; set; }

        /// <summary>Adds a key (under the lock, while open or being built) and returns its index.</summary>
        internal int Add(TKey key)
        {
            if (Count == _keys.Length)
            {
                Array.Resize(ref _keys, Math.Max(4, _keys.Length * 2));
            }

            _keys[Count] = key;
            return Count++;
        }

        internal void AddWaiter(IWaiter waiter, bool mayLeave)
        {
            if (_waiters is null)
            {
                _waiters = new IWaiter[4];
            }
            else if (_waiterCount == _waiters.Length)
            {
                Array.Resize(ref _waiters, _waiters.Length * 2);
            }

            _waiters[_waiterCount++] = waiter;
            Live++;
            AnyMayLeave |= mayLeave;
        }

        /// <summary>
        /// The task shared by the single-key callers of the key at <paramref name="index"/> that cannot leave early (under
        /// the lock): one waiter per key and kind (<c>DoAsync</c> or <c>DoOrDefaultAsync</c>), which never leaves, so the
        /// call stays alive while it exists, as it would for each of those callers.
        /// </summary>
        internal Task<TValue?> Share(int index, bool throwIfMissing)
        {
            ref var shared = ref throwIfMissing ? ref _sharedThrowing : ref _sharedDefault;
            if (shared is null)
            {
                shared = new OneWaiter?[Math.Max(index + 1, _keys.Length)];
            }
            else if (index >= shared.Length)
            {
                Array.Resize(ref shared, Math.Max(index + 1, shared.Length * 2));
            }

            var waiter = shared[index];
            if (waiter is null)
            {
                waiter = shared[index] = new OneWaiter(Owner, throwIfMissing, CancellationToken.None) { Shared = true };
                waiter.Join(new Slot(this, index));
            }

            return waiter.Task;
        }

        /// <summary>Hands over the waiters (under the lock, at completion).</summary>
        internal IWaiter[]? TakeWaiters(out int count)
        {
            var waiters = _waiters;
            count = _waiterCount;
            _waiters = null;
            _waiterCount = 0;
            _sharedThrowing = null;
            _sharedDefault = null;
            return waiters;
        }

        /// <summary>
        /// The call is being sent (under the lock): it gets a token of its own only if some caller could leave before it
        /// ends; otherwise the work receives <see cref="CancellationToken.None"/>, as a single flight's work does.
        /// </summary>
        internal void PrepareToRun()
        {
            if (AnyMayLeave)
            {
                Cancellation = new CancellationTokenSource();
            }
        }

        /// <summary>Opens the window of a batch (outside the lock): one timer, disposed when the batch is sent.</summary>
        internal void StartTimer(TimeSpan window)
        {
            ITimer? timer;
            try
            {
                timer = Owner._timeProvider.CreateTimer(s_windowEnded, this, window, Timeout.InfiniteTimeSpan);
            }
            catch (Exception)
            {
                // A clock that cannot make a timer would leave the batch open until it fills: send it now instead (its
                // callers are already waiting for it; they get its outcome, not the clock's exception).
                Owner.OnWindowEnded(this);
                return;
            }

            lock (Owner._lock)
            {
                if (_state == CallState.Open && Timer is null)
                {
                    Timer = timer;
                    timer = null;
                }
            }

            // Already sent (full, flushed, or abandoned) before the timer was stored.
            DisposeTimer(timer);
        }

        /// <summary>Calls the work (outside the lock) unless nobody wants the call any more.</summary>
        internal void Run()
        {
            if (_state != CallState.Running)
            {
                return;
            }

            if (Context is null)
            {
                RunCore();
            }
            else
            {
                ExecutionContext.Run(Context, s_run, this);
            }
        }

        private void RunCore()
        {
            var observation = SingleFlightTelemetry.FlightObserved ? FlightObservation.Begin(Owner.Name) : default;
            SingleFlightTelemetry.RecordBatchSize(Owner.Name, Count);
            var token = Cancellation?.Token ?? CancellationToken.None;
            ValueTask<IReadOnlyDictionary<TKey, TValue>> pending;
            var outer = ReentrancyGuard.Enter(this);
            try
            {
                pending = _work(this, token);
            }
            catch (Exception error)
            {
                // Thrown before the work's first await: delivered like any other fault, never out of the caller's call.
                ReentrancyGuard.Exit(outer);
                observation.WorkInvoked();
                Finish(observation, null, error);
                return;
            }

            ReentrancyGuard.Exit(outer);
            observation.WorkInvoked();
            if (pending.IsCompleted)
            {
                Finish(observation, pending);
                return;
            }

            _pending = pending;
            _observation = observation;
            pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnWorkCompleted);
        }

        private void OnWorkCompleted()
        {
            var pending = _pending;
            _pending = default;
            Finish(_observation, pending);
        }

        private void Finish(FlightObservation observation, ValueTask<IReadOnlyDictionary<TKey, TValue>> pending)
        {
            IReadOnlyDictionary<TKey, TValue>? values = null;
            Exception? error = null;
            try
            {
                values = pending.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                // A cancelled task included: one that no caller asked for is a fault (docs/semantics.md, rule 9).
                error = e;
            }

            Finish(observation, values, error);
        }

        private void Finish(FlightObservation observation, IReadOnlyDictionary<TKey, TValue>? values, Exception? error)
        {
            if (error is null && values is null)
            {
                error = ThrowHelper.BatchNullResult(Owner.Name);
            }

            observation.End(error);

            // The token source is not disposed: a caller that leaves at this moment may still cancel it (outside the lock),
            // and it holds no timer, so the collector reclaims it like any other object.
            Owner.Complete(this, values, error);
        }

        public IEnumerator<TKey> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return _keys[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
