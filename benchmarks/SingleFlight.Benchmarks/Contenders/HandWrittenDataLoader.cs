using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Benchmarks.Contenders;

/// <summary>
/// A DataLoader-style batcher written by hand, the way GreenDonut (not among the packages served here) and most
/// hand-rolled loaders work: <see cref="LoadAsync"/> puts its key in the open batch (equal keys share one promise);
/// the batch is dispatched to the batch function when it holds <c>maxBatchSize</c> keys or when its window ends.
/// Keys stay joinable until their batch completes and then leave (nothing is cached, as in the group it is compared
/// with). A fault of the batch function fails every key of that batch; a key it did not return fails with
/// <see cref="KeyNotFoundException"/>.
/// </summary>
/// <remarks>
/// Correct, and as lean as such a loader is usually written: one lock, one promise per key, one timer per batch. It
/// has no per-caller cancellation (a caller that gives up cannot leave, and the batch function always receives
/// <see cref="CancellationToken.None"/>): DataLoaders typically have none.
/// </remarks>
public sealed class HandWrittenDataLoader<TKey, TValue>
    where TKey : notnull
{
    private readonly Func<IReadOnlyList<TKey>, CancellationToken, ValueTask<IReadOnlyDictionary<TKey, TValue>>> _batchFunction;
    private readonly TimeSpan _window;
    private readonly int _maxBatchSize;
    private readonly object _lock = new();
    private readonly Dictionary<TKey, TaskCompletionSource<TValue>> _promises = new();
    private Batch? _open;

    public HandWrittenDataLoader(
        Func<IReadOnlyList<TKey>, CancellationToken, ValueTask<IReadOnlyDictionary<TKey, TValue>>> batchFunction,
        TimeSpan window,
        int maxBatchSize = 0)
    {
        _batchFunction = batchFunction;
        _window = window;
        _maxBatchSize = maxBatchSize;
    }

    public int InFlightCount
    {
        get
        {
            lock (_lock)
            {
                return _promises.Count;
            }
        }
    }

    public Task<TValue> LoadAsync(TKey key)
    {
        Batch? full = null;
        Batch? opened = null;
        Task<TValue> task;
        lock (_lock)
        {
            if (_promises.TryGetValue(key, out var existing))
            {
                return existing.Task;
            }

            var promise = new TaskCompletionSource<TValue>(TaskCreationOptions.RunContinuationsAsynchronously);
            _promises.Add(key, promise);
            task = promise.Task;
            var batch = _open;
            if (batch is null)
            {
                batch = opened = _open = new Batch(this);
            }

            batch.Keys.Add(key);
            batch.Promises.Add(promise);
            if (_maxBatchSize > 0 && batch.Keys.Count >= _maxBatchSize)
            {
                _open = null;
                batch.Dispatched = true;
                full = batch;
                opened = null;
            }
        }

        opened?.Arm(_window);
        if (full is not null)
        {
            _ = DispatchAsync(full);
        }

        return task;
    }

    /// <summary>Every key through <see cref="LoadAsync"/>, then a dictionary of the values.</summary>
    public async Task<IReadOnlyDictionary<TKey, TValue>> LoadManyAsync(IReadOnlyList<TKey> keys)
    {
        var tasks = new Task<TValue>[keys.Count];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = LoadAsync(keys[i]);
        }

        var values = await Task.WhenAll(tasks).ConfigureAwait(false);
        var result = new Dictionary<TKey, TValue>(tasks.Length);
        for (var i = 0; i < tasks.Length; i++)
        {
            result[keys[i]] = values[i];
        }

        return result;
    }

    private void OnWindowEnded(Batch batch)
    {
        lock (_lock)
        {
            if (batch.Dispatched)
            {
                return;
            }

            batch.Dispatched = true;
            if (ReferenceEquals(_open, batch))
            {
                _open = null;
            }
        }

        _ = DispatchAsync(batch);
    }

    private async Task DispatchAsync(Batch batch)
    {
        batch.Timer?.Dispose();
        IReadOnlyDictionary<TKey, TValue>? values = null;
        Exception? error = null;
        try
        {
            values = await _batchFunction(batch.Keys, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            error = e;
        }

        lock (_lock)
        {
            foreach (var key in batch.Keys)
            {
                _promises.Remove(key);
            }
        }

        for (var i = 0; i < batch.Keys.Count; i++)
        {
            var promise = batch.Promises[i];
            if (error is not null)
            {
                promise.TrySetException(error);
            }
            else if (values is not null && values.TryGetValue(batch.Keys[i], out var value))
            {
                promise.TrySetResult(value);
            }
            else
            {
                promise.TrySetException(new KeyNotFoundException("The batch function did not return the key."));
            }
        }
    }

    private sealed class Batch(HandWrittenDataLoader<TKey, TValue> owner)
    {
        public List<TKey> Keys { get; } = new();

        public List<TaskCompletionSource<TValue>> Promises { get; } = new();

        /// <summary>Under the loader's lock.</summary>
        public bool Dispatched { get; set; }

        public Timer? Timer { get; private set; }

        public void Arm(TimeSpan window)
            => Timer = new Timer(static s => { var b = (Batch)s!; b.Owner.OnWindowEnded(b); }, this, window, Timeout.InfiniteTimeSpan);

        private HandWrittenDataLoader<TKey, TValue> Owner => owner;
    }
}
