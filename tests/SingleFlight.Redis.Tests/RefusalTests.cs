using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// Commands a Redis Cluster refuses for now (<c>CLUSTERDOWN</c>, <c>TRYAGAIN</c>) are sent again; here the refusals
/// come from <see cref="RefusingConnection"/> at chosen moments, on a single node.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RefusalTests : IDisposable
{
    private readonly RedisServer _server;
    private readonly List<IDisposable> _owned = [];

    public RefusalTests(RedisFixture fixture)
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

    private static readonly TimeSpan RedisTimeout = TimeSpan.FromMilliseconds(300);

    private static DistributedSingleFlightOptions Options() => new()
    {
        LeaseDuration = TimeSpan.FromSeconds(30),
        PollInterval = TimeSpan.FromMilliseconds(50),
        RedisTimeout = RedisTimeout,
        WaitTimeout = TimeSpan.FromSeconds(60),
    };

    private ConnectionMultiplexer Connect()
    {
        var connection = _server.Connect();
        _owned.Add(connection);
        return connection;
    }

    private static RedisKey LockOf(string operation, int key)
        => "singleflight:{o" + operation.Length + ":" + operation + DistributedKey.Encode(key) + "}:lock";

    [RedisFact]
    public async Task An_election_refused_again_after_an_earlier_refusal_in_the_same_flight_is_sent_again()
    {
        var operation = "test-" + Guid.NewGuid().ToString("N");
        using var metric = new RedisFlightsMetric(operation);
        var raw = Connect();
        var (connection, rules) = RefusingConnection.Wrap(Connect());
        var group = new DistributedSingleFlightGroup<int, string>(connection, operation, TestJson.Default.String, Options());
        _owned.Add(group);

        // Another process holds the key: the flight's first election is refused once, then sent again, and finds it.
        var other = Guid.NewGuid().ToString("N");
        Assert.True(await raw.GetDatabase().StringSetAsync(LockOf(operation, 1), other, TimeSpan.FromSeconds(60)));
        var waiting = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        group.WaitingHook = holder => waiting.TrySetResult(holder);
        rules.Refuse(RefusingConnection.Election, 1);
        var call = group.DoAsync(1, static _ => new ValueTask<string>("ran here")).AsTask();
        Assert.Equal(other, await Bounded.Wait(waiting.Task));
        Assert.Equal(1, rules.Refused(RefusingConnection.Election));

        // Long after that refusal (more than RedisTimeout: elapsed time is what the budget measures), the other process
        // gives the key up without a result, and the cluster refuses the next election once more.
        await Task.Delay(RedisTimeout * 2);
        rules.Refuse(RefusingConnection.Election, 1);
        await raw.GetDatabase().KeyDeleteAsync(LockOf(operation, 1));

        // The refusal is retried like the first: the flight wins the key and leads, rather than falling back.
        Assert.Equal("ran here", await Bounded.Wait(call));
        Assert.Equal(2, rules.Refused(RefusingConnection.Election));
        Assert.Equal(0, metric.Count(RedisTelemetry.LocalFallback));
        Assert.Equal(1, metric.Count(RedisTelemetry.Led));
    }

    [RedisFact]
    public async Task A_call_that_starts_after_a_flight_whose_completion_the_cluster_refused_runs_the_work_again()
    {
        var operation = "test-" + Guid.NewGuid().ToString("N");
        var (connection, rules) = RefusingConnection.Wrap(Connect());
        var group = new DistributedSingleFlightGroup<int, string>(connection, operation, TestJson.Default.String, Options());
        _owned.Add(group);

        // The first flight's callers have its outcome as soon as its completion is sent; its reply is held back.
        var completion = rules.Hold(RefusingConnection.Completion);
        Assert.Equal("first", await Bounded.Wait(group.DoAsync(1, static _ => new ValueTask<string>("first"))));

        // A call that starts after that: its election is sent after the completion, which the cluster then refuses, so
        // the election found the first flight's lock still there.
        var answered = rules.Answered(RefusingConnection.Election);
        var second = group.DoAsync(1, static _ => new ValueTask<string>("second")).AsTask();
        await Bounded.Wait(answered);
        completion.SetException(RefusingDatabase.ClusterDown());

        // The completion is sent again and runs; the later call still gets a flight of its own (semantics.md rule 2: no
        // caching), not the outcome of the flight that ended before it started.
        Assert.Equal("second", await Bounded.Wait(second));
    }

    [RedisFact]
    public async Task A_refused_completion_is_not_sent_again_with_its_outcome_to_a_process_that_came_after_the_flight_ended()
    {
        var operation = "test-" + Guid.NewGuid().ToString("N");
        var (connectionA, rules) = RefusingConnection.Wrap(Connect());
        var a = new DistributedSingleFlightGroup<int, string>(connectionA, operation, TestJson.Default.String, Options());
        var b = new DistributedSingleFlightGroup<int, string>(Connect(), operation, TestJson.Default.String, Options());
        _owned.Add(a);
        _owned.Add(b);

        // A's flight ends for A's callers as soon as its completion is sent; the completion's reply is held back.
        var completion = rules.Hold(RefusingConnection.Completion);
        Assert.Equal("first", await Bounded.Wait(a.DoAsync(1, static _ => new ValueTask<string>("first"))));

        // B's call starts after that flight ended, finds its lock still held (the completion has not run) and waits.
        var second = b.DoAsync(1, static _ => new ValueTask<string>("ran in B")).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's ended flight");

        // The cluster refuses A's completion. Sending it again would hand B, which came after the flight ended, its
        // outcome (rule 2: no caching); the key is released instead, and B runs the work.
        completion.SetException(RefusingDatabase.ClusterDown());
        Assert.Equal("ran in B", await Bounded.Wait(second));
    }
}
