using System;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Hybrid;
using SingleFlight.Benchmarks.Contenders;
using SingleFlight.Benchmarks.Contenders.BeforeLifetime;
using SingleFlight.Benchmarks.Contenders.Previous;
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
    private PreviousSingleFlightGroup<int, int> _previous = null!;
    private BeforeLifetimeGroup<int, int> _beforeLifetime = null!;
    private SingleFlightGroup<int, int> _withDeadline = null!;
    private SingleFlightGroup<int, int> _withShareFor = null!;
    private LazyTaskDedup<int, int> _lazy = null!;
    private HybridCache _hybrid = null!;
    private IDisposable _hybridOwner = null!;
    private FusionCache _fusion = null!;
    private Func<FusionCacheFactoryExecutionContext<int>, CancellationToken, Task<int>> _fusionFactory = null!;
    private CancellationTokenSource _neverCancelled = null!;

    protected abstract UserStore CreateStore();

    [GlobalSetup]
    public void Setup()
    {
        _repo = new UserRepository(CreateStore());
        _group = new SingleFlightGroup<int, int>();
        _previous = new PreviousSingleFlightGroup<int, int>();
        _beforeLifetime = new BeforeLifetimeGroup<int, int>();

        // Issue 17's options, to show what they cost when used: a deadline (a timer per flight), and a share window long
        // enough that every call after the first takes the kept value.
        _withDeadline = new SingleFlightGroup<int, int> { Deadline = TimeSpan.FromSeconds(30) };
        _withShareFor = new SingleFlightGroup<int, int> { ShareFor = TimeSpan.FromDays(1) };
        _lazy = new LazyTaskDedup<int, int>();
        (_hybrid, _hybridOwner) = CacheContenders.CreateHybridCache();
        _fusion = CacheContenders.CreateFusionCache();
        _neverCancelled = new CancellationTokenSource();

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
        _neverCancelled.Dispose();
    }

    protected ValueTask<int> CallDirect() => _repo.GetCoreAsync(Id, CancellationToken.None);

    protected ValueTask<int> CallGenerated() => _repo.GetAsync(Id);

    // What a web app mostly passes (HttpContext.RequestAborted): a token that can cancel. The flight then
    // needs a CancellationTokenSource of its own for the work (SPEC §3 rule 4).
    protected ValueTask<int> CallGeneratedCancellable() => _repo.GetAsync(Id, _neverCancelled.Token);

    protected ValueTask<int> CallGroup()
        => _group.DoAsync(Id, (_repo, Id), static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct));

    // The runtime as it was before issue 17, frozen (Contenders/BeforeLifetime/): the same call as CallGroup.
    protected ValueTask<int> CallBeforeLifetime()
        => _beforeLifetime.DoAsync(Id, (_repo, Id), static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct));

    protected ValueTask<int> CallWithDeadline()
        => _withDeadline.DoAsync(Id, (_repo, Id), static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct));

    protected ValueTask<int> CallWithShareFor()
        => _withShareFor.DoAsync(Id, (_repo, Id), static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct));

    protected ValueTask<int> CallPrevious()
        => _previous.DoAsync(Id, (_repo, Id), static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct));

    protected ValueTask<int> CallCdLazy()
        => _lazy.GetAsync(Id, (_repo, Id), static s => s.Item1.GetCoreAsync(s.Item2, CancellationToken.None).AsTask());

    protected ValueTask<int> CallHybrid()
        => _hybrid.GetOrCreateAsync(
            Key,
            (_repo, Id),
            static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct),
            CacheContenders.HybridNoCaching);

    protected ValueTask<int> CallFusion()
        => _fusion.GetOrSetAsync<int>(Key, _fusionFactory, options: CacheContenders.FusionZeroDuration);
}

/// <summary>
/// Scenario (a): the work completes synchronously, so the numbers are pure overhead. One call per
/// operation; BenchmarkDotNet reads the completed <see cref="ValueTask{TResult}"/>.
/// </summary>
public class UncontendedSyncBenchmarks : UncontendedBenchmarks
{
    protected override UserStore CreateStore() => new SyncStore();

    [Benchmark(Baseline = true, Description = "Direct call")]
    public ValueTask<int> Direct() => CallDirect();

    [Benchmark(Description = "Generated wrapper")]
    public ValueTask<int> Generated() => CallGenerated();

    [Benchmark(Description = "Generated wrapper, cancellable token")]
    public ValueTask<int> GeneratedCancellable() => CallGeneratedCancellable();

    [Benchmark(Description = "SingleFlightGroup.DoAsync")]
    public ValueTask<int> GroupDoAsync() => CallGroup();

    [Benchmark(Description = "Before issue 17 (DoAsync)")]
    public ValueTask<int> BeforeLifetime() => CallBeforeLifetime();

    [Benchmark(Description = "DoAsync, Deadline set")]
    public ValueTask<int> WithDeadline() => CallWithDeadline();

    [Benchmark(Description = "DoAsync, ShareFor set (kept value)")]
    public ValueTask<int> WithShareFor() => CallWithShareFor();

    [Benchmark(Description = "Previous runtime (DoAsync)")]
    public ValueTask<int> Previous() => CallPrevious();

    [Benchmark(Description = "CD<Lazy<Task<T>>>")]
    public ValueTask<int> CdLazy() => CallCdLazy();

    [Benchmark(Description = "HybridCache")]
    public ValueTask<int> Hybrid() => CallHybrid();

    [Benchmark(Description = "FusionCache")]
    public ValueTask<int> Fusion() => CallFusion();
}

/// <summary>
/// Scenario (b): the work completes asynchronously (<c>await Task.Yield()</c>). Each operation awaits
/// <see cref="Calls"/> calls one after another inside one async method, so that after the first hop the
/// calls run on a busy thread-pool thread: a single call per operation mostly measures how long a sleeping
/// pool thread takes to wake up, which on a shared 2-core machine varies by 10×. Results are per call.
/// </summary>
public class UncontendedAsyncBenchmarks : UncontendedBenchmarks
{
    public const int Calls = 64;

    protected override UserStore CreateStore() => new YieldingStore();

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls, Description = "Direct call")]
    public async Task<int> Direct()
    {
        var last = 0;
        for (var i = 0; i < Calls; i++)
        {
            last = await CallDirect().ConfigureAwait(false);
        }

        return last;
    }

    [Benchmark(OperationsPerInvoke = Calls, Description = "Generated wrapper")]
    public async Task<int> Generated()
    {
        var last = 0;
        for (var i = 0; i < Calls; i++)
        {
            last = await CallGenerated().ConfigureAwait(false);
        }

        return last;
    }

    [Benchmark(OperationsPerInvoke = Calls, Description = "SingleFlightGroup.DoAsync")]
    public async Task<int> GroupDoAsync()
    {
        var last = 0;
        for (var i = 0; i < Calls; i++)
        {
            last = await CallGroup().ConfigureAwait(false);
        }

        return last;
    }

    [Benchmark(OperationsPerInvoke = Calls, Description = "Previous runtime (DoAsync)")]
    public async Task<int> Previous()
    {
        var last = 0;
        for (var i = 0; i < Calls; i++)
        {
            last = await CallPrevious().ConfigureAwait(false);
        }

        return last;
    }

    [Benchmark(OperationsPerInvoke = Calls, Description = "CD<Lazy<Task<T>>>")]
    public async Task<int> CdLazy()
    {
        var last = 0;
        for (var i = 0; i < Calls; i++)
        {
            last = await CallCdLazy().ConfigureAwait(false);
        }

        return last;
    }

    [Benchmark(OperationsPerInvoke = Calls, Description = "HybridCache")]
    public async Task<int> Hybrid()
    {
        var last = 0;
        for (var i = 0; i < Calls; i++)
        {
            last = await CallHybrid().ConfigureAwait(false);
        }

        return last;
    }

    [Benchmark(OperationsPerInvoke = Calls, Description = "FusionCache")]
    public async Task<int> Fusion()
    {
        var last = 0;
        for (var i = 0; i < Calls; i++)
        {
            last = await CallFusion().ConfigureAwait(false);
        }

        return last;
    }
}
