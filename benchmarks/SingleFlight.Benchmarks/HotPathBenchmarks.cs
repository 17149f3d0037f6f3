using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Hybrid;
using SingleFlight.Benchmarks.Contenders;
using SingleFlight.Benchmarks.Contenders.BeforeHotPath;

namespace SingleFlight.Benchmarks;

/// <summary>
/// Issue 19, targets 1–2: the uncontended call before and after the hot-path work, side by side in one run. "Before" is
/// a frozen copy of the runtime as it was on main when the work started (<c>Contenders/BeforeHotPath/</c>), called the
/// way the generated wrapper calls the runtime (a state tuple, a static lambda). The last rows are the anatomy of a
/// flight: what its parts cost on their own on this machine (an uncontended compare-and-swap, a 56-byte object).
/// </summary>
[MemoryDiagnoser]
public class HotPathUncontendedBenchmarks
{
    private const int Id = UncontendedBenchmarks.Id;

    private UserRepository _repo = null!;
    private BeforeHotPathGroup<int, int> _before = null!;
    private SingleFlightGroup<int, int> _group = null!;
    private HybridCache _hybrid = null!;
    private IDisposable _hybridOwner = null!;
    private CancellationTokenSource _neverCancelled = null!;
    private object? _slot;
    private int _word;

    [GlobalSetup]
    public void Setup()
    {
        _repo = new UserRepository(new SyncStore());
        _before = new BeforeHotPathGroup<int, int>();
        _group = new SingleFlightGroup<int, int>();
        (_hybrid, _hybridOwner) = CacheContenders.CreateHybridCache();
        _neverCancelled = new CancellationTokenSource();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _hybridOwner.Dispose();
        _neverCancelled.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Direct call")]
    public ValueTask<int> Direct() => _repo.GetCoreAsync(Id, CancellationToken.None);

    [Benchmark(Description = "Generated wrapper")]
    public ValueTask<int> Generated() => _repo.GetAsync(Id);

    [Benchmark(Description = "Before: the generated wrapper's call")]
    public ValueTask<int> Before()
        => _before.DoAsync(Id, (_repo, Id), static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct));

    [Benchmark(Description = "Generated wrapper, cancellable token")]
    public ValueTask<int> GeneratedCancellable() => _repo.GetAsync(Id, _neverCancelled.Token);

    [Benchmark(Description = "Before: cancellable token")]
    public ValueTask<int> BeforeCancellable()
        => _before.DoAsync(Id, (_repo, Id), static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct), _neverCancelled.Token);

    [Benchmark(Description = "SingleFlightGroup.DoAsync")]
    public ValueTask<int> GroupDoAsync()
        => _group.DoAsync(Id, (_repo, Id), static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct));

    [Benchmark(Description = "HybridCache")]
    public ValueTask<int> Hybrid()
        => _hybrid.GetOrCreateAsync(
            "user:42",
            (_repo, Id),
            static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct),
            CacheContenders.HybridNoCaching);

    [Benchmark(Description = "Anatomy: one uncontended CAS")]
    public long OneCas() => Interlocked.CompareExchange(ref _word, _word + 1, _word);

    [Benchmark(Description = "Anatomy: three uncontended CASes")]
    public long ThreeCas()
    {
        var a = Interlocked.CompareExchange(ref _word, _word + 1, _word);
        var b = Interlocked.CompareExchange(ref _slot, this, null);
        Interlocked.CompareExchange(ref _slot, null, this);
        return a + (b is null ? 0 : 1);
    }

    [Benchmark(Description = "Anatomy: a 56-byte object")]
    public object Allocate56() => new FiftySix();

    private sealed class FiftySix
    {
#pragma warning disable CS0169, CS0649 // Only the size matters.
        private object? _a;
        private object? _b;
        private object? _c;
        private long _d;
        private long _e;
#pragma warning restore CS0169, CS0649
    }
}

/// <summary>
/// Issue 19, target 2: joiners before and after, side by side in one run. Scenario (c)'s set-up: <see cref="Callers"/>
/// callers on one key, the work held at a gate until every caller has called (so each caller after the first is a
/// joiner), no work after the gate. Throws unless the work ran exactly once.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PerCallerConfig))]
public class HotPathJoinerBenchmarks : IExecutionReport
{
    private const int Id = 42;

    private GatedStore _store = null!;
    private UserRepository _repo = null!;
    private BeforeHotPathGroup<int, int> _before = null!;
    private CancellationTokenSource _neverCancelled = null!;
    private ValueTask<int>[] _pending = null!;

    [Params(1_000)]
    public int Callers { get; set; }

    public string LastExecutions { get; private set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _store = new GatedStore { DelayMilliseconds = 0 };
        _repo = new UserRepository(_store);
        _before = new BeforeHotPathGroup<int, int>();
        _neverCancelled = new CancellationTokenSource();
        _pending = new ValueTask<int>[Callers];
    }

    [GlobalCleanup]
    public void Cleanup() => _neverCancelled.Dispose();

    [Benchmark(Baseline = true, Description = "Generated wrapper")]
    public Task Generated() => RunAsync(static b => b._repo.GetAsync(Id));

    [Benchmark(Description = "Before: no token")]
    public Task Before()
        => RunAsync(static b => b._before.DoAsync(Id, b._repo, static (r, ct) => r.GetCoreAsync(Id, ct)));

    [Benchmark(Description = "Generated wrapper, cancellable token")]
    public Task GeneratedCancellable() => RunAsync(static b => b._repo.GetAsync(Id, b._neverCancelled.Token));

    [Benchmark(Description = "Before: cancellable token")]
    public Task BeforeCancellable()
        => RunAsync(static b => b._before.DoAsync(Id, b._repo, static (r, ct) => r.GetCoreAsync(Id, ct), b._neverCancelled.Token));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private async Task RunAsync(Func<HotPathJoinerBenchmarks, ValueTask<int>> call)
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
