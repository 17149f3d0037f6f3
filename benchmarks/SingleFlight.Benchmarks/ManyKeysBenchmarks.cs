using System;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Hybrid;
using SingleFlight.Benchmarks.Contenders;
using SingleFlight.Benchmarks.Contenders.Previous;
using ZiggyCreatures.Caching.Fusion;

namespace SingleFlight.Benchmarks;

/// <summary>
/// Scenario (d): <see cref="Workers"/> workers on the thread pool (all cores) each make
/// <see cref="CallsPerWorker"/> calls, keys drawn at random (fixed seed) from <see cref="Keys"/> keys. The work
/// completes synchronously, so this measures how each contender's map holds up under parallel traffic on
/// many keys. Results are per call.
/// </summary>
[MemoryDiagnoser]
public class ManyKeysBenchmarks : IExecutionReport
{
    public const int Keys = 1024;
    public const int Workers = 4;
    public const int CallsPerWorker = 4096;
    public const int Calls = Workers * CallsPerWorker;

    private CountingSyncStore _store = null!;
    private UserRepository _repo = null!;
    private LazyTaskDedup<int, int> _lazy = null!;
    private PreviousSingleFlightGroup<int, int> _previous = null!;
    private HybridCache _hybrid = null!;
    private IDisposable _hybridOwner = null!;
    private FusionCache _fusion = null!;
    private string[] _stringKeys = null!;
    private int[][] _sequences = null!;
    private Func<FusionCacheFactoryExecutionContext<int>, CancellationToken, Task<int>>[] _fusionFactories = null!;

    public string LastExecutions { get; private set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _store = new CountingSyncStore();
        _repo = new UserRepository(_store);
        _lazy = new LazyTaskDedup<int, int>();
        _previous = new PreviousSingleFlightGroup<int, int>();
        (_hybrid, _hybridOwner) = CacheContenders.CreateHybridCache();
        _fusion = CacheContenders.CreateFusionCache();
        _stringKeys = CacheContenders.StringKeys(Keys);

        var random = new Random(20261125);
        _sequences = new int[Workers][];
        for (var w = 0; w < Workers; w++)
        {
            _sequences[w] = new int[CallsPerWorker];
            for (var i = 0; i < CallsPerWorker; i++)
            {
                _sequences[w][i] = random.Next(Keys);
            }
        }

        // One factory per key, made once: FusionCache takes no state argument.
        var repo = _repo;
        _fusionFactories = new Func<FusionCacheFactoryExecutionContext<int>, CancellationToken, Task<int>>[Keys];
        for (var k = 0; k < Keys; k++)
        {
            var key = k;
            _fusionFactories[k] = (_, ct) => repo.GetCoreAsync(key, ct).AsTask();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _hybridOwner.Dispose();
        _fusion.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls, Description = "Direct call")]
    public Task Direct() => RunAsync(static (b, k) => b._repo.GetCoreAsync(k, CancellationToken.None));

    [Benchmark(OperationsPerInvoke = Calls, Description = "Generated wrapper")]
    public Task Generated() => RunAsync(static (b, k) => b._repo.GetAsync(k));

    [Benchmark(OperationsPerInvoke = Calls, Description = "Previous runtime (DoAsync)")]
    public Task Previous()
        => RunAsync(static (b, k) => b._previous.DoAsync(k, (b._repo, k), static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct)));

    [Benchmark(OperationsPerInvoke = Calls, Description = "CD<Lazy<Task<T>>>")]
    public Task CdLazy()
        => RunAsync(static (b, k) => b._lazy.GetAsync(k, (b._repo, k), static s => s.Item1.GetCoreAsync(s.Item2, CancellationToken.None).AsTask()));

    [Benchmark(OperationsPerInvoke = Calls, Description = "HybridCache")]
    public Task Hybrid()
        => RunAsync(static (b, k) => b._hybrid.GetOrCreateAsync(
            b._stringKeys[k],
            (b._repo, k),
            static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct),
            CacheContenders.HybridNoCaching));

    [Benchmark(OperationsPerInvoke = Calls, Description = "FusionCache")]
    public Task Fusion()
        => RunAsync(static (b, k) => b._fusion.GetOrSetAsync<int>(b._stringKeys[k], b._fusionFactories[k], options: CacheContenders.FusionZeroDuration));

    private async Task RunAsync(Func<ManyKeysBenchmarks, int, ValueTask<int>> call)
    {
        _store.ResetExecutions();
        var workers = new Task[Workers];
        for (var w = 0; w < Workers; w++)
        {
            var sequence = _sequences[w];
            workers[w] = Task.Run(() => WorkerAsync(sequence, call));
        }

        await Task.WhenAll(workers).ConfigureAwait(false);
        var executions = _store.Executions;
        LastExecutions = $"{executions} execution(s) for {Calls} calls";
        if (executions < 1 || executions > Calls)
        {
            throw new InvalidOperationException($"{executions} executions for {Calls} calls.");
        }
    }

    private async Task WorkerAsync(int[] sequence, Func<ManyKeysBenchmarks, int, ValueTask<int>> call)
    {
        foreach (var key in sequence)
        {
            var value = await call(this, key).ConfigureAwait(false);
            if (value != UserStore.Expected(key))
            {
                throw new InvalidOperationException($"Key {key} received {value}.");
            }
        }
    }
}
