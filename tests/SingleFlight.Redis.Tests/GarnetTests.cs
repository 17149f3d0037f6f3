using System.Globalization;
using System.Net;
using Garnet;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// A Microsoft Garnet server hosted in the test process on a free loopback port, with what the protocol needs: Lua
/// scripting (off by default in Garnet), run as a transaction (also off by default), and pub/sub (on by default).
/// Small memory settings: the tests keep few keys.
/// </summary>
public sealed class GarnetFixture : IDisposable
{
    private readonly GarnetServer _server;

    public GarnetFixture()
    {
        // The server shares this process's thread pool with tests that block on child processes and redis-cli (the
        // cluster tests run in parallel): with the default minimum (one thread per core) its network callbacks can wait
        // for the pool to grow past the client's timeout. A server of its own would have its own pool.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
        Port = RedisServer.FreePort();
        _server = new GarnetServer(
            [
                "--port", Port.ToString(CultureInfo.InvariantCulture),
                "--bind", "127.0.0.1",
                "--lua", "true",
                // Garnet does not isolate a script from other clients' commands unless told to: this locks its KEYS
                // for the script's run, the atomicity every script of the protocol relies on.
                "--lua-transaction-mode", "true",
                "-q",
                "--index", "16m",
                "--memory", "256m",
                "--page", "1m",
            ],
            NullLoggerFactory.Instance);
        _server.Start();
    }

    public int Port { get; }

    public string EndPoint => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public ConnectionMultiplexer Connect() => ConnectionMultiplexer.Connect(TestConnection.Options(Port));

    public void Dispose() => _server.Dispose();
}

[CollectionDefinition(Name)]
public sealed class GarnetCollection : ICollectionFixture<GarnetFixture>
{
    public const string Name = "garnet";
}

/// <summary>The essential distributed scenarios against Garnet.</summary>
[Collection(GarnetCollection.Name)]
public sealed class GarnetScenarioTests(GarnetFixture fixture) : DistributedScenarios
{
    protected override ConnectionMultiplexer NewConnection() => fixture.Connect();
}

/// <summary>Real child processes sharing flights through Garnet.</summary>
[Collection(GarnetCollection.Name)]
public sealed class GarnetMultiProcessTests(GarnetFixture fixture) : MultiProcessScenarios(fixture.EndPoint)
{
}
