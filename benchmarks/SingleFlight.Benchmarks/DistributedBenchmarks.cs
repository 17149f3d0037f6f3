using System;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using SingleFlight.Benchmarks.Contenders;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SingleFlight.Redis;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Locking.Distributed.Redis;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace SingleFlight.Benchmarks;

/// <summary>
/// Scenario (g): the distributed path (<c>src/Redis</c>) against a real Redis, side by side with a <c>PING</c> round
/// trip (the baseline) and the in-process group. Opt-in: runs only with <c>SINGLEFLIGHT_REDIS=HOST:PORT</c> (or
/// <c>--redis HOST:PORT</c>); skipped otherwise. One call per operation, awaited; the work completes synchronously,
/// so the numbers are overhead. The same key every time, one call after another: each call is a full flight (the
/// election script, then the completion script, which releases the key).
/// </summary>
/// <remarks>
/// <para>
/// <see cref="AddedLatencyMs"/> &gt; 0 puts a <see cref="LatencyProxy"/> between the benchmark and Redis that holds
/// every reply that long: a row's time divided by the <c>PING</c> row's then counts the round trips the call waits
/// for, and the machine's load hardly moves it. With 0 the rows are the plain loopback figures.
/// </para>
/// <para>
/// The FusionCache row is what a user would pick instead for stampede protection across nodes: FusionCache with a
/// Redis second level (Microsoft.Extensions.Caching.StackExchangeRedis) and its Redis distributed locker, on the same
/// Redis. Every call uses a new key, so every call is a miss that takes the distributed lock, runs the factory and
/// writes the entry: the path a stampede's leader takes.
/// </para>
/// </remarks>
/// <remarks>
/// The cross-process row is a whole flight seen from two processes (two groups on two multiplexers): A is elected
/// and its work waits until B is waiting for A's flight; then A's work completes and B receives the value. It is not
/// the latency from A's completion to B's value; <c>benchmarks/RedisOverhead</c> measures that (docs/distributed.md).
/// </remarks>
[MemoryDiagnoser]
[RequiresRedis]
public class DistributedBenchmarks
{
    private const int Id = 42;

    // The election script of DistributedSingleFlightGroup, run on its own for reference.
    private const string AcquireScript = """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return ARGV[1] end
        return redis.call('GET', KEYS[1])
        """;

    private ConnectionMultiplexer _redis = null!;
    private ConnectionMultiplexer _otherProcess = null!;
    private IDatabase _db = null!;
    private UserRepository _repo = null!;
    private SingleFlightGroup<int, int> _local = null!;
    private DistributedSingleFlightGroup<int, int> _leader = null!;
    private DistributedSingleFlightGroup<int, int> _follower = null!;
    private string _prefix = null!;
    private RedisValue _token;
    private byte[] _acquireHash = null!;
    private long _electionKeys;
    private TaskCompletionSource<int> _gate = null!;
    private TaskCompletionSource _started = null!;
    private TaskCompletionSource _followerWaiting = null!;
    private LatencyProxy? _proxy;
    private FusionCache _fusion = null!;
    private long _fusionKeys;
    private Func<FusionCacheFactoryExecutionContext<int>, CancellationToken, Task<int>> _fusionFactory = null!;

    /// <summary>Milliseconds added to every Redis reply (0: none).</summary>
    [Params(0, 50)]
    public int AddedLatencyMs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var configuration = LatencyProxy.Configure(AddedLatencyMs, out _proxy);
        _redis = ConnectionMultiplexer.Connect(configuration);
        _otherProcess = ConnectionMultiplexer.Connect(configuration);
        _db = _redis.GetDatabase();
        _repo = new UserRepository(new SyncStore());
        _local = new SingleFlightGroup<int, int>();

        // A fresh prefix per run: runs never see each other's keys.
        _prefix = "sfbench-" + Guid.NewGuid().ToString("N");
        var options = new DistributedSingleFlightOptions { KeyPrefix = _prefix };
        _leader = new DistributedSingleFlightGroup<int, int>(_redis, "bench", jsonOptions: null, options);

        // The follower stands for another process. Its poll interval is long, so it learns of the leader's
        // completion from the PUBLISH message (or from its first poll), not from a later poll.
        _follower = new DistributedSingleFlightGroup<int, int>(
            _otherProcess,
            "bench",
            jsonOptions: null,
            new DistributedSingleFlightOptions { KeyPrefix = _prefix, PollInterval = TimeSpan.FromSeconds(5) });

        // The test seam WaitingHook is internal: set once here, by reflection, outside any timed section.
        typeof(DistributedSingleFlightGroup<int, int>)
            .GetProperty("WaitingHook", BindingFlags.NonPublic | BindingFlags.Instance)!
            .SetValue(_follower, (Action<string>)(_ => _followerWaiting.TrySetResult()));

        _token = Guid.NewGuid().ToString("N");

        // The same script by its SHA-1, as the group sends its own: run once by text, which loads it on the server.
        _acquireHash = System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(AcquireScript));
        _db.ScriptEvaluate(AcquireScript, [_prefix + ":raw:load"], [_token, 1000]);

        var redis = _redis;
        var repo = _repo;
        _fusionFactory = (_, ct) => repo.GetCoreAsync(Id, ct).AsTask();
        _fusion = new FusionCache(new FusionCacheOptions
        {
            CacheName = _prefix,
            CacheKeyPrefix = _prefix + ":fusion:",
            DefaultEntryOptions = new FusionCacheEntryOptions { Duration = TimeSpan.FromSeconds(30) },
        });
        _fusion.SetupDistributedCache(
            new RedisCache(new RedisCacheOptions { ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(redis) }),
            new FusionCacheSystemTextJsonSerializer());
        _fusion.SetupDistributedLocker(new RedisDistributedLocker(
            Options.Create(new RedisDistributedLockerOptions { ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(redis) }),
            NullLogger<RedisDistributedLocker>.Instance));

        // The leader rows mean nothing if the group quietly fell back to in-process coalescing: one flight must
        // leave its result in Redis.
        if (Leader().AsTask().GetAwaiter().GetResult() != UserStore.Expected(Id)
            || (long)_db.ScriptEvaluate("return #redis.call('KEYS', ARGV[1])", values: [_prefix + ":*result:*"]) == 0)
        {
            throw new InvalidOperationException("The distributed group did not write its result to Redis: it ran without Redis.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fusion.Dispose();
        _leader.Dispose();
        _follower.Dispose();
        _otherProcess.Dispose();
        _redis.Dispose();
        _proxy?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "PING round trip")]
    public Task<TimeSpan> Ping() => _db.PingAsync();

    [Benchmark(Description = "Election script alone (EVALSHA)")]
    // By text: StackExchange.Redis sends EVALSHA once it has loaded the script, through an async wrapper of its own.
    public Task<RedisResult> Election()
        => _db.ScriptEvaluateAsync(
            AcquireScript,
            [_prefix + ":raw:" + Interlocked.Increment(ref _electionKeys)],
            [_token, 1000]);

    [Benchmark(Description = "Election script alone, by hash (EVALSHA)")]
    public Task<RedisResult> ElectionByHash()
        => _db.ScriptEvaluateAsync(
            _acquireHash,
            [_prefix + ":raw:" + Interlocked.Increment(ref _electionKeys)],
            [_token, 1000]);

    [Benchmark(Description = "In-process SingleFlightGroup.DoAsync")]
    public ValueTask<int> Local()
        => _local.DoAsync(Id, (_repo, Id), static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct));

    [Benchmark(Description = "Distributed DoAsync, uncontended leader")]
    public ValueTask<int> Leader()
        => _leader.DoAsync(Id, (_repo, Id), static (s, ct) => s.Item1.GetCoreAsync(s.Item2, ct));

    [Benchmark(Description = "FusionCache + Redis L2 + distributed locker, miss")]
    public ValueTask<int> FusionCacheDistributed()
        => _fusion.GetOrSetAsync<int>("k" + Interlocked.Increment(ref _fusionKeys), _fusionFactory, options: _fusion.DefaultEntryOptions);

    [Benchmark(Description = "Cross-process flight: leader + 1 follower")]
    public async Task<int> LeaderAndFollower()
    {
        _gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _followerWaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var leader = _leader.DoAsync(Id, this, static async (b, _) =>
        {
            b._started.SetResult();
            return await b._gate.Task.ConfigureAwait(false);
        });

        // Started: the leader holds the key, so the follower cannot be elected.
        await _started.Task.ConfigureAwait(false);
        var follower = _follower.DoAsync(Id, static _ => new ValueTask<int>(-1));
        await _followerWaiting.Task.ConfigureAwait(false);
        _gate.SetResult(UserStore.Expected(Id));

        var received = await follower.ConfigureAwait(false);
        var led = await leader.ConfigureAwait(false);
        if (received != led)
        {
            throw new InvalidOperationException($"The follower received {received}, the leader returned {led}: it ran the work itself.");
        }

        return received;
    }
}
