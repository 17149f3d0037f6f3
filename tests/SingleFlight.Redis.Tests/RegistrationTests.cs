using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

/// <summary>Configured once at start-up: the DI extension and the plain registry.</summary>
[Collection(RedisCollection.Name)]
public sealed class RegistrationTests : IDisposable
{
    private readonly RedisServer _server;
    private readonly List<IDisposable> _owned = [];

    public RegistrationTests(RedisFixture fixture)
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

    private ConnectionMultiplexer Connect()
    {
        var connection = _server.Connect();
        _owned.Add(connection);
        return connection;
    }

    [RedisFact]
    public async Task AddSingleFlightRedis_gives_one_group_per_operation_that_coalesces_across_processes()
    {
        var operation = "di-" + Guid.NewGuid().ToString("N");
        ServiceProvider Process()
        {
            var services = new ServiceCollection();
            services.AddSingleton<IConnectionMultiplexer>(Connect());
            services.AddSingleFlightRedis(options => options.PollInterval = TimeSpan.FromMilliseconds(100));
            var provider = services.BuildServiceProvider();
            _owned.Add(provider);
            return provider;
        }

        var a = Process().GetRequiredService<DistributedSingleFlight>();
        var b = Process().GetRequiredService<DistributedSingleFlight>();
        var groupA = a.GetGroup<int, string>(operation);
        Assert.Same(groupA, a.GetGroup<int, string>(operation));
        var groupB = b.GetGroup<int, string>(operation);
        var work = new GatedWork<string>();

        var leader = groupA.DoAsync(5, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = groupB.DoAsync(5, work.RunAsync).AsTask();
        await Bounded.Until(() => groupB.RemoteWaiterCount == 1, "B waits for A's flight");
        work.Gate.SetResult("five");

        Assert.Equal("five", await Bounded.Wait(leader));
        Assert.Equal("five", await Bounded.Wait(follower));
        Assert.Equal(1, work.Executions);
    }

    [RedisFact]
    public void One_operation_name_has_one_key_and_result_type_and_bad_settings_fail_at_start_up()
    {
        using var registry = new DistributedSingleFlight(Connect());
        registry.GetGroup<int, string>("op", TestJson.Default.String);
        var clash = Assert.Throws<InvalidOperationException>(() => registry.GetGroup<string, string>("op"));
        Assert.Contains("'op'", clash.Message);

        var services = new ServiceCollection();
        services.AddSingleton<IConnectionMultiplexer>(Connect());
        services.AddSingleFlightRedis(options => options.LeaseDuration = TimeSpan.Zero);
        using var provider = services.BuildServiceProvider();
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => provider.GetRequiredService<DistributedSingleFlight>());
        Assert.Equal("LeaseDuration", bad.ParamName);
    }
}
