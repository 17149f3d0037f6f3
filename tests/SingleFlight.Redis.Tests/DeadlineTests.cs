using Microsoft.Extensions.Time.Testing;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// The flight deadline across processes, against the real redis-server: a leader whose work outlives the deadline
/// stops renewing its lease, cancels its work and gives the key back, so that a waiting process takes over at once.
/// The deadline runs on a <see cref="FakeTimeProvider"/>; the lease (30 s) is real time, far beyond the test's bound.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class DeadlineTests : IDisposable
{
    private readonly RedisServer _server;
    private readonly List<IDisposable> _owned = [];

    public DeadlineTests(RedisFixture fixture)
    {
        _server = fixture.Server;
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private static DistributedSingleFlightOptions Options(FakeTimeProvider? clock = null, TimeSpan? deadline = null) => new()
    {
        LeaseDuration = TimeSpan.FromSeconds(30),
        PollInterval = TimeSpan.FromMilliseconds(100),
        RedisTimeout = TimeSpan.FromSeconds(2),
        WaitTimeout = TimeSpan.FromSeconds(60),
        Deadline = deadline,
        TimeProvider = clock ?? (TimeProvider)TimeProvider.System,
    };

    private DistributedSingleFlightGroup<int, string> Group(string operation, DistributedSingleFlightOptions options)
    {
        var connection = _server.Connect();
        _owned.Add(connection);
        var group = new DistributedSingleFlightGroup<int, string>(connection, operation, jsonOptions: null, options);
        _owned.Add(group);
        return group;
    }

    [RedisFact]
    public async Task A_leader_past_its_deadline_releases_the_key_and_the_waiting_process_takes_over()
    {
        var operation = "deadline-" + Guid.NewGuid().ToString("N");
        using var metric = new RedisFlightsMetric(operation);
        var clock = new FakeTimeProvider();
        var a = Group(operation, Options(clock, TimeSpan.FromSeconds(2)));
        var b = Group(operation, Options());

        // Work that ignores its token and never ends: a dead connection without a timeout.
        var hung = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var leader = a.DoAsync(7, ct => { started.TrySetResult(ct); return new ValueTask<string>(hung.Task); }).AsTask();
        var workToken = await Bounded.Wait(started.Task);
        var ranInB = 0;
        var follower = b.DoAsync(7, _ => { Interlocked.Increment(ref ranInB); return new ValueTask<string>("b"); }).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");

        clock.Advance(TimeSpan.FromSeconds(2));

        var error = await Assert.ThrowsAsync<SingleFlightDeadlineExceededException>(() => Bounded.Wait(leader));
        Assert.Equal(operation, error.Operation);
        Assert.Equal(0, a.InFlightCount);

        // B is released long before A's 30 s lease would have run out, and runs the work itself.
        Assert.Equal("b", await Bounded.Wait(follower));
        Assert.Equal(1, ranInB);
        await Bounded.Until(() => workToken.IsCancellationRequested, "A's work token is cancelled");
        await Bounded.Until(() => metric.Count("deadline_exceeded") == 1, "A's leader records the deadline");

        // The key is free: a fresh flight in A leads and completes.
        var lockKey = "singleflight:{o" + operation.Length + ":" + operation + DistributedKey.Encode(7) + "}:lock";
        var db = _server.Connect().GetDatabase();
        Assert.False(await db.KeyExistsAsync(lockKey));
        Assert.Equal("fresh", await Bounded.Wait(a.DoAsync(7, _ => new ValueTask<string>("fresh"))));

        hung.SetResult("late");
    }

    [RedisFact]
    public async Task A_leader_that_finishes_in_time_shares_its_result_as_without_a_deadline()
    {
        var operation = "deadline-" + Guid.NewGuid().ToString("N");
        var clock = new FakeTimeProvider();
        var a = Group(operation, Options(clock, TimeSpan.FromSeconds(2)));
        var b = Group(operation, Options(clock, TimeSpan.FromSeconds(2)));
        var work = new GatedWork<string>();

        var leader = a.DoAsync(3, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(3, work.RunAsync).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");
        clock.Advance(TimeSpan.FromSeconds(1));
        work.Gate.SetResult("three");

        Assert.Equal("three", await Bounded.Wait(leader));
        Assert.Equal("three", await Bounded.Wait(follower));
        Assert.Equal(1, work.Executions);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, a.InFlightCount + b.InFlightCount);
    }

    [RedisFact]
    public void Deadline_options_outside_their_range_are_refused()
    {
        var connection = _server.Connect();
        _owned.Add(connection);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSingleFlightGroup<int, string>(
            connection, "op", jsonOptions: null, new DistributedSingleFlightOptions { Deadline = TimeSpan.Zero }));
        Assert.Equal("Deadline", error.ParamName);
    }
}
