using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// The distributed suite's essential scenarios, written once and run against each server kind the package supports:
/// a Redis Cluster (<see cref="ClusterScenarioTests"/>) and Garnet (<see cref="GarnetScenarioTests"/>). The single
/// redis-server runs the full suite in <see cref="DistributedGroupTests"/>. Two groups on two connections stand for
/// two processes.
/// </summary>
public abstract class DistributedScenarios : IDisposable
{
    // A fixed operation name (with a fresh KeyPrefix per test, which is outside the hash tag): the slots of the
    // flights' keys are the same in every run, so a cluster test can say which primary serves them.
    // Per class: the scenario classes of different servers run in parallel, and the metric listens by operation name.
    protected string Operation => "scenarios." + GetType().Name;

    private readonly List<IDisposable> _owned = [];

    protected string KeyPrefix { get; } = "sf" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    /// <summary>A new connection to the server under test, standing for one process.</summary>
    protected abstract ConnectionMultiplexer NewConnection();

    /// <summary>Checks, on a cluster, that <paramref name="slots"/> are served by every primary; nothing elsewhere.</summary>
    protected virtual void AssertSpreadOverEveryPrimary(IReadOnlyCollection<int> slots)
    {
    }

    protected ConnectionMultiplexer Connect()
    {
        var connection = NewConnection();
        _owned.Add(connection);
        return connection;
    }

    protected DistributedSingleFlightOptions Fast(TimeSpan? lease = null, TimeSpan? poll = null) => new()
    {
        LeaseDuration = lease ?? TimeSpan.FromSeconds(30),
        PollInterval = poll ?? TimeSpan.FromMilliseconds(100),
        RedisTimeout = TimeSpan.FromSeconds(2),
        WaitTimeout = TimeSpan.FromSeconds(120),
        KeyPrefix = KeyPrefix,
    };

    protected DistributedSingleFlightGroup<TKey, TValue> Group<TKey, TValue>(
        IConnectionMultiplexer connection, DistributedSingleFlightOptions? options = null)
        where TKey : notnull
    {
        var group = new DistributedSingleFlightGroup<TKey, TValue>(connection, Operation, jsonOptions: null, options ?? Fast());
        _owned.Add(group);
        return group;
    }

    /// <summary>Every key with this test's prefix, on every primary.</summary>
    protected static async Task<List<string>> KeysAsync(IConnectionMultiplexer connection, string prefix)
    {
        var keys = new List<string>();
        foreach (var server in connection.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
            {
                keys.Add(key!);
            }
        }

        return keys;
    }

    [RedisFact]
    public async Task Concurrent_callers_on_two_connections_run_the_work_once_and_every_key_of_the_flight_is_in_one_slot()
    {
        using var metric = new RedisFlightsMetric(Operation);
        var connection = Connect();
        var a = Group<int, string>(connection);
        var b = Group<int, string>(Connect());
        var work = new GatedWork<string>();

        var callersA = Enumerable.Range(0, 10).Select(_ => a.DoAsync(7, work.RunAsync).AsTask()).ToArray();
        await Bounded.Wait(work.Started);
        var callersB = Enumerable.Range(0, 10).Select(_ => b.DoAsync(7, work.RunAsync).AsTask()).ToArray();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");

        // While the flight runs: the lock and the follower's interest; once it is over: the result.
        var during = await KeysAsync(connection, KeyPrefix);
        work.Gate.SetResult("seven");
        var results = await Bounded.Wait(Task.WhenAll(callersA.Concat(callersB)));
        var after = await KeysAsync(connection, KeyPrefix);

        Assert.All(results, r => Assert.Equal("seven", r));
        Assert.Equal(1, work.Executions);
        Assert.Equal(1, metric.Count("led"));
        Assert.Equal(1, metric.Count("received"));

        var touched = during.Concat(after).Distinct().ToList();
        var stem = HashSlot.StemOf(KeyPrefix, Operation, 7);
        Assert.Contains(stem + "lock", during);
        Assert.Contains(during, k => k.StartsWith(stem + "waiters:", StringComparison.Ordinal));
        Assert.Contains(after, k => k.StartsWith(stem + "result:", StringComparison.Ordinal));
        Assert.All(touched, k => Assert.StartsWith(stem, k));
        Assert.Single(touched.Select(HashSlot.Of).Distinct());
        AssertKeySlots(connection, touched);
    }

    [RedisTheory]
    [InlineData("}")]
    [InlineData("{}")]
    [InlineData("}{x}{")]
    public async Task A_key_with_braces_keeps_every_key_of_its_flight_in_one_slot(string key)
    {
        // A brace in the key ends the hash tag early; the flight's keys still share their stem up to it, so one slot.
        var connection = Connect();
        var a = Group<string, string>(connection);
        var b = Group<string, string>(Connect());
        var work = new GatedWork<string>();

        var leader = a.DoAsync(key, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(key, work.RunAsync).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");
        var during = await KeysAsync(connection, KeyPrefix);
        work.Gate.SetResult("braced");

        Assert.Equal("braced", await Bounded.Wait(leader));
        Assert.Equal("braced", await Bounded.Wait(follower));
        Assert.Equal(1, work.Executions);
        var touched = during.Concat(await KeysAsync(connection, KeyPrefix)).Distinct().ToList();
        Assert.Equal(3, touched.Count); // lock, interest, result
        Assert.Single(touched.Select(HashSlot.Of).Distinct());
        AssertKeySlots(connection, touched);
    }

    /// <summary>On a cluster, compares the test's own slot computation with the client's.</summary>
    protected virtual void AssertKeySlots(IConnectionMultiplexer connection, IReadOnlyList<string> keys)
    {
    }

    [RedisFact]
    public async Task Callers_started_together_on_three_connections_run_the_work_once()
    {
        var groups = new[] { Group<string, int>(Connect()), Group<string, int>(Connect()), Group<string, int>(Connect()) };
        var work = new GatedWork<int>();

        using var go = new ManualResetEventSlim();
        var callers = Enumerable.Range(0, 18)
            .Select(i => Task.Run(async () => { go.Wait(); return await groups[i % 3].DoAsync("together", work.RunAsync); }))
            .ToArray();
        go.Set();
        await Bounded.Wait(work.Started);
        await Bounded.Until(() => groups.Sum(g => g.RemoteWaiterCount) == 2, "the other two wait for the leader");

        work.Gate.SetResult(42);
        Assert.All(await Bounded.Wait(Task.WhenAll(callers)), r => Assert.Equal(42, r));
        Assert.Equal(1, work.Executions);
    }

    [RedisFact]
    public async Task A_failure_reaches_the_follower_with_type_name_and_message()
    {
        var a = Group<int, string>(Connect());
        var b = Group<int, string>(Connect());
        var work = new GatedWork<string>();

        var leader = a.DoAsync(3, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(3, work.RunAsync).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");
        work.Gate.SetException(new InvalidOperationException("no such thing"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(leader));
        var remote = await Assert.ThrowsAsync<DistributedSingleFlightException>(() => Bounded.Wait(follower));
        Assert.Equal(typeof(InvalidOperationException).FullName, remote.RemoteExceptionType);
        Assert.Equal("no such thing", remote.Message);
        Assert.Equal(1, work.Executions);
    }

    [RedisFact]
    public async Task When_the_leader_dies_the_follower_takes_over_after_the_lease_and_gets_its_own_value()
    {
        var lease = TimeSpan.FromSeconds(1);
        var leaderConnection = Connect();
        var a = Group<int, string>(leaderConnection, Fast(lease));
        var b = Group<int, string>(Connect(), Fast(lease));
        var stuck = new GatedWork<string>();
        var executionsB = 0;

        var leader = a.DoAsync(1, stuck.RunAsync).AsTask();
        await Bounded.Wait(stuck.Started);
        var follower = b.DoAsync(1, _ => { Interlocked.Increment(ref executionsB); return new ValueTask<string>("from B"); }).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");

        // A "crashes": its connection goes away, so nobody renews its lease.
        leaderConnection.Dispose();

        Assert.Equal("from B", await Bounded.Wait(follower));
        Assert.Equal(1, executionsB);
        stuck.Gate.SetResult("from A");
        Assert.Equal("from A", await Bounded.Wait(leader));
    }

    [RedisFact]
    public async Task The_announcement_reaches_followers_of_keys_on_every_primary_without_waiting_for_a_poll()
    {
        // Polls a minute apart: only the announcement can wake the follower within the test's bound.
        var options = Fast(poll: TimeSpan.FromSeconds(60));
        var a = Group<int, string>(Connect(), options);
        var b = Group<int, string>(Connect(), options);
        var keys = Enumerable.Range(100, 12).ToArray();
        AssertSpreadOverEveryPrimary(keys.Select(k => HashSlot.Of(HashSlot.StemOf(KeyPrefix, Operation, k))).Distinct().ToList());

        foreach (var key in keys)
        {
            var work = new GatedWork<string>();
            var leader = a.DoAsync(key, work.RunAsync).AsTask();
            await Bounded.Wait(work.Started);
            var follower = b.DoAsync(key, work.RunAsync).AsTask();
            await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");
            work.Gate.SetResult("v" + key);

            Assert.Equal("v" + key, await Bounded.Wait(leader));
            Assert.Equal("v" + key, await Bounded.Wait(follower));
            Assert.Equal(1, work.Executions);
        }
    }
}
