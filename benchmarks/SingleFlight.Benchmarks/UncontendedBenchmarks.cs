using System;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Hybrid;
using SingleFlight.Benchmarks.Contenders;
using ZiggyCreatures.Caching.Fusion;

namespace SingleFlight.Benchmarks;

/// <summary>
/// One caller, one key, nothing else running: what a call costs each contender on top of the work itself.
/// Every contender calls the same core method through the same virtual call on the store.
/// </summary>
[MemoryDiagnoser]
public abstract class UncontendedBenchmarks
{
    internal const int Id = 42;
    private const string Key = "user:42";

    private UserRepository _repo = null!;
    private SingleFlightGroup<int, int> _group = null!;
    private LazyTaskDedup<int, int> _lazy = null!;
    private HybridCache _hybrid = null!;
    private IDisposable _hybridOwner = null!;
    private FusionCache _fusion = null!;
    private Func<FusionCacheFactoryExecutionContext<int>, CancellationToken, Task<int>> _fusionFactory = null!;

    protected abstract UserStore CreateStore();

    [GlobalSetup]
    public void Setup()
    {
        _repo = new UserRepository(CreateStore());
        _group = new SingleFlightGroup<int, int>();
        _lazy = new LazyTaskDedup<int, int>();
        (_hybrid, _hybridOwner) = CacheContenders.CreateHybridCache();
        _fusion = CacheContenders.CreateFusionCache();

        // FusionCache takes no state argument: the factory is made once here, so the benchmark does not
        // charge FusionCache for a closure the user could cache too.
        var repo = _repo;
        _fusionFactory = (_, ct) => repo.GetCoreAsync(Id, ct).AsTask();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _hybridOwner.Dispose();
        _fusion.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Direct call")]
    public ValueTask<int> Direct() => _repo.GetCoreAsync(Id, CancellationToken.None);

    [Benchmark(Description = "Generated wrapper")]
    public ValueTask<int> Generated() => _repo.GetAsync(Id);

    [Benchmark(Description = "SingleFlightGroup.DoAsync")]
    public ValueTask<int> GroupDoAsync()
        => _group.DoAsync(Id, (_repo, Id), static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct));

    [Benchmark(Description = "CD<Lazy<Task<T>>>")]
    public ValueTask<int> CdLazy()
        => _lazy.GetAsync(Id, (_repo, Id), static s => s.Item1.GetCoreAsync(s.Item2, CancellationToken.None).AsTask());

    [Benchmark(Description = "HybridCache")]
    public ValueTask<int> Hybrid()
        => _hybrid.GetOrCreateAsync(
            Key,
            (_repo, Id),
            static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct),
            CacheContenders.HybridNoCaching);

    [Benchmark(Description = "FusionCache")]
    public ValueTask<int> Fusion()
        => _fusion.GetOrSetAsync<int>(Key, _fusionFactory, options: CacheContenders.FusionZeroDuration);
}

/// <summary>Scenario (a): the work completes synchronously, so the numbers are pure overhead.</summary>
public class UncontendedSyncBenchmarks : UncontendedBenchmarks
{
    protected override UserStore CreateStore() => new SyncStore();
}

/// <summary>Scenario (b): the work completes asynchronously (<c>await Task.Yield()</c>).</summary>
public class UncontendedAsyncBenchmarks : UncontendedBenchmarks
{
    protected override UserStore CreateStore() => new YieldingStore();
}
