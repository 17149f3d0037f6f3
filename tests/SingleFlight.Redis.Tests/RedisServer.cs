using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

/// <summary>A real redis-server on a free loopback port, owned by the test run: started, stopped, restarted, killed.</summary>
internal sealed class RedisServer : IDisposable
{
    private readonly IReadOnlyList<string> _extraArguments;
    private Process? _process;

    private RedisServer(string binary, int port, IReadOnlyList<string>? extraArguments = null)
    {
        Binary = binary;
        Port = port;
        _extraArguments = extraArguments ?? [];
    }

    public string Binary { get; }

    public int Port { get; }

    public string EndPoint => "127.0.0.1:" + Port;

    /// <summary>The redis-server binary: $REDIS_SERVER, /usr/bin/redis-server, or one on PATH; null if none.</summary>
    public static string? FindBinary()
    {
        var configured = Environment.GetEnvironmentVariable("REDIS_SERVER");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
        {
            return configured;
        }

        if (File.Exists("/usr/bin/redis-server"))
        {
            return "/usr/bin/redis-server";
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Why a test that needs the server is skipped: null when there is a binary, or under CI=true.</summary>
    public static string? SkipReason()
        => FindBinary() is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? "redis-server not found ($REDIS_SERVER, /usr/bin/redis-server, PATH): install the Debian package redis-server. "
                + "Under CI=true these tests fail instead of skipping."
            : null;

    public static RedisServer Start() => Start(port: null, extraArguments: null);

    /// <summary>Starts a server on <paramref name="port"/> (a free one when null) with more arguments after the defaults.</summary>
    public static RedisServer Start(int? port, IReadOnlyList<string>? extraArguments)
    {
        var binary = FindBinary() ?? throw new InvalidOperationException(
            "No redis-server binary (looked at $REDIS_SERVER, /usr/bin/redis-server and PATH). Install the Debian package redis-server.");
        var server = new RedisServer(binary, port ?? FreePort(), extraArguments);
        server.Restart();
        return server;
    }

    /// <summary>Whether the server process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>A server on a free port that is not started yet: nothing listens there until <see cref="Restart"/>.</summary>
    public static RedisServer Reserve()
    {
        var binary = FindBinary() ?? throw new InvalidOperationException(
            "No redis-server binary (looked at $REDIS_SERVER, /usr/bin/redis-server and PATH). Install the Debian package redis-server.");
        return new RedisServer(binary, FreePort());
    }

    /// <summary>Starts the server (again) on the same port and waits until it answers PING.</summary>
    public void Restart()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("The server is running.");
        }

        var info = new ProcessStartInfo(Binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" })
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var argument in _extraArguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!Pings())
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {Port}.");
            }

            if (DateTime.UtcNow > deadline)
            {
                Stop();
                throw new TimeoutException($"redis-server on port {Port} did not answer PING within 15 s.");
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>Kills the server (no shutdown handshake: like a crash or a network cut) and waits for it to exit.</summary>
    public void Stop()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(10_000);
        }
        finally
        {
            process.Dispose();
        }
    }

    public void Dispose() => Stop();

    public ConnectionMultiplexer Connect()
    {
        var connection = ConnectionMultiplexer.Connect(TestConnection.Options(Port));
        return connection;
    }

    /// <summary>Sends one command on a fresh raw connection (no client-side admin checks) and returns the first reply line.</summary>
    public string Command(params string[] parts)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, Port);
        client.ReceiveTimeout = 5000;
        var request = new StringBuilder().Append('*').Append(parts.Length).Append("\r\n");
        foreach (var part in parts)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
        }

        var stream = client.GetStream();
        stream.Write(Encoding.UTF8.GetBytes(request.ToString()));
        var buffer = new byte[256];
        var read = stream.Read(buffer, 0, buffer.Length);
        return Encoding.UTF8.GetString(buffer, 0, read).TrimEnd();
    }

    private bool Pings()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            client.ReceiveTimeout = 1000;
            var stream = client.GetStream();
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            var read = stream.Read(buffer, 0, buffer.Length);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    internal static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}

/// <summary>How every test connects: to loopback ports, failing fast, reconnecting quickly.</summary>
internal static class TestConnection
{
    public static ConfigurationOptions Options(params int[] ports)
    {
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = 2000,
            SyncTimeout = 2000,
            AsyncTimeout = 2000,
            ReconnectRetryPolicy = new LinearRetry(200),
            ConnectRetry = 1,
        };
        foreach (var port in ports)
        {
            options.EndPoints.Add(IPAddress.Loopback, port);
        }

        return options;
    }
}

/// <summary>One server for the whole test collection.</summary>
public sealed class RedisFixture : IDisposable
{
    private readonly RedisServer _server = RedisServer.Start();

    internal RedisServer Server => _server;

    public void Dispose() => _server.Dispose();
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "redis-server";
}

/// <summary>
/// A test that needs a real redis-server. Without the binary it is skipped with the reason when run by hand; under
/// CI=true it runs anyway, so the missing server fails it and CI can never pass without these tests.
/// </summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        Skip = RedisServer.SkipReason();
    }
}

/// <summary>A theory that needs a real redis-server: skipped without one by hand, failed without one under CI=true.</summary>
public sealed class RedisTheoryAttribute : TheoryAttribute
{
    public RedisTheoryAttribute()
    {
        Skip = RedisServer.SkipReason();
    }
}
