using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// <see cref="DistributedSingleFlightOperation{TKey, TValue}"/>, what generated code holds, and
/// <see cref="DistributedSingleFlight.Default"/>, which it binds to at each call. The tests of this collection run one
/// at a time, so they may set the process-wide default.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class DistributedOperationTests : IDisposable
{
    private readonly RedisServer _server;
    private readonly List<IDisposable> _owned = [];

    public DistributedOperationTests(RedisFixture fixture)
    {
        _server = fixture.Server;
        DistributedSingleFlight.Default = null;
    }

    public void Dispose()
    {
        DistributedSingleFlight.Default = null;
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private static string NewOperation() => "op-" + Guid.NewGuid().ToString("N");

    private static DistributedSingleFlightOptions Fast() => new()
    {
        LeaseDuration = TimeSpan.FromSeconds(30),
        PollInterval = TimeSpan.FromMilliseconds(100),
        RedisTimeout = TimeSpan.FromSeconds(2),
    };

    /// <summary>A registry on its own connection: one "process".</summary>
    private DistributedSingleFlight Process()
    {
        var connection = _server.Connect();
        _owned.Add(connection);
        var registry = new DistributedSingleFlight(connection, Fast());
        _owned.Add(registry);
        return registry;
    }

    [Fact]
    public async Task Without_a_default_registry_calls_coalesce_in_process_and_are_counted_as_not_configured()
    {
        var operation = NewOperation();
        using var metric = new RedisFlightsMetric(operation);
        var flights = new DistributedSingleFlightOperation<int, string>(operation, TestJson.Default.String);
        var work = new GatedWork<string>();

        var callers = Enumerable.Range(0, 10).Select(_ => flights.DoAsync(1, work.RunAsync).AsTask()).ToArray();
        await Bounded.Wait(work.Started);
        work.Gate.SetResult("one");

        Assert.All(await Bounded.Wait(Task.WhenAll(callers)), r => Assert.Equal("one", r));
        Assert.Equal(1, work.Executions);
        Assert.Equal([("local_fallback", "not_configured")], metric.All);
    }

    [RedisFact]
    public async Task An_operations_deadline_reaches_the_group_it_binds_to_and_its_in_process_fallback()
    {
        var operation = NewOperation();
        var flights = new DistributedSingleFlightOperation<int, string>(operation, TestJson.Default.String) { Deadline = TimeSpan.FromSeconds(3) };
        Assert.Equal(TimeSpan.FromSeconds(3), flights.Deadline);
        Assert.Throws<ArgumentOutOfRangeException>(() => flights.Deadline = TimeSpan.Zero);

        var registry = Process();
        DistributedSingleFlight.Default = registry;
        Assert.Equal("one", await Bounded.Wait(flights.DoAsync(1, _ => new ValueTask<string>("one"))));
        Assert.Equal(TimeSpan.FromSeconds(3), registry.GetGroup<int, string>(operation, TestJson.Default.String).Deadline);

        // Without a deadline of its own, the group keeps the registry's option (none here).
        var plain = NewOperation();
        Assert.Equal("two", await Bounded.Wait(new DistributedSingleFlightOperation<int, string>(plain, TestJson.Default.String).DoAsync(2, _ => new ValueTask<string>("two"))));
        Assert.Null(registry.GetGroup<int, string>(plain, TestJson.Default.String).Deadline);
    }

    [RedisFact]
    public async Task With_a_default_registry_the_operation_shares_flights_with_other_processes()
    {
        var operation = NewOperation();
        using var metric = new RedisFlightsMetric(operation);
        DistributedSingleFlight.Default = Process();
        var flights = new DistributedSingleFlightOperation<(string, int), Blob>(operation, TestJson.Default.Blob);
        var other = Process().GetGroup<(string, int), Blob>(operation, TestJson.Default.Blob);
        var work = new GatedWork<Blob>();

        var leaders = Enumerable.Range(0, 5).Select(_ => flights.DoAsync(("a", 1), 7, (_, ct) => work.RunAsync(ct)).AsTask()).ToArray();
        await Bounded.Wait(work.Started);
        var followers = Enumerable.Range(0, 5).Select(_ => other.DoAsync(("a", 1), work.RunAsync).AsTask()).ToArray();
        await Bounded.Until(() => other.RemoteWaiterCount == 1, "the other process waits for the flight");
        work.Gate.SetResult(new Blob("b", [1, 2, 3]));

        var results = await Bounded.Wait(Task.WhenAll(leaders.Concat(followers)));
        Assert.All(results, r => Assert.Equal([1, 2, 3], r.Data));
        Assert.Equal(1, work.Executions);
        Assert.Equal(1, metric.Count("led"));
        Assert.Equal(1, metric.Count("received"));
        Assert.Equal(0, metric.Count("local_fallback"));
    }

    [RedisFact]
    public async Task The_operation_follows_the_default_and_falls_back_when_its_registry_is_disposed()
    {
        var operation = NewOperation();
        using var metric = new RedisFlightsMetric(operation);
        var flights = new DistributedSingleFlightOperation<int, string>(operation, TestJson.Default.String);
        ValueTask<string> Call() => flights.DoAsync(1, static _ => new ValueTask<string>("x"));

        Assert.Equal("x", await Call());
        var registry = Process();
        DistributedSingleFlight.Default = registry;
        Assert.Equal("x", await Call());

        // Disposing the default registry also clears the default: calls go back to in-process coalescing.
        registry.Dispose();
        Assert.Null(DistributedSingleFlight.Default);
        Assert.Equal("x", await Call());

        // A registry that is disposed while still set as default by hand is skipped, not used.
        var second = Process();
        DistributedSingleFlight.Default = second;
        Assert.Equal("x", await Call());
        second.Dispose();
        DistributedSingleFlight.Default = second;
        Assert.Equal("x", await Call());

        Assert.Equal(
            ["local_fallback:not_configured", "led:", "local_fallback:not_configured", "led:", "local_fallback:not_configured"],
            metric.All.Select(m => m.Outcome + ":" + m.Reason));
    }

    [RedisFact]
    public async Task Methods_without_parameters_or_result_share_flights_too()
    {
        var operation = NewOperation();
        DistributedSingleFlight.Default = Process();
        var flights = new DistributedSingleFlightOperation<Unit, Unit>(operation, DistributedSingleFlight.UnitJsonTypeInfo);
        var other = Process().GetGroup<Unit, Unit>(operation, DistributedSingleFlight.UnitJsonTypeInfo);
        var work = new GatedWork<Unit>();

        var leader = flights.DoAsync(default, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = other.DoAsync(default, work.RunAsync).AsTask();
        await Bounded.Until(() => other.RemoteWaiterCount == 1, "the other process waits for the flight");
        work.Gate.SetResult(default);

        await Bounded.Wait(Task.WhenAll(leader, follower));
        Assert.Equal(1, work.Executions);
    }

    [Fact]
    public void Key_types_without_a_canonical_encoding_are_refused_when_the_operation_is_created()
    {
        var error = Assert.Throws<NotSupportedException>(() => new DistributedSingleFlightOperation<object, string>("op", TestJson.Default.String));
        Assert.Contains("System.Object", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DistributedSingleFlightOperation<int, string>("", TestJson.Default.String));
        Assert.Throws<ArgumentNullException>(() => new DistributedSingleFlightOperation<int, string>("op", null!));
    }

    [RedisFact]
    public async Task AddSingleFlightRedis_makes_its_registry_the_default_while_the_host_runs()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConnectionMultiplexer>(_ => _server.Connect());
        services.AddSingleFlightRedis();
        services.AddSingleFlightRedis();
        using var provider = services.BuildServiceProvider();
        var registry = provider.GetRequiredService<DistributedSingleFlight>();
        var hosted = Assert.Single(provider.GetServices<IHostedService>());

        Assert.Null(DistributedSingleFlight.Default);
        await hosted.StartAsync(CancellationToken.None);
        Assert.Same(registry, DistributedSingleFlight.Default);

        // Stopping clears only its own registry.
        var other = Process();
        DistributedSingleFlight.Default = other;
        await hosted.StopAsync(CancellationToken.None);
        Assert.Same(other, DistributedSingleFlight.Default);
        DistributedSingleFlight.Default = registry;
        await hosted.StopAsync(CancellationToken.None);
        Assert.Null(DistributedSingleFlight.Default);
        provider.GetRequiredService<IConnectionMultiplexer>().Dispose();
    }

    [Fact]
    public async Task AddSingleFlightRedis_logs_to_the_containers_logger_factory()
    {
        var log = new RecordingLoggerFactory();
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(log);

        // A port nothing listens on: every call falls back, and the first one is logged.
        var configuration = ConfigurationOptions.Parse("127.0.0.1:1");
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = 200;
        services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(configuration));
        services.AddSingleFlightRedis();
        using var provider = services.BuildServiceProvider();
        var group = provider.GetRequiredService<DistributedSingleFlight>().GetGroup<int, string>(NewOperation(), TestJson.Default.String);

        Assert.Equal("local", await Bounded.Wait(group.DoAsync(1, static _ => new ValueTask<string>("local"))));
        Assert.Equal("local", await Bounded.Wait(group.DoAsync(2, static _ => new ValueTask<string>("local"))));

        var entry = Assert.Single(log.Entries);
        Assert.Equal((Microsoft.Extensions.Logging.LogLevel.Warning, "RedisUnavailable"), (entry.Level, entry.Event));
        Assert.Contains("disconnected", entry.Message, StringComparison.Ordinal);
        provider.GetRequiredService<IConnectionMultiplexer>().Dispose();
    }

    /// <summary>
    /// A registry that cannot give the operation its group (the name is taken by other types; its serializer options
    /// do not know the result type) is a configuration mistake: calls still answer, in-process, and say why.
    /// </summary>
    [RedisFact]
    public async Task An_operation_the_registry_cannot_serve_still_answers_in_process_and_says_why()
    {
        var taken = NewOperation();
        var log = new RecordingLoggerFactory();
        var options = Fast();
        options.LoggerFactory = log;
        options.JsonSerializerOptions = new System.Text.Json.JsonSerializerOptions { TypeInfoResolver = TestJson.Default }; // Blob and string only
        var connection = _server.Connect();
        _owned.Add(connection);
        var registry = new DistributedSingleFlight(connection, options);
        _owned.Add(registry);
        _ = registry.GetGroup<string, string>(taken, TestJson.Default.String);
        using var takenMetric = new RedisFlightsMetric(taken);

        var sameName = new DistributedSingleFlightOperation<int, string>(taken, TestJson.Default.String);
        var unknownResult = new DistributedSingleFlightOperation<int, int>(NewOperation());
        DistributedSingleFlight.Default = registry;

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("ok", await Bounded.Wait(sameName.DoAsync(1, static _ => new ValueTask<string>("ok"))));
            Assert.Equal(5, await Bounded.Wait(unknownResult.DoAsync(1, static _ => new ValueTask<int>(5))));
        }

        Assert.Equal(
            ["local_fallback:bind:InvalidOperationException", "local_fallback:bind:InvalidOperationException"],
            takenMetric.All.Select(m => m.Outcome + ":" + m.Reason));

        // One warning per operation, not per call.
        Assert.Equal(2, log.Entries.Count);
        Assert.All(log.Entries, e => Assert.Equal("RedisBindFailed", e.Event));
    }
}
