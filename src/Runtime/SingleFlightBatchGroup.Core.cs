using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight;

public sealed partial class SingleFlightBatchGroup<TKey, TValue>
{
    private static readonly TimeSpan MaxBatchWindow = TimeSpan.FromMilliseconds(int.MaxValue);

    private readonly IEqualityComparer<TKey> _comparer;

    // One lock for the table, the open batch and the state of every call and waiter of this group. It is never held
    // while user code runs (the work, the keys' enumeration, the dictionary the work returned, token callbacks, the
    // TimeProvider).
    private readonly object _lock = new();

    // The keys in flight: each maps to the call of the work that loads it and its index in that call's keys. A key
    // leaves when its call completes or is abandoned, before any caller sees the outcome.
    private readonly Dictionary<TKey, Slot> _flights;

    // The batch of single-key calls that is collecting keys (BatchWindow > 0), if any.
    private Call? _openBatch;

    private TimeSpan _batchWindow;
    private int _maxBatchSize;
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>Where a key in flight is loaded: its call, and the key as that call received it.</summary>
    private readonly struct Slot
    {
        internal Slot(Call call, int index)
        {
            Call = call;
            Index = index;
        }

        internal Call Call { get; }

        internal int Index { get; }
    }

    private ValueTask<IReadOnlyDictionary<TKey, TValue>> DoManyCore(
        IEnumerable<TKey> keys, SingleFlightBatchWork<TKey, TValue> work, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Cancelled);
            return new ValueTask<IReadOnlyDictionary<TKey, TValue>>(Task.FromCanceled<IReadOnlyDictionary<TKey, TValue>>(cancellationToken));
        }

        // The keys are enumerated (user code) outside the lock, and all validated before anything changes. The result
        // dictionary doubles as the set that drops duplicates: it holds placeholders until the calls complete.
        var hint = keys is ICollection<TKey> collection ? collection.Count
            : keys is IReadOnlyCollection<TKey> readOnly ? readOnly.Count
            : 4;
        var result = new Dictionary<TKey, TValue>(hint, _comparer);
        var distinct = new TKey[Math.Max(hint, 1)];
        var count = 0;
        foreach (var key in keys)
        {
            if (key is null)
            {
                ThrowHelper.ThrowNullElement(nameof(keys));
            }

            if (!result.ContainsKey(key))
            {
                result.Add(key, default!);
                if (count == distinct.Length)
                {
                    Array.Resize(ref distinct, count * 2);
                }

                distinct[count++] = key;
            }
        }

        if (count == 0)
        {
            return new ValueTask<IReadOnlyDictionary<TKey, TValue>>(result);
        }

        var waiter = new ManyWaiter(this, result, distinct, count, cancellationToken);
        List<Call>? toStart = null;
        ITimer? timerToDispose = null;
        lock (_lock)
        {
            // First every lookup, with nothing changed yet, so that a reentrant call can fail without leaving traces.
            var missing = 0;
            for (var i = 0; i < count; i++)
            {
                if (_flights.TryGetValue(distinct[i], out var slot))
                {
                    if (ReentrancyGuard.IsRunningOnThisThread(slot.Call))
                    {
                        return new ValueTask<IReadOnlyDictionary<TKey, TValue>>(
                            Task.FromException<IReadOnlyDictionary<TKey, TValue>>(ThrowHelper.BatchReentrancy(Name)));
                    }

                    waiter.SetSlot(i, slot);
                }
                else
                {
                    missing++;
                }
            }

            // Joined keys: each call once. A batch that is still collecting single-key calls is sent now, so that this
            // caller never waits for a window.
            for (var i = 0; i < count; i++)
            {
                var call = waiter.CallAt(i);
                if (call is not null && waiter.TryAddCall(call))
                {
                    call.AddWaiter(waiter, mayLeave: false);
                    if (call.State == CallState.Open)
                    {
                        timerToDispose = SendOpenBatch(call);
                        (toStart ??= new List<Call>(1)).Add(call);
                    }
                }
            }

            // Missing keys: new calls of this caller's work, at most MaxBatchSize keys each.
            if (missing > 0)
            {
                var limit = _maxBatchSize == 0 ? int.MaxValue : _maxBatchSize;
                var left = missing;
                Call? current = null;
                for (var i = 0; i < count; i++)
                {
                    if (waiter.CallAt(i) is not null)
                    {
                        continue;
                    }

                    if (current is null || current.Count == limit)
                    {
                        current = new Call(this, work, Math.Min(limit, left), CallState.Running);
                        waiter.TryAddCall(current);
                        current.AddWaiter(waiter, mayLeave: false);
                        (toStart ??= new List<Call>(1)).Add(current);
                    }

                    var key = distinct[i];
                    var slot = new Slot(current, current.Add(key));
                    _flights.Add(key, slot);
                    waiter.SetSlot(i, slot);
                    waiter.Fetched++;
                    left--;
                }
            }

            waiter.Sealed();
            if (toStart is not null)
            {
                foreach (var call in toStart)
                {
                    call.PrepareToRun();
                }
            }
        }

        SingleFlightTelemetry.RecordBatchKeys(Name, waiter.Fetched, count - waiter.Fetched);
        DisposeTimer(timerToDispose);
        if (toStart is not null)
        {
            foreach (var call in toStart)
            {
                call.Run();
            }
        }

        waiter.RegisterCancellation();
        return new ValueTask<IReadOnlyDictionary<TKey, TValue>>(waiter.Task);
    }

    private ValueTask<TValue?> DoOneCore(
        TKey key, SingleFlightBatchWork<TKey, TValue> work, CancellationToken cancellationToken, bool throwIfMissing)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            SingleFlightTelemetry.RecordCall(Name, SingleFlightTelemetry.Cancelled);
            return new ValueTask<TValue?>(Task.FromCanceled<TValue?>(cancellationToken));
        }

        // A caller that cannot leave early and needs no outcome of its own in the metrics takes the task shared by every
        // such caller of the key: no allocation per joiner. The others have a waiter of their own.
        var share = !cancellationToken.CanBeCanceled && !SingleFlightTelemetry.Calls.Enabled;
        OneWaiter? waiter = null;
        Task<TValue?>? shared = null;
        var fetched = false;
        Call? toStart = null;
        Call? toTime = null;
        ITimer? timerToDispose = null;
        var window = TimeSpan.Zero;
        lock (_lock)
        {
            if (_flights.TryGetValue(key, out var slot))
            {
                if (ReentrancyGuard.IsRunningOnThisThread(slot.Call))
                {
                    return new ValueTask<TValue?>(Task.FromException<TValue?>(ThrowHelper.BatchReentrancy(Name)));
                }
            }
            else
            {
                window = _batchWindow;
                var size = _maxBatchSize;
                Call call;
                if (window == TimeSpan.Zero || size == 1)
                {
                    call = new Call(this, work, 1, CallState.Running);
                    toStart = call;
                }
                else
                {
                    call = _openBatch ?? new Call(this, work, size == 0 ? 4 : Math.Min(size, 16), CallState.Open) { Limit = size };
                }

                // Into the table first: the comparer may throw there (on a group that never held a key, it runs for
                // the first time here), and then nothing is changed, no batch is left open without a timer.
                slot = new Slot(call, call.Count);
                _flights.Add(key, slot);
                call.Add(key);
                if (call.State == CallState.Open && _openBatch is null)
                {
                    _openBatch = call;
                    toTime = call;
                }

                fetched = true;
                if (call.State == CallState.Open && call.Limit > 0 && call.Count >= call.Limit)
                {
                    // Full (by the MaxBatchSize it was opened with): sent now by this caller, in the context of the call
                    // that opened it.
                    timerToDispose = SendOpenBatch(call);
                    toStart = call;
                    toTime = null;
                }
            }

            if (share)
            {
                shared = slot.Call.Share(slot.Index, throwIfMissing);
            }
            else
            {
                waiter = new OneWaiter(this, throwIfMissing, cancellationToken) { Fetched = fetched };
                waiter.Join(slot);
            }

            toStart?.PrepareToRun();
        }

        SingleFlightTelemetry.RecordBatchKeys(Name, fetched ? 1 : 0, fetched ? 0 : 1);
        DisposeTimer(timerToDispose);
        toTime?.StartTimer(window);
        toStart?.Run();
        if (waiter is null)
        {
            return new ValueTask<TValue?>(shared!);
        }

        waiter.RegisterCancellation();
        return new ValueTask<TValue?>(waiter.Task);
    }

    /// <summary>Sends the open batch <paramref name="call"/> (under the lock). Returns its timer, to dispose outside it.</summary>
    private ITimer? SendOpenBatch(Call call)
    {
        if (ReferenceEquals(_openBatch, call))
        {
            _openBatch = null;
        }

        call.State = CallState.Running;
        var timer = call.Timer;
        call.Timer = null;
        return timer;
    }

    /// <summary>
    /// Disposes the timer of a batch that was sent or abandoned (outside the lock). A clock whose timer throws here must
    /// not stop the batch from running nor a caller's wait from ending: the exception is dropped (the batch no longer
    /// needs the timer, and a late tick finds it no longer open), as <see cref="Call.StartTimer"/> survives a clock that
    /// cannot make one.
    /// </summary>
    private static void DisposeTimer(ITimer? timer)
    {
        try
        {
            timer?.Dispose();
        }
        catch (Exception)
        {
            // See the summary.
        }
    }

    /// <summary>The window of the open batch <paramref name="call"/> ended (a timer callback).</summary>
    private void OnWindowEnded(Call call)
    {
        ITimer? timer;
        lock (_lock)
        {
            if (call.State != CallState.Open)
            {
                return;
            }

            timer = SendOpenBatch(call);
            call.PrepareToRun();
        }

        DisposeTimer(timer);
        call.Run();
    }

    /// <summary>
    /// Nobody waits for any key of <paramref name="call"/> any more (under the lock): its keys leave the table, an open
    /// batch is never sent, a running call's token is cancelled (by <see cref="Deferred.Run"/>, outside the lock).
    /// </summary>
    private void Abandon(Call call, ref Deferred deferred)
    {
        RemoveKeys(call);
        if (ReferenceEquals(_openBatch, call))
        {
            _openBatch = null;
        }

        if (call.State == CallState.Open)
        {
            deferred.Add(call.Timer);
            call.Timer = null;
        }
        else
        {
            deferred.Add(call.Cancellation);
        }

        call.State = CallState.Abandoned;
    }

    private void RemoveKeys(Call call)
    {
        for (var i = 0; i < call.Count; i++)
        {
            var key = call[i];
            if (_flights.TryGetValue(key, out var slot) && ReferenceEquals(slot.Call, call))
            {
                _flights.Remove(key);
            }
        }
    }

    /// <summary>
    /// Ends <paramref name="call"/> with its dictionary or its fault: its keys leave the table, then every waiter that
    /// this completes is completed, outside the lock.
    /// </summary>
    private void Complete(Call call, IReadOnlyDictionary<TKey, TValue>? values, Exception? error)
    {
        var deferred = default(Deferred);
        IWaiter[]? waiters;
        int count;
        lock (_lock)
        {
            if (call.State == CallState.Running)
            {
                RemoveKeys(call);
            }

            call.State = CallState.Completed;
            call.Values = values;
            waiters = call.TakeWaiters(out count);
            for (var i = 0; i < count; i++)
            {
                waiters![i].CallEnded(call, error, ref deferred);
            }
        }

        deferred.Run();
        for (var i = 0; i < count; i++)
        {
            var waiter = waiters![i];
            if (ReferenceEquals(waiter.CompletedBy, call))
            {
                waiter.Complete();
            }
        }
    }

    /// <summary>Work to do after the lock is released: cancel abandoned calls' tokens, dispose abandoned batches' timers.</summary>
    private struct Deferred
    {
        private object? _single;
        private List<object>? _more;

        internal void Add(object? item)
        {
            if (item is null)
            {
                return;
            }

            if (_single is null)
            {
                _single = item;
            }
            else
            {
                (_more ??= new List<object>()).Add(item);
            }
        }

        internal readonly void Run()
        {
            RunOne(_single);
            if (_more is not null)
            {
                foreach (var item in _more)
                {
                    RunOne(item);
                }
            }
        }

        private static void RunOne(object? item)
        {
            switch (item)
            {
                case CancellationTokenSource cancellation:
                    try
                    {
                        cancellation.Cancel();
                    }
                    catch (AggregateException)
                    {
                        // Thrown by the work's own cancellation callbacks: nobody waits for that call any more, and the
                        // caller whose leaving got us here must not receive them.
                    }

                    break;
                case ITimer timer:
                    DisposeTimer(timer);
                    break;
            }
        }
    }
}
