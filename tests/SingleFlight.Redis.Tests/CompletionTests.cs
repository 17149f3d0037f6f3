using System.Collections.Concurrent;
using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// How a leader ends its flight: the callers get the outcome without waiting for Redis to confirm the completion, and
/// the completion is announced, with the outcome in the message, only when another process registered interest in it.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class CompletionTests : IDisposable
{
    private readonly RedisServer _server;
    private readonly List<IDisposable> _owned = [];

    public CompletionTests(RedisFixture fixture)
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

    private static DistributedSingleFlightOptions Options(TimeSpan pollInterval) => new()
    {
        LeaseDuration = TimeSpan.FromSeconds(30),
        PollInterval = pollInterval,
        RedisTimeout = TimeSpan.FromSeconds(2),
        WaitTimeout = TimeSpan.FromSeconds(120),
    };

    private ConnectionMultiplexer Connect()
    {
        var connection = _server.Connect();
        _owned.Add(connection);
        return connection;
    }

    private DistributedSingleFlightGroup<int, string> Group(IConnectionMultiplexer connection, string operation, TimeSpan pollInterval)
    {
        var group = new DistributedSingleFlightGroup<int, string>(connection, operation, TestJson.Default.String, Options(pollInterval));
        _owned.Add(group);
        return group;
    }

    /// <summary>Every message published on the operation's completion channel, as another process would hear them.</summary>
    private async Task<(RedisChannel Channel, ConcurrentQueue<string> Messages)> ListenAsync(string operation)
    {
        var channel = RedisChannel.Literal("singleflight:done:o" + operation.Length + ":" + operation);
        var messages = new ConcurrentQueue<string>();
        await Connect().GetSubscriber().SubscribeAsync(channel, (_, message) => messages.Enqueue((string)message!));
        return (channel, messages);
    }

    [RedisFact]
    public async Task A_flight_nobody_else_waits_for_is_not_announced()
    {
        var operation = "test-" + Guid.NewGuid().ToString("N");
        var (channel, messages) = await ListenAsync(operation);
        var connection = Connect();
        var group = Group(connection, operation, TimeSpan.FromMilliseconds(100));

        Assert.Equal("one", await Bounded.Wait(group.DoAsync(1, static _ => new ValueTask<string>("one"))));

        // Published on the leader's connection after its completion: the server handles both in order, so once the
        // marker is heard, any announcement of the flight would have been heard before it.
        await connection.GetSubscriber().PublishAsync(channel, "marker");
        await Bounded.Until(() => messages.Contains("marker"), "the marker");
        Assert.Equal(["marker"], messages.ToArray());
    }

    [RedisFact]
    public async Task A_waiting_follower_hears_the_announcement_rather_than_its_next_poll()
    {
        var operation = "test-" + Guid.NewGuid().ToString("N");
        var (_, messages) = await ListenAsync(operation);
        var a = Group(Connect(), operation, TimeSpan.FromMilliseconds(100));

        // B polls once when it starts waiting, then not for five minutes: only the announcement can wake it in time.
        var connectionB = Connect();
        var b = Group(connectionB, operation, TimeSpan.FromMinutes(5));
        var work = new GatedWork<string>();
        var leader = a.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(1, static _ => new ValueTask<string>("ran in B")).AsTask();

        // B's first poll has registered its interest in A's flight once the flight's waiters key exists.
        var server = connectionB.GetServer(connectionB.GetEndPoints()[0]);
        await Bounded.Until(
            () => server.Keys(pattern: "*" + operation + "*waiters:*").Any(),
            "B registered its interest");

        work.Gate.SetResult("from A");
        Assert.Equal("from A", await Bounded.Wait(follower));
        Assert.Equal("from A", await Bounded.Wait(leader));
        Assert.Equal(1, work.Executions);

        // B read the outcome from the announcement and polls no more, so nothing of B withdraws its interest: the
        // completion that announced it took the flight's waiters key along (rather than leave it for ten minutes).
        Assert.Empty(server.Keys(pattern: "*" + operation + "*waiters:*"));

        // The announcement carries the outcome after the leader's token, so the follower needs no poll to read it.
        await Bounded.Until(() => !messages.IsEmpty, "the announcement reached the listener too");
        var announcement = Assert.Single(messages);
        Assert.Contains("from A", announcement, StringComparison.Ordinal);
    }

    [RedisFact]
    public async Task An_outcome_too_large_to_announce_is_read_by_the_poll_the_announcement_triggers()
    {
        var operation = "test-" + Guid.NewGuid().ToString("N");
        var (_, messages) = await ListenAsync(operation);
        var a = Group(Connect(), operation, TimeSpan.FromMilliseconds(100));
        var connectionB = Connect();
        var b = Group(connectionB, operation, TimeSpan.FromMinutes(5));
        var large = new string('x', 20_000);
        var work = new GatedWork<string>();
        var leader = a.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(1, static _ => new ValueTask<string>("ran in B")).AsTask();
        var server = connectionB.GetServer(connectionB.GetEndPoints()[0]);
        await Bounded.Until(() => server.Keys(pattern: "*" + operation + "*waiters:*").Any(), "B registered its interest");

        work.Gate.SetResult(large);
        Assert.Equal(large, await Bounded.Wait(follower));
        Assert.Equal(large, await Bounded.Wait(leader));
        await Bounded.Until(() => !messages.IsEmpty, "the announcement reached the listener");
        // The token alone: 16 characters of base64url (FlightToken).
        Assert.Matches("^[A-Za-z0-9_-]{16}$", Assert.Single(messages));
    }

    [RedisFact]
    public async Task A_completion_sent_just_before_the_leaders_connection_is_disposed_still_runs()
    {
        var operation = "test-" + Guid.NewGuid().ToString("N");
        var observer = Connect();

        // The leader's callers have the outcome once the completion is sent; the process then shuts down at once.
        var connection = _server.Connect();
        var group = new DistributedSingleFlightGroup<int, string>(connection, operation, TestJson.Default.String, Options(TimeSpan.FromMilliseconds(100)));
        Assert.Equal("one", await Bounded.Wait(group.DoAsync(1, static _ => new ValueTask<string>("one"))));
        group.Dispose();
        connection.Dispose();

        // Disposing the connection lets the commands already sent finish: the key is free and the outcome written.
        var server = observer.GetServer(observer.GetEndPoints()[0]);
        Assert.Empty(server.Keys(pattern: "*" + operation + "*:lock"));
        Assert.Single(server.Keys(pattern: "*" + operation + "*:result:*"));
    }

    [RedisFact]
    public async Task With_a_channel_prefix_on_the_connections_the_announcement_still_wakes_the_follower()
    {
        var operation = "test-" + Guid.NewGuid().ToString("N");
        ConnectionMultiplexer Prefixed()
        {
            var options = TestConnection.Options(_server.Port);
            options.ChannelPrefix = RedisChannel.Literal("tenant-7:");
            var connection = ConnectionMultiplexer.Connect(options);
            _owned.Add(connection);
            return connection;
        }

        var a = Group(Prefixed(), operation, TimeSpan.FromMilliseconds(100));
        var connectionB = Prefixed();
        var b = Group(connectionB, operation, TimeSpan.FromMinutes(5));
        var work = new GatedWork<string>();
        var leader = a.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(1, static _ => new ValueTask<string>("ran in B")).AsTask();
        var server = connectionB.GetServer(connectionB.GetEndPoints()[0]);
        await Bounded.Until(() => server.Keys(pattern: "*" + operation + "*waiters:*").Any(), "B registered its interest");

        // B polls again only in five minutes: the announcement must reach its subscription, which the prefix renames.
        work.Gate.SetResult("from A");
        Assert.Equal("from A", await Bounded.Wait(follower));
        Assert.Equal("from A", await Bounded.Wait(leader));
    }
}
