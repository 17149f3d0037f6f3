using Xunit.Abstractions;
using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

/// <summary>The essential distributed scenarios against a Redis Cluster of three primaries with a replica each.</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class ClusterScenarioTests(RedisClusterFixture fixture) : DistributedScenarios
{
    protected override ConnectionMultiplexer NewConnection() => fixture.Cluster.Connect();

    protected override void AssertSpreadOverEveryPrimary(IReadOnlyCollection<int> slots)
    {
        var primaries = slots.Select(s => fixture.Cluster.PrimaryOf(s).Id).Distinct().Count();
        Assert.Equal(3, primaries);
    }

    protected override void AssertKeySlots(IConnectionMultiplexer connection, IReadOnlyList<string> keys)
    {
        foreach (var key in keys)
        {
            // The test's own CRC16, the client's and the server's agree.
            Assert.Equal(fixture.Cluster.KeySlot(key), HashSlot.Of(key));
            Assert.Equal(connection.HashSlot(key), HashSlot.Of(key));
        }
    }
}

/// <summary>Real child processes, each with its own cluster connection.</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class ClusterMultiProcessTests(RedisClusterFixture fixture) : MultiProcessScenarios(fixture.Cluster.ConnectionString)
{
}

/// <summary>
/// A cluster that changes under running flights: a slot migrated (ASK, TRYAGAIN), a primary failed over gracefully
/// (CLUSTER FAILOVER) and one killed (the replica takes over after the node timeout). Calls must never fail or get a
/// wrong value; the cost is counted: duplicate executions and the time until flights coordinate again.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class ClusterFaultTests(RedisClusterFixture fixture, ITestOutputHelper output) : IDisposable
{
    private const string Operation = "cluster.faults";
    private readonly RedisCluster _cluster = fixture.Cluster;
    private readonly List<IDisposable> _owned = [];
    private readonly string _prefix = "sf" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        // The next test starts from a settled cluster whatever this one did.
        _cluster.WaitUntilHealthy();
    }

    private DistributedSingleFlightOptions Options() => new()
    {
        LeaseDuration = TimeSpan.FromSeconds(10),
        PollInterval = TimeSpan.FromMilliseconds(100),
        RedisTimeout = TimeSpan.FromSeconds(2),
        WaitTimeout = TimeSpan.FromSeconds(60),
        KeyPrefix = _prefix,
    };

    private DistributedSingleFlightGroup<int, string> NewProcess()
    {
        var connection = _cluster.Connect();
        _owned.Add(connection);
        var group = new DistributedSingleFlightGroup<int, string>(connection, Operation, jsonOptions: null, Options());
        _owned.Add(group);
        return group;
    }

    private int SlotOf(int key) => HashSlot.Of(HashSlot.StemOf(_prefix, Operation, key));

    [RedisFact]
    public async Task A_flight_whose_slot_migrates_while_it_completes_loses_no_call_and_its_follower_never_gets_a_stale_value()
    {
        const int key = 1;
        var slot = SlotOf(key);
        var source = _cluster.PrimaryOf(slot);
        var target = _cluster.Topology().First(n => n.IsPrimary && n.Id != source.Id && !n.Failed);
        var a = NewProcess();
        var b = NewProcess();
        var work = new GatedWork<string>();

        var leader = a.DoAsync(key, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(key, work.RunAsync).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");

        // Midway through the migration the lock has moved and the result key does not exist yet: the completion script
        // (lock + result) and the follower's poll (lock + result + interest) get ASK, then TRYAGAIN on the target,
        // until the slot is assigned. The leader completes in that window.
        // Which primary refuses depends on which key moved first: the source (the lock is still there, the interest
        // has moved) or the target (the lock has moved; the result key exists on neither).
        long TryAgainCount() => _cluster.ErrorCount(source.Server, "TRYAGAIN") + _cluster.ErrorCount(target.Server, "TRYAGAIN");
        var tryAgainBefore = TryAgainCount();
        _cluster.MigrateSlot(slot, target, midway: () =>
        {
            work.Gate.SetResult("migrated");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(1);
            while (TryAgainCount() == tryAgainBefore && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5);
            }
        });

        Assert.True(TryAgainCount() > tryAgainBefore, "a primary refused a script whose keys the migration split, at least once");
        Assert.Equal("migrated", await Bounded.Wait(leader));
        Assert.Equal("migrated", await Bounded.Wait(follower));

        // A refused completion is not sent again with its outcome (A's callers had it: the flight has ended, and an
        // outcome written later could reach calls that started after that); the key is released instead, so B may run
        // the work itself: at most one duplicate execution, never a stale value (docs/distributed.md, step 3).
        Assert.InRange(work.Executions, 1, 2);
        Assert.Equal(target.Id, _cluster.PrimaryOf(slot).Id);
    }

    [RedisFact]
    public async Task Flights_run_while_their_slot_is_resharded_back_and_forth_never_fail_and_never_get_a_wrong_value()
    {
        const int key = 2;
        var slot = SlotOf(key);
        var home = _cluster.PrimaryOf(slot);
        var away = _cluster.Topology().First(n => n.IsPrimary && n.Id != home.Id && !n.Failed);
        var report = await RunRoundsAsync(key, async () =>
        {
            // A thread of its own: the migration blocks on redis-cli, and must not hold up the thread pool the
            // flights' connections run on.
            await Task.Factory.StartNew(
                () =>
                {
                    for (var i = 0; i < 6; i++)
                    {
                        _cluster.MigrateSlot(slot, i % 2 == 0 ? away : home);
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        });

        output.WriteLine("reshard (6 migrations of the flight's slot): " + report);
        Assert.Equal(0, report.Failed);
        Assert.Equal(0, report.Wrong);
        Assert.True(report.Rounds >= 10, report.ToString());
        Assert.True(report.CoordinatedAfterFault, report.ToString());
    }

    [RedisFact]
    public async Task A_graceful_failover_of_the_flights_primary_loses_no_call()
    {
        const int key = 3;
        var slot = SlotOf(key);
        var primary = _cluster.PrimaryOf(slot);
        var replica = _cluster.ReplicaOf(primary);
        var report = await RunRoundsAsync(key, async () =>
        {
            _cluster.Cli(replica.Server, "CLUSTER", "FAILOVER");
            await UntilAsync(() => _cluster.TryPrimaryOf(slot)?.Id == replica.Id, "the replica serves the slot");
        });

        output.WriteLine("CLUSTER FAILOVER: " + report);
        Assert.Equal(0, report.Failed);
        Assert.Equal(0, report.Wrong);
        Assert.True(report.CoordinatedAfterFault, report.ToString());
    }

    [RedisFact]
    public async Task A_primary_killed_under_running_flights_loses_no_call_and_flights_coordinate_again_after_the_failover()
    {
        const int key = 4;
        var slot = SlotOf(key);
        var primary = _cluster.PrimaryOf(slot);
        var replica = _cluster.ReplicaOf(primary);
        try
        {
            // Another key the same primary serves, first used once the replica is promoted: no flight of it was
            // running at the crash, so its first flight shows when elections work again.
            var ranges = primary.Slots;
            var freshKey = Enumerable.Range(10_000, 100_000).First(k => ranges.Any(r => r.From <= SlotOf(k) && SlotOf(k) <= r.To));
            var report = await RunRoundsAsync(key, async () =>
            {
                var killing = System.Diagnostics.Stopwatch.StartNew();
                primary.Server.Stop();
                output.WriteLine($"killed in {killing.ElapsedMilliseconds} ms");
                await UntilAsync(() => _cluster.TryPrimaryOf(slot)?.Id == replica.Id, "the replica is promoted");
            }, freshKey);

            output.WriteLine("primary killed: " + report);
            Assert.Equal(0, report.Failed);
            Assert.Equal(0, report.Wrong);
            Assert.True(report.CoordinatedAfterFault, report.ToString());
            Assert.NotNull(report.FreshKey);
            Assert.Equal(0, report.FreshKey.Failed + report.FreshKey.Wrong);
            Assert.InRange(report.FreshKey.Executions, 1, 3); // at most once per process, however soon the clients learn the new topology

            // Bounded: node timeout (1 s), the promotion, the clients' view of the new topology, and for the key whose
            // flight was running at the crash, at most the rest of its lease (10 s).
            Assert.True(report.ReelectedAfter < TimeSpan.FromSeconds(20), report.ToString());
        }
        finally
        {
            // Back as a replica of the promoted node: the cluster has three primaries with a replica each again.
            primary.Server.Restart();
        }
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + RedisCluster.SettleTimeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Timed out waiting for: " + what);
            }

            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Three "processes" run flights for <paramref name="key"/>, one round after another: each round the first caller's
    /// work waits (up to 3 s) until the other two processes either wait for it or have run the work themselves, so any
    /// duplicate is one the cluster caused. After a few rounds <paramref name="fault"/> runs; rounds go on until it is
    /// over and five rounds in a row ran the work once, or 40 s have passed.
    /// </summary>
    private async Task<RoundsReport> RunRoundsAsync(int key, Func<Task> fault, int? freshKey = null)
    {
        Task<Round>? freshRound = null;
        var processes = new[] { NewProcess(), NewProcess(), NewProcess() };
        var rounds = new List<Round>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Task? faulting = null;
        TimeSpan? faultStarted = null;
        TimeSpan? faultEnded = null;
        var coordinatedInARow = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(40))
        {
            if (faulting is null && rounds.Count == 3)
            {
                faultStarted = clock.Elapsed;
                faulting = Task.Run(fault).ContinueWith(
                    t =>
                    {
                        faultEnded = clock.Elapsed;
                        return t;
                    },
                    TaskScheduler.Default).Unwrap();
                if (freshKey is { } other)
                {
                    // Alongside the rounds, as soon as the fault is over.
                    freshRound = faulting.ContinueWith(
                        _ => RunRoundAsync(processes, other, -1, clock.Elapsed - faultStarted.Value),
                        TaskScheduler.Default).Unwrap();
                }
            }

            var round = await RunRoundAsync(processes, key, rounds.Count, clock.Elapsed);
            rounds.Add(round);
            coordinatedInARow = round.IsCoordinated ? coordinatedInARow + 1 : 0;
            if (faulting is { IsCompleted: true } && coordinatedInARow >= 5)
            {
                break;
            }
        }

        if (faulting is not null)
        {
            await faulting.WaitAsync(Bounded.Timeout);
        }

        var fresh = freshRound is null ? null : await freshRound.WaitAsync(TimeSpan.FromSeconds(40));

        var afterFault = rounds.Where(r => faultStarted is not null && r.Started >= faultStarted).ToList();

        // Re-election: from the fault's start until the first round of the final run of coordinated rounds started (one
        // execution, promptly: a round that waited out a lease is not coordinated service).
        var lastUncoordinated = afterFault.LastOrDefault(r => !r.IsCoordinated);
        var firstGood = lastUncoordinated is null
            ? afterFault.FirstOrDefault()
            : afterFault.SkipWhile(r => r != lastUncoordinated).Skip(1).FirstOrDefault();
        return new RoundsReport(
            Rounds: rounds.Count,
            Failed: rounds.Sum(r => r.Failed),
            Wrong: rounds.Sum(r => r.Wrong),
            Duplicates: rounds.Sum(r => Math.Max(0, r.Executions - 1)),
            RoundsWithDuplicates: rounds.Count(r => r.Executions > 1),
            FaultTook: (faultEnded ?? clock.Elapsed) - (faultStarted ?? TimeSpan.Zero),
            ReelectedAfter: firstGood is null ? TimeSpan.MaxValue : firstGood.Started - (faultStarted ?? TimeSpan.Zero),
            CoordinatedAfterFault: faulting is { IsCompletedSuccessfully: true } && coordinatedInARow >= 5,
            LongestRound: rounds.Max(r => r.Took),
            FreshKey: fresh,
            Timeline: string.Join(" ", rounds.Select(r => $"[{(r.Started - (faultStarted ?? TimeSpan.Zero)).TotalMilliseconds:F0}ms x{r.Executions} {r.Took.TotalMilliseconds:F0}ms]")));
    }

    private static async Task<Round> RunRoundAsync(DistributedSingleFlightGroup<int, string>[] processes, int key, int number, TimeSpan started)
    {
        var expected = "round " + number;
        var executedBy = new int[processes.Length];
        var executions = 0;
        var roundClock = System.Diagnostics.Stopwatch.StartNew();

        async ValueTask<string> Work(int process, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref executedBy[process]);
            if (Interlocked.Increment(ref executions) == 1)
            {
                // The first execution of the round waits for the others to join (or to give up and run it themselves).
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
                while (DateTime.UtcNow < deadline
                    && !Enumerable.Range(0, processes.Length).All(p => p == process || processes[p].RemoteWaiterCount > 0 || Volatile.Read(ref executedBy[p]) > 0))
                {
                    await Task.Delay(5, CancellationToken.None);
                }
            }

            return expected;
        }

        var calls = new List<Task<string>>();
        calls.Add(processes[0].DoAsync(key, 0, (p, ct) => Work(p, ct)).AsTask());
        var joinDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (Volatile.Read(ref executions) == 0 && processes[0].InFlightCount > 0 && DateTime.UtcNow < joinDeadline)
        {
            await Task.Delay(2);
        }

        for (var p = 1; p < processes.Length; p++)
        {
            var process = p;
            calls.Add(processes[p].DoAsync(key, process, (state, ct) => Work(state, ct)).AsTask());
        }

        var failed = 0;
        var wrong = 0;
        foreach (var call in calls)
        {
            try
            {
                if (await call.WaitAsync(TimeSpan.FromSeconds(30)) != expected)
                {
                    wrong++;
                }
            }
            catch (Exception)
            {
                failed++;
            }
        }

        return new Round(started, executions, failed, wrong, roundClock.Elapsed);
    }

    private sealed record Round(TimeSpan Started, int Executions, int Failed, int Wrong, TimeSpan Took)
    {
        public bool IsCoordinated => Executions == 1 && Failed == 0 && Wrong == 0 && Took < TimeSpan.FromSeconds(1);
    }

    private sealed record RoundsReport(
        int Rounds,
        int Failed,
        int Wrong,
        int Duplicates,
        int RoundsWithDuplicates,
        TimeSpan FaultTook,
        TimeSpan ReelectedAfter,
        bool CoordinatedAfterFault,
        TimeSpan LongestRound,
        Round? FreshKey,
        string Timeline)
    {
        public override string ToString()
            => $"rounds={Rounds} calls={Rounds * 3} failed={Failed} wrong={Wrong} duplicate_executions={Duplicates} "
                + $"rounds_with_duplicates={RoundsWithDuplicates} fault_took={FaultTook.TotalMilliseconds:F0}ms "
                + $"reelected_after={(ReelectedAfter == TimeSpan.MaxValue ? "never" : ReelectedAfter.TotalMilliseconds.ToString("F0") + "ms")} "
                + $"longest_round={LongestRound.TotalMilliseconds:F0}ms"
                + (FreshKey is null ? string.Empty : $" fresh_key_after={FreshKey.Started.TotalMilliseconds:F0}ms fresh_key_executions={FreshKey.Executions} fresh_key_took={FreshKey.Took.TotalMilliseconds:F0}ms")
                + $"\nrounds (start relative to the fault, executions, duration): {Timeline}";
    }
}
