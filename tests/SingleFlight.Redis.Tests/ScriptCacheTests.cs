using System.Text.RegularExpressions;
using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// The scripts go by hash (<c>EVALSHA</c>). A server that does not know one (restarted, failed over to a replica that
/// never loaded it, <c>SCRIPT FLUSH</c>) answers <c>NOSCRIPT</c>, and the group sends the script again by text: the flight
/// still goes through Redis, not in-process.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ScriptCacheTests : IDisposable
{
    private readonly RedisServer _server;
    private readonly List<IDisposable> _owned = [];

    public ScriptCacheTests(RedisFixture fixture)
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

    private DistributedSingleFlightGroup<int, string> Group(string operation, TimeSpan pollInterval)
    {
        var connection = _server.Connect();
        _owned.Add(connection);
        var group = new DistributedSingleFlightGroup<int, string>(connection, operation, TestJson.Default.String, Options(pollInterval));
        _owned.Add(group);
        return group;
    }

    /// <summary>Empties the server's script cache, as a restart would, and checks that it did.</summary>
    private void FlushScripts()
        => Assert.Equal("+OK", _server.Command("SCRIPT", "FLUSH"));

    /// <summary>How many NOSCRIPT errors the server has answered since it started (INFO errorstats).</summary>
    private long NoScriptReplies()
    {
        using var connection = ConnectionMultiplexer.Connect(new ConfigurationOptions { EndPoints = { _server.EndPoint }, AllowAdmin = true });
        var info = (string?)connection.GetServer(_server.EndPoint).Execute("INFO", "errorstats") ?? string.Empty;
        var match = Regex.Match(info, @"errorstat_NOSCRIPT:count=(\d+)");
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [RedisFact]
    public async Task After_SCRIPT_FLUSH_a_leader_still_elects_and_completes_through_Redis()
    {
        var operation = "scripts-" + Guid.NewGuid().ToString("N");
        using var metric = new RedisFlightsMetric(operation);
        var group = Group(operation, TimeSpan.FromMilliseconds(100));

        // Once so that the server knows the scripts; then it forgets them.
        Assert.Equal("one", await Bounded.Wait(group.DoAsync(1, static _ => new ValueTask<string>("one"))));
        FlushScripts();
        var before = NoScriptReplies();

        Assert.Equal("two", await Bounded.Wait(group.DoAsync(1, static _ => new ValueTask<string>("two"))));

        // The election and the completion were each answered NOSCRIPT, sent again by text, and ran: two led flights,
        // none in-process, and the second flight's outcome is in Redis.
        Assert.True(NoScriptReplies() - before >= 2, "the election and the completion were answered NOSCRIPT");
        Assert.Equal(2, metric.Count(RedisTelemetry.Led));
        Assert.Equal(0, metric.Count(RedisTelemetry.LocalFallback));
        using var raw = _server.Connect();
        var server = raw.GetServer(raw.GetEndPoints()[0]);
        Assert.Equal(2, server.Keys(pattern: "*" + operation + "*:result:*").Count());

        // Loaded again by that text: the next flight goes by hash without a NOSCRIPT.
        var loaded = NoScriptReplies();
        Assert.Equal("three", await Bounded.Wait(group.DoAsync(1, static _ => new ValueTask<string>("three"))));
        Assert.Equal(loaded, NoScriptReplies());
    }

    [RedisFact]
    public async Task A_follower_and_its_leader_share_a_flight_across_script_flushes()
    {
        var operation = "scripts-" + Guid.NewGuid().ToString("N");
        using var metric = new RedisFlightsMetric(operation);
        var a = Group(operation, TimeSpan.FromMilliseconds(100));
        var b = Group(operation, TimeSpan.FromMilliseconds(100));
        Assert.Equal("warm", await Bounded.Wait(a.DoAsync(2, static _ => new ValueTask<string>("warm"))));
        Assert.Equal("warm b", await Bounded.Wait(b.DoAsync(3, static _ => new ValueTask<string>("warm b"))));

        // A's election after a flush; B's election and polls after another; A's completion after a third.
        FlushScripts();
        var before = NoScriptReplies();
        var work = new GatedWork<string>();
        var leader = a.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        FlushScripts();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        b.WaitingHook = _ => waiting.TrySetResult();
        var follower = b.DoAsync(1, static _ => new ValueTask<string>("ran in B")).AsTask();
        await Bounded.Wait(waiting.Task);
        await Bounded.Until(() => NoScriptReplies() - before >= 3, "B's election and poll were answered NOSCRIPT");
        FlushScripts();
        work.Gate.SetResult("from A");

        Assert.Equal("from A", await Bounded.Wait(leader));
        Assert.Equal("from A", await Bounded.Wait(follower));
        Assert.Equal(1, work.Executions);
        Assert.True(NoScriptReplies() - before >= 4, "A's completion was answered NOSCRIPT too");
        Assert.Equal(0, metric.Count(RedisTelemetry.LocalFallback));
        Assert.Equal(1, metric.Count(RedisTelemetry.Received));
    }
}
