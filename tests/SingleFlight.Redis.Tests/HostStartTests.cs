using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// The documented start-up, with Redis down when the host starts: the host must start, calls must be served (coalesced
/// in-process), and coordination must start once a redis-server appears on that port.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class HostStartTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly List<IDisposable> _owned = [];

    public HostStartTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    /// <param name="registration">
    /// "configuration": <c>AddSingleFlightRedis("host:port")</c>, what the docs show now. "factory": what they showed
    /// before, <c>AddSingleton&lt;IConnectionMultiplexer&gt;(_ => ConnectionMultiplexer.Connect("host:port"))</c> and
    /// <c>AddSingleFlightRedis()</c>, whose <c>Connect</c> throws RedisConnectionException while Redis is down.
    /// </param>
    [RedisTheory]
    [InlineData("configuration")]
    [InlineData("factory")]
    public async Task A_host_started_while_Redis_is_down_starts_serves_calls_in_process_and_coordinates_once_Redis_appears(string registration)
    {
        var server = RedisServer.Reserve();
        _owned.Add(server);
        var operation = "host-" + Guid.NewGuid().ToString("N");
        var log = new RecordingLoggerFactory();

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<ILoggerFactory>(log);
        void Settings(DistributedSingleFlightOptions o)
        {
            o.PollInterval = TimeSpan.FromMilliseconds(100);
            o.RedisTimeout = TimeSpan.FromSeconds(2);
        }

        if (registration == "configuration")
        {
            builder.Services.AddSingleFlightRedis(server.EndPoint, Settings);
        }
        else
        {
            builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(server.EndPoint));
            builder.Services.AddSingleFlightRedis(Settings);
        }

        using var host = builder.Build();
        var clock = Stopwatch.StartNew();
        await host.StartAsync().WaitAsync(Bounded.Timeout);
        var started = clock.Elapsed;

        try
        {
            // Served while Redis is down: what a [SingleFlight(Distributed = true)] method's generated code holds.
            var method = new DistributedSingleFlightOperation<int, string>(operation, TestJson.Default.String);
            var down = new GatedWork<string>();
            clock.Restart();
            var calls = Enumerable.Range(0, 5).Select(_ => method.DoAsync(1, down.RunAsync).AsTask()).ToArray();
            await Bounded.Wait(down.Started);
            down.Gate.SetResult("served while down");
            Assert.All(await Bounded.Wait(Task.WhenAll(calls)), r => Assert.Equal("served while down", r));
            var served = clock.Elapsed;
            Assert.Equal(1, down.Executions);

            _output.WriteLine($"{registration}: host started in {started.TotalMilliseconds:F0} ms with Redis down; 5 calls served in {served.TotalMilliseconds:F0} ms with 1 execution");

            // Before: StartAsync blocked in the connection factory for its connect timeout (5 s), and then threw
            // RedisConnectionException (factory). Far below it now.
            Assert.True(started < TimeSpan.FromSeconds(2), $"the host took {started.TotalMilliseconds:F0} ms to start");

            // Still down, once the connection has been tried: the registry exists but is disconnected (configuration),
            // or the factory has failed and waits to be called again (factory). Calls are served all along.
            if (registration == "configuration")
            {
                await Bounded.Until(() => DistributedSingleFlight.Default is { } r && !r.Connection.IsConnected, "the registry exists, disconnected");
            }
            else
            {
                await Bounded.Until(() => log.Entries.Any(e => e.Event == "RedisConnectFailed" && e.Level == LogLevel.Warning), "the failed connection attempt is logged");
                Assert.Null(DistributedSingleFlight.Default);
            }

            var stillDown = new GatedWork<string>();
            var later = Enumerable.Range(0, 5).Select(_ => method.DoAsync(3, stillDown.RunAsync).AsTask()).ToArray();
            await Bounded.Wait(stillDown.Started);
            stillDown.Gate.SetResult("still served");
            Assert.All(await Bounded.Wait(Task.WhenAll(later)), r => Assert.Equal("still served", r));
            Assert.Equal(1, stillDown.Executions);
            _output.WriteLine($"{registration}: 5 more calls served with 1 execution {clock.Elapsed.TotalMilliseconds:F0} ms after the first call, Redis still down");

            // Redis appears on that port: the host's registry connects (or is created) by itself.
            server.Restart();
            await Bounded.Until(
                () => DistributedSingleFlight.Default is { } registry && registry.Connection.IsConnected,
                "the host's registry is connected to Redis");
            _output.WriteLine($"{registration}: coordinating {clock.Elapsed.TotalMilliseconds:F0} ms after the first call");

            // Another process leads a flight; the host's caller waits for it instead of running the work.
            var other = server.Connect();
            _owned.Add(other);
            var otherGroup = new DistributedSingleFlightGroup<int, string>(other, operation, TestJson.Default.String, new DistributedSingleFlightOptions { PollInterval = TimeSpan.FromMilliseconds(100) });
            _owned.Add(otherGroup);
            var hostGroup = DistributedSingleFlight.Default!.GetGroup<int, string>(operation, TestJson.Default.String);
            var shared = new GatedWork<string>();
            var leader = otherGroup.DoAsync(2, shared.RunAsync).AsTask();
            await Bounded.Wait(shared.Started);
            var follower = method.DoAsync(2, shared.RunAsync).AsTask();
            await Bounded.Until(() => hostGroup.RemoteWaiterCount == 1, "the host's call waits for the other process's flight");
            shared.Gate.SetResult("shared across processes");
            Assert.Equal("shared across processes", await Bounded.Wait(follower));
            Assert.Equal("shared across processes", await Bounded.Wait(leader));
            Assert.Equal(1, shared.Executions);
        }
        finally
        {
            await host.StopAsync().WaitAsync(Bounded.Timeout);
        }

        Assert.Null(DistributedSingleFlight.Default);
    }

    [RedisFact]
    public async Task Settings_out_of_range_still_fail_the_hosts_start_at_once_while_Redis_is_down()
    {
        var nowhere = RedisServer.Reserve();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleFlightRedis(nowhere.EndPoint, o => o.LeaseDuration = TimeSpan.Zero);
        using var host = builder.Build();

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => host.StartAsync().WaitAsync(Bounded.Timeout));
        Assert.Equal("LeaseDuration", error.ParamName);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), "the start waited for a connection before checking the settings");
        Assert.Null(DistributedSingleFlight.Default);
    }

    [Fact]
    public async Task A_container_without_the_connection_AddSingleFlightRedis_takes_fails_the_hosts_start()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleFlightRedis();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync().WaitAsync(Bounded.Timeout));
        Assert.Contains("IConnectionMultiplexer", error.Message, StringComparison.Ordinal);
        Assert.Null(DistributedSingleFlight.Default);
    }
}
