using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using SingleFlight.Benchmarks.Contenders;

namespace SingleFlight.Benchmarks;

/// <summary>
/// Issue 18: many keys. <see cref="Callers"/> concurrent callers, in two loads:
/// <list type="bullet">
/// <item><description><c>SingleKeys</c>: caller i asks for key i % 10 (10 distinct keys), one key per call.</description></item>
/// <item><description><c>OverlappingBatches</c>: caller i asks for the 5 keys i % 20 … i % 20 + 4 (24 distinct keys, every
/// key asked for by 5 to 25 callers).</description></item>
/// </list>
/// Every call of the work is held at a gate until every caller has made its call (the overlap is certain), then answers
/// at once: the time is the contenders' own overhead plus, for the window rows, the window itself. One operation is
/// the whole load; the extra columns divide it per caller. The report line gives the calls of the work (round trips to
/// the data source) and the keys they carried; each operation checks every value each caller received.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PerCallerConfig))]
public class BatchBenchmarks : IExecutionReport
{
    public enum LoadShape
    {
        SingleKeys,
        OverlappingBatches,
    }

    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(1);

    private BatchGate _store = null!;
    private SingleFlightBatchGroup<int, int> _many = null!;
    private SingleFlightBatchGroup<int, int> _full = null!;
    private SingleFlightBatchGroup<int, int> _windowed = null!;
    private SingleFlightGroup<int, int> _perKey = null!;
    private HandWrittenDataLoader<int, int> _loader = null!;
    private int[][] _keys = null!;
    private Task[] _pending = null!;
    private SingleFlightBatchWork<int, int> _work = null!;

    [Params(100)]
    public int Callers { get; set; }

    [Params(LoadShape.SingleKeys, LoadShape.OverlappingBatches)]
    public LoadShape Load { get; set; }

    public string LastExecutions { get; private set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _store = new BatchGate();
        _work = _store.LoadAsync;
        _many = new SingleFlightBatchGroup<int, int> { Name = "bench.many" };

        // Sent when it holds every distinct key of the load (10 or 24), so the window never has to end.
        var distinct = Load == LoadShape.SingleKeys ? 10 : 24;
        _full = new SingleFlightBatchGroup<int, int> { Name = "bench.full", BatchWindow = TimeSpan.FromSeconds(1), MaxBatchSize = distinct };
        _windowed = new SingleFlightBatchGroup<int, int> { Name = "bench.windowed", BatchWindow = Window };
        _perKey = new SingleFlightGroup<int, int> { Name = "bench.perkey" };
        _loader = new HandWrittenDataLoader<int, int>(_store.LoadAsync, TimeSpan.FromSeconds(1), maxBatchSize: distinct);
        _keys = new int[Callers][];
        for (var i = 0; i < Callers; i++)
        {
            _keys[i] = Load == LoadShape.SingleKeys
                ? [i % 10]
                : [i % 20, (i % 20) + 1, (i % 20) + 2, (i % 20) + 3, (i % 20) + 4];
        }

        _pending = new Task[Callers];
    }

    [Benchmark(Baseline = true, Description = "Batch group: DoManyAsync, or DoAsync sent when full")]
    public Task BatchGroup()
        => Load == LoadShape.SingleKeys
            ? RunAsync(static (b, keys) => b._full.DoAsync(keys[0], b._work).AsTask(), expectedCalls: 1)
            : RunAsync(static (b, keys) => b._many.DoManyAsync(keys, b._work).AsTask(), expectedCalls: 20);

    [Benchmark(Description = "Batch group: DoAsync per key, sent when full")]
    public Task BatchGroupPerKeyFull()
        => RunAsync(static (b, keys) => keys.Length == 1 ? b._full.DoAsync(keys[0], b._work).AsTask() : EachKey(b, b._full, keys), expectedCalls: 1);

    [Benchmark(Description = "Batch group: DoAsync per key, 1 ms window")]
    public Task BatchGroupPerKeyWindow()
        => RunAsync(static (b, keys) => keys.Length == 1 ? b._windowed.DoAsync(keys[0], b._work).AsTask() : EachKey(b, b._windowed, keys), expectedCalls: null);

    [Benchmark(Description = "Hand-written DataLoader, sent when full")]
    public Task DataLoader()
        => RunAsync(static (b, keys) => keys.Length == 1 ? b._loader.LoadAsync(keys[0]) : b._loader.LoadManyAsync(keys), expectedCalls: 1);

    [Benchmark(Description = "SingleFlightGroup.DoAsync per key")]
    public Task PerKeyGroup()
        => RunCheckedAsync(static (b, keys) => keys.Length == 1 ? PerKey(b, keys[0]) : EachKey(b, keys), expectedCalls: b => b.Load == LoadShape.SingleKeys ? 10 : 24);

    // Helpers rather than lambdas over the keys: a lambda capturing the benchmark would allocate a closure per caller
    // even on the single-key branch, and bill it to the contender.
    private static Task EachKey(BatchBenchmarks b, SingleFlightBatchGroup<int, int> group, int[] keys)
    {
        var tasks = new Task<int>[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            tasks[i] = group.DoAsync(keys[i], b._work).AsTask();
        }

        return Task.WhenAll(tasks);
    }

    private static Task EachKey(BatchBenchmarks b, int[] keys)
    {
        var tasks = new Task<int>[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            tasks[i] = PerKey(b, keys[i]);
        }

        return Task.WhenAll(tasks);
    }

    private static Task<int> PerKey(BatchBenchmarks b, int key)
        => b._perKey.DoAsync(key, (b._store, key), static (s, ct) => s.Item1.LoadOneAsync(s.Item2, ct)).AsTask();

    // expectedCalls: the calls of the work the load must produce (the gate makes them certain), or null for the window
    // rows, where a window that ends before the last caller has called (a loaded machine) splits the batch.
    private Task RunAsync(Func<BatchBenchmarks, int[], Task> call, int? expectedCalls)
        => RunCheckedAsync(call, _ => expectedCalls);

    private async Task RunCheckedAsync(Func<BatchBenchmarks, int[], Task> call, Func<BatchBenchmarks, int?> expectedCalls)
    {
        _store.Close();
        var pending = _pending;
        for (var i = 0; i < pending.Length; i++)
        {
            pending[i] = call(this, _keys[i]);
        }

        _store.Open();
        for (var i = 0; i < pending.Length; i++)
        {
            await pending[i].ConfigureAwait(false);
            Check(i, pending[i]);
            pending[i] = null!;
        }

        LastExecutions = $"{_store.Calls} call(s) of the work carrying {_store.KeysLoaded} key(s) for {pending.Length} callers";
        if (expectedCalls(this) is { } expected && (_store.Calls != expected || _store.KeysLoaded != (Load == LoadShape.SingleKeys ? 10 : 24)))
        {
            throw new InvalidOperationException($"{LastExecutions}; expected {expected} call(s) carrying every distinct key once.");
        }
        if (_many.InFlightCount + _full.InFlightCount + _windowed.InFlightCount + _perKey.InFlightCount + _loader.InFlightCount != 0)
        {
            throw new InvalidOperationException("Keys left in flight after every caller has its values.");
        }
    }

    private void Check(int caller, Task completed)
    {
        var keys = _keys[caller];
        switch (completed)
        {
            case Task<int> one when one.Result == UserStore.Expected(keys[0]):
                return;
            case Task<int[]> all when Matches(all.Result, keys):
                return;
            case Task<IReadOnlyDictionary<int, int>> many when Matches(many.Result, keys):
                return;
            default:
                throw new InvalidOperationException($"Caller {caller} received wrong values.");
        }
    }

    private static bool Matches(int[] values, int[] keys)
    {
        for (var i = 0; i < keys.Length; i++)
        {
            if (values[i] != UserStore.Expected(keys[i]))
            {
                return false;
            }
        }

        return values.Length == keys.Length;
    }

    private static bool Matches(IReadOnlyDictionary<int, int> values, int[] keys)
    {
        foreach (var key in keys)
        {
            if (!values.TryGetValue(key, out var value) || value != UserStore.Expected(key))
            {
                return false;
            }
        }

        return values.Count == keys.Length;
    }

    /// <summary>The data source: every call waits at the gate, counts itself and its keys, and answers every key.</summary>
    private sealed class BatchGate
    {
        private TaskCompletionSource _gate = new();
        private int _calls;
        private int _keys;

        public int Calls => Volatile.Read(ref _calls);

        public int KeysLoaded => Volatile.Read(ref _keys);

        public void Close()
        {
            _gate = new TaskCompletionSource();
            _calls = 0;
            _keys = 0;
        }

        public void Open() => _gate.TrySetResult();

        public async ValueTask<IReadOnlyDictionary<int, int>> LoadAsync(IReadOnlyList<int> keys, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            Interlocked.Add(ref _keys, keys.Count);
            await _gate.Task.ConfigureAwait(false);
            var result = new Dictionary<int, int>(keys.Count);
            for (var i = 0; i < keys.Count; i++)
            {
                result[keys[i]] = UserStore.Expected(keys[i]);
            }

            return result;
        }

        /// <summary>The per-key group's work: one round trip per key.</summary>
        public async ValueTask<int> LoadOneAsync(int key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            Interlocked.Increment(ref _keys);
            await _gate.Task.ConfigureAwait(false);
            return UserStore.Expected(key);
        }
    }
}
