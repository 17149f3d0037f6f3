using System;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Hybrid;
using SingleFlight.Benchmarks.Contenders;
using SingleFlight.Benchmarks.Contenders.Previous;

namespace SingleFlight.Benchmarks;

/// <summary>
/// Scenario (c): <see cref="Callers"/> concurrent callers on one key. The work is held at a gate until every
/// caller has made its call, so the overlap is certain, not a matter of timing; after the gate it takes
/// <see cref="WorkMs"/> more (<c>Task.Delay</c>: 1 means "about a millisecond", in practice up to a few on a
/// busy machine). With 0 the time is pure fan-out overhead; with 1 it is what a user sees. One operation is
/// the whole stampede, from the first call until every caller has its result; the extra columns divide it
/// per caller. Each operation throws unless the work ran exactly once.
/// </summary>
/// <remarks>
/// FusionCache is not here: with a zero duration it does not collapse calls (20 callers, 20 executions, one
/// after another; see the quick mode's collapse check), so it would run the 1 ms work 10,000 times.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(PerCallerConfig))]
public class StampedeBenchmarks : IExecutionReport
{
    private const int Id = 42;
    private const string Key = "user:42";

    private GatedStore _store = null!;
    private UserRepository _repo = null!;
    private LazyTaskDedup<int, int> _lazy = null!;
    private PreviousSingleFlightGroup<int, int> _previous = null!;
    private HybridCache _hybrid = null!;
    private IDisposable _hybridOwner = null!;
    private CancellationTokenSource _neverCancelled = null!;
    private ValueTask<int>[] _pending = null!;

    [Params(1_000, 10_000)]
    public int Callers { get; set; }

    [Params(0, 1)]
    public int WorkMs { get; set; }

    public string LastExecutions { get; private set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _store = new GatedStore { DelayMilliseconds = WorkMs };
        _repo = new UserRepository(_store);
        _lazy = new LazyTaskDedup<int, int>();
        _previous = new PreviousSingleFlightGroup<int, int>();
        (_hybrid, _hybridOwner) = CacheContenders.CreateHybridCache();
        _neverCancelled = new CancellationTokenSource();
        _pending = new ValueTask<int>[Callers];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _hybridOwner.Dispose();
        _neverCancelled.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Generated wrapper")]
    public Task Generated() => RunAsync(static b => b._repo.GetAsync(Id));

    [Benchmark(Description = "Generated wrapper, cancellable token")]
    public Task GeneratedCancellable() => RunAsync(static b => b._repo.GetAsync(Id, b._neverCancelled.Token));

    [Benchmark(Description = "Previous runtime (DoAsync)")]
    public Task Previous()
        => RunAsync(static b => b._previous.DoAsync(Id, b._repo, static (r, ct) => r.GetCoreAsync(Id, ct)));

    [Benchmark(Description = "Previous runtime, cancellable token")]
    public Task PreviousCancellable()
        => RunAsync(static b => b._previous.DoAsync(Id, b._repo, static (r, ct) => r.GetCoreAsync(Id, ct), b._neverCancelled.Token));

    [Benchmark(Description = "CD<Lazy<Task<T>>>")]
    public Task CdLazy()
        => RunAsync(static b => b._lazy.GetAsync(Id, b._repo, static r => r.GetCoreAsync(Id, CancellationToken.None).AsTask()));

    [Benchmark(Description = "HybridCache")]
    public Task Hybrid()
        => RunAsync(static b => b._hybrid.GetOrCreateAsync(
            Key,
            b._repo,
            static (r, ct) => r.GetCoreAsync(Id, ct),
            CacheContenders.HybridNoCaching));

    [Benchmark(Description = "HybridCache, cancellable token")]
    public Task HybridCancellable()
        => RunAsync(static b => b._hybrid.GetOrCreateAsync(
            Key,
            b._repo,
            static (r, ct) => r.GetCoreAsync(Id, ct),
            CacheContenders.HybridNoCaching,
            cancellationToken: b._neverCancelled.Token));

    private async Task RunAsync(Func<StampedeBenchmarks, ValueTask<int>> call)
    {
        _store.Close();
        var pending = _pending;
        for (var i = 0; i < pending.Length; i++)
        {
            pending[i] = call(this);
        }

        _store.Open();
        var expected = UserStore.Expected(Id);
        for (var i = 0; i < pending.Length; i++)
        {
            var value = await pending[i].ConfigureAwait(false);
            pending[i] = default;
            if (value != expected)
            {
                throw new InvalidOperationException($"Caller {i} received {value}, expected {expected}.");
            }
        }

        var executions = _store.Executions;
        LastExecutions = $"{executions} execution(s) for {pending.Length} callers";
        if (executions != 1)
        {
            throw new InvalidOperationException(
                $"The work ran {executions} times for {pending.Length} concurrent callers on one key; expected once.");
        }
    }
}
