using System;
using System.Threading;
using BenchmarkDotNet.Attributes;
using SingleFlight.Benchmarks.Contenders;
using SingleFlight.Benchmarks.Contenders.Previous;

namespace SingleFlight.Benchmarks;

/// <summary>
/// Scenario (e): the blocking path. <see cref="Threads"/> dedicated threads each make
/// <see cref="CallsPerThread"/> blocking calls on one key; the work spins for <see cref="WorkUs"/>
/// microseconds. Results are per call. With 1 µs of work, blocking a joiner costs more than doing the work,
/// so no de-duplication can beat the direct call; with 50 µs it pays. Only the direct call and the
/// <see cref="Lazy{T}"/> pattern have a blocking form to compare with; the caches are async only.
/// </summary>
[MemoryDiagnoser]
public class SyncPathBenchmarks : IExecutionReport
{
    public const int Threads = 8;
    public const int CallsPerThread = 128;
    public const int Calls = Threads * CallsPerThread;
    private const int Id = 42;

    private SpinningStore _store = null!;
    private UserRepository _repo = null!;
    private LazyValueDedup<int, int> _lazy = null!;
    private ThreadGang _gang = null!;
    private Action<int> _direct = null!;
    private Action<int> _generated = null!;
    private Action<int> _cdLazy = null!;
    private Action<int> _previous = null!;
    private PreviousSingleFlightGroup<int, int> _previousGroup = null!;

    [Params(1, 50)]
    public int WorkUs { get; set; }

    public string LastExecutions { get; private set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _store = new SpinningStore { WorkMicroseconds = WorkUs };
        _repo = new UserRepository(_store);
        _lazy = new LazyValueDedup<int, int>();
        _gang = new ThreadGang(Threads);
        _direct = _ => Loop(static r => r.GetCore(Id));
        _generated = _ => Loop(static r => r.Get(Id));
        _cdLazy = _ => Loop(r => _lazy.Get(Id, r, static r => r.GetCore(Id)));
        _previousGroup = new PreviousSingleFlightGroup<int, int>();
        _previous = _ => Loop(r => _previousGroup.Do(Id, r, static r => r.GetCore(Id)));
    }

    [GlobalCleanup]
    public void Cleanup() => _gang.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls, Description = "Direct call")]
    public void Direct() => Run(_direct);

    [Benchmark(OperationsPerInvoke = Calls, Description = "Generated wrapper (Do)")]
    public void Generated() => Run(_generated);

    [Benchmark(OperationsPerInvoke = Calls, Description = "Previous runtime (Do)")]
    public void Previous() => Run(_previous);

    [Benchmark(OperationsPerInvoke = Calls, Description = "CD<Lazy<T>>")]
    public void CdLazy() => Run(_cdLazy);

    private void Run(Action<int> body)
    {
        _store.ResetExecutions();
        _gang.Run(body);
        var executions = _store.Executions;
        LastExecutions = $"{executions} execution(s) for {Calls} calls";
        if (executions < 1 || executions > Calls)
        {
            throw new InvalidOperationException($"{executions} executions for {Calls} calls.");
        }
    }

    private void Loop(Func<UserRepository, int> call)
    {
        var expected = UserStore.Expected(Id);
        for (var i = 0; i < CallsPerThread; i++)
        {
            if (call(_repo) != expected)
            {
                throw new InvalidOperationException("Wrong result.");
            }
        }
    }
}

/// <summary>Dedicated threads that run one body together per <see cref="Run"/>: no thread-pool injection delays.</summary>
public sealed class ThreadGang : IDisposable
{
    private readonly Thread[] _threads;
    private readonly Barrier _start;
    private readonly Barrier _done;
    private Action<int>? _body;
    private Exception? _failure;
    private volatile bool _stopping;

    public ThreadGang(int count)
    {
        _start = new Barrier(count + 1);
        _done = new Barrier(count + 1);
        _threads = new Thread[count];
        for (var i = 0; i < count; i++)
        {
            var index = i;
            _threads[i] = new Thread(() => Work(index)) { IsBackground = true, Name = "gang-" + index };
            _threads[i].Start();
        }
    }

    public void Run(Action<int> body)
    {
        _body = body;
        _failure = null;
        _start.SignalAndWait();
        _done.SignalAndWait();
        if (_failure is { } failure)
        {
            throw new InvalidOperationException("A gang thread failed.", failure);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _start.SignalAndWait();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _start.Dispose();
        _done.Dispose();
    }

    private void Work(int index)
    {
        while (true)
        {
            _start.SignalAndWait();
            if (_stopping)
            {
                return;
            }

            try
            {
                _body!(index);
            }
            catch (Exception ex)
            {
                _failure = ex;
            }

            _done.SignalAndWait();
        }
    }
}
