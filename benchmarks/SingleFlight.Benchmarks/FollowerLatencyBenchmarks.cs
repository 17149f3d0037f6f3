using System;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using SingleFlight.Redis;
using StackExchange.Redis;

namespace SingleFlight.Benchmarks;

/// <summary>
/// Scenario (g), the follower's side: how long after the leader's work completes another process holds the value.
/// Each operation is one flight whose set-up runs outside the measurement (<see cref="IterationSetup"/>): process A
/// leads and its work waits at a gate; process B (its own multiplexer, a poll interval of five minutes, so only the
/// announcement can wake it in time) is waiting for A's flight and has registered its interest in Redis. The measured
/// part opens A's gate and ends when B has the value. Opt-in like <see cref="DistributedBenchmarks"/>; with
/// <see cref="AddedLatencyMs"/> &gt; 0 every Redis reply is held that long (<see cref="LatencyProxy"/>), so the time
/// divided by it counts round trips.
/// </summary>
[MemoryDiagnoser]
[RequiresRedis]
[InvocationCount(1, 1)]
public class FollowerLatencyBenchmarks
{
    private const string Operation = "bench-follower";

    private LatencyProxy? _proxy;
    private ConnectionMultiplexer _processA = null!;
    private ConnectionMultiplexer _processB = null!;
    private DistributedSingleFlightGroup<int, int> _leader = null!;
    private DistributedSingleFlightGroup<int, int> _follower = null!;
    private IDatabase _db = null!;
    private string _prefix = null!;
    private int _key;
    private string? _holder;
    private TaskCompletionSource<int> _gate = null!;
    private Task<int> _leading = null!;
    private Task<int> _following = null!;

    /// <summary>Milliseconds added to every Redis reply (0: none).</summary>
    [Params(0, 50)]
    public int AddedLatencyMs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var configuration = LatencyProxy.Configure(AddedLatencyMs, out _proxy);
        _processA = ConnectionMultiplexer.Connect(configuration);
        _processB = ConnectionMultiplexer.Connect(configuration);
        _db = _processA.GetDatabase();
        _prefix = "sfbench-" + Guid.NewGuid().ToString("N");
        _leader = new DistributedSingleFlightGroup<int, int>(_processA, Operation, jsonOptions: null, new DistributedSingleFlightOptions { KeyPrefix = _prefix });
        _follower = new DistributedSingleFlightGroup<int, int>(
            _processB,
            Operation,
            jsonOptions: null,
            new DistributedSingleFlightOptions { KeyPrefix = _prefix, PollInterval = TimeSpan.FromMinutes(5), WaitTimeout = TimeSpan.FromMinutes(10) });

        // The test seam WaitingHook is internal: set once here, by reflection, outside any timed section.
        typeof(DistributedSingleFlightGroup<int, int>)
            .GetProperty("WaitingHook", BindingFlags.NonPublic | BindingFlags.Instance)!
            .SetValue(_follower, (Action<string>)(holder => Volatile.Write(ref _holder, holder)));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _leader.Dispose();
        _follower.Dispose();
        _processB.Dispose();
        _processA.Dispose();
        _proxy?.Dispose();
    }

    [IterationSetup]
    public void StartFlight()
    {
        var key = ++_key;
        _holder = null;
        _gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = _gate;
        _leading = _leader.DoAsync(key, async _ =>
        {
            started.SetResult();
            return await gate.Task.ConfigureAwait(false);
        }).AsTask();
        started.Task.Wait(TimeSpan.FromMinutes(1));
        _following = _follower.DoAsync(key, static _ => new ValueTask<int>(-1)).AsTask();

        // B has registered its interest once A's flight has a waiters key (B's first poll wrote it).
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var holder = Volatile.Read(ref _holder);
            if (holder is not null
                && _db.KeyExists($"{_prefix}:{{o{Operation.Length}:{Operation}{DistributedKey.Encode(key)}}}:waiters:{holder}"))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The follower never registered its interest in the leader's flight.");
            }

            Thread.Sleep(1);
        }
    }

    [Benchmark(Description = "Leader's work completes -> follower has the value")]
    public int FollowerReceives()
    {
        var value = Contenders.UserStore.Expected(UncontendedBenchmarks.Id);
        _gate.SetResult(value);
        var received = _following.GetAwaiter().GetResult();
        if (received != value)
        {
            throw new InvalidOperationException($"The follower got {received}, not the leader's {value}: it ran the work itself.");
        }

        return received;
    }

    [IterationCleanup]
    public void EndFlight() => _leading.GetAwaiter().GetResult();
}
