using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Garnet;
using Microsoft.Extensions.Logging.Abstractions;

namespace StampedeDemo;

/// <summary>
/// The server the worker processes share when the demo runs with <c>--processes N</c> and no <c>--redis</c>: a
/// Microsoft Garnet server (Redis protocol, from the Microsoft.Garnet package) hosted in the demo's own process on a
/// free loopback port. Lua scripting is on, scripts run as transactions (Garnet's defaults have neither, and the
/// distributed protocol needs both), and memory is kept small: the demo stores a handful of keys.
/// </summary>
internal sealed class EmbeddedGarnet : IDisposable
{
    private readonly GarnetServer _server;

    private EmbeddedGarnet(GarnetServer server, int port)
    {
        _server = server;
        EndPoint = "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Where the server listens: 127.0.0.1 and the port it was given.</summary>
    public string EndPoint { get; }

    /// <summary>The Garnet version, for the demo's output.</summary>
    public static string Version => typeof(GarnetServer).Assembly.GetName().Version?.ToString(3) ?? "?";

    public static EmbeddedGarnet Start()
    {
        var port = FreePort();
        var server = new GarnetServer(
            [
                "--port", port.ToString(CultureInfo.InvariantCulture),
                "--bind", "127.0.0.1",
                "--lua", "true",
                "--lua-transaction-mode", "true",
                "-q",
                "--index", "16m",
                "--memory", "256m",
                "--page", "1m",
            ],
            NullLoggerFactory.Instance);
        try
        {
            server.Start();
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return new EmbeddedGarnet(server, port);
    }

    public void Dispose() => _server.Dispose();

    private static int FreePort()
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
