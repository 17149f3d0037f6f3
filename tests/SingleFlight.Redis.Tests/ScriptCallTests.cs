using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// The election and the completion go through reusable script calls (their arrays, payload buffer, timer and wait are
/// recycled): a reply after RedisTimeout is still acted on, and flights that run at the same time never see each
/// other's arguments or payloads.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ScriptCallTests : IDisposable
{
    private readonly RedisServer _server;
    private readonly List<IDisposable> _owned = [];

    public ScriptCallTests(RedisFixture fixture)
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

    private static DistributedSingleFlightOptions Options(TimeSpan redisTimeout) => new()
    {
        LeaseDuration = TimeSpan.FromSeconds(60),
        PollInterval = TimeSpan.FromMilliseconds(100),
        RedisTimeout = redisTimeout,
        WaitTimeout = TimeSpan.FromSeconds(60),
    };

    private ConnectionMultiplexer Connect(RedisServer server)
    {
        var connection = server.Connect();
        _owned.Add(connection);
        return connection;
    }

    private DistributedSingleFlightGroup<int, string> Group(IConnectionMultiplexer connection, string operation, TimeSpan redisTimeout)
    {
        var group = new DistributedSingleFlightGroup<int, string>(connection, operation, TestJson.Default.String, Options(redisTimeout));
        _owned.Add(group);
        return group;
    }

    [RedisFact]
    public async Task An_election_answered_after_RedisTimeout_gives_back_the_key_it_took()
    {
        var operation = "call-" + Guid.NewGuid().ToString("N");
        using var metric = new RedisFlightsMetric(operation);
        using var server = RedisServer.Start();
        var connection = Connect(server);
        var warm = Group(connection, operation, TimeSpan.FromSeconds(5));
        Assert.Equal("warm", await Bounded.Wait(warm.DoAsync(0, static _ => new ValueTask<string>("warm"))));
        var group = Group(connection, operation, TimeSpan.FromMilliseconds(300));

        // The server holds every command for 1 s: the election times out here (RedisTimeout 300 ms) and the call runs
        // locally, but the server runs the election when the pause ends, and it takes the key (a lease of 60 s). The
        // pause stays well under the test connection's own AsyncTimeout (2 s): at 2 s StackExchange.Redis could fail the
        // election itself before its reply arrived, and a reply never received cannot be acted on (the lease covers it).
        Assert.Equal("+OK", server.Command("CLIENT", "PAUSE", "1000", "ALL"));
        Assert.Equal("local", await Bounded.Wait(group.DoAsync(1, static _ => new ValueTask<string>("local"))));
        Assert.Contains(metric.All, m => m.Outcome == RedisTelemetry.LocalFallback && m.Reason == nameof(TimeoutException));

        // A PING on the same connection is answered after the election (one connection, replies in order): by then the
        // election has run, taken the key, and its late reply has been handed to the script call.
        var lockKey = (RedisKey)("singleflight:{o" + operation.Length + ":" + operation + DistributedKey.Encode(1) + "}:lock");
        var db = connection.GetDatabase();
        await Bounded.Wait(db.PingAsync());

        // That reply said it won: the key is given back at once, not when the 60 s lease runs out, and the next call is
        // elected at once and leads.
        await Bounded.Until(() => !db.KeyExists(lockKey), "the late election's key was given back");
        Assert.Equal("led", await Bounded.Wait(group.DoAsync(1, static _ => new ValueTask<string>("led"))));
        Assert.Equal(2, metric.Count(RedisTelemetry.Led));
    }

    [RedisFact]
    public async Task Flights_on_many_keys_at_once_each_get_their_own_keys_value_in_both_processes()
    {
        var operation = "call-" + Guid.NewGuid().ToString("N");
        using var metric = new RedisFlightsMetric(operation);
        var a = Group(Connect(_server), operation, TimeSpan.FromSeconds(5));
        var b = Group(Connect(_server), operation, TimeSpan.FromSeconds(5));

        // 200 keys, each called in both "processes" at once, three rounds: many script calls in flight together, more
        // than a group keeps idle, so instances are taken, recycled and taken again by other flights meanwhile.
        for (var round = 0; round < 3; round++)
        {
            var calls = new List<(int Key, Task<string> Call)>();
            for (var key = 0; key < 200; key++)
            {
                var value = "key " + key + " round " + round + new string('x', key * 7);
                calls.Add((key, a.DoAsync(key, value, static async (v, _) => { await Task.Yield(); return v; }).AsTask()));
                calls.Add((key, b.DoAsync(key, value, static async (v, _) => { await Task.Yield(); return v; }).AsTask()));
            }

            foreach (var (key, call) in calls)
            {
                Assert.Equal("key " + key + " round " + round + new string('x', key * 7), await Bounded.Wait(call));
            }
        }

        Assert.Equal(0, metric.Count(RedisTelemetry.LocalFallback));
    }
}
