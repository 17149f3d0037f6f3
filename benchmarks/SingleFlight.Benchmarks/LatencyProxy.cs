using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace SingleFlight.Benchmarks;

/// <summary>
/// A loopback TCP proxy in front of Redis that holds every reply for a fixed <see cref="Delay"/> before passing it on,
/// so that every round trip costs at least that much. With a delay well above this machine's own latency (a few
/// milliseconds against tens of microseconds), a call's time divided by the delay counts the round trips it waits for,
/// whatever the load of the machine: the CPU noise is small next to the delay.
/// </summary>
/// <remarks>
/// Requests pass at once; replies keep their order and are delayed from the moment they arrive, so pipelined replies
/// are not delayed one after another (a pipeline of two commands still costs one delay).
/// </remarks>
public sealed class LatencyProxy : IDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];

    private LatencyProxy(IPEndPoint target, TimeSpan delay)
    {
        _target = target;
        Delay = delay;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>How long each reply is held.</summary>
    public TimeSpan Delay { get; }

    /// <summary>The endpoint to connect to instead of Redis, as <c>host:port</c>.</summary>
    public string Endpoint => "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>
    /// The configuration of the benchmarks' Redis (<see cref="RedisEndpoint.Value"/>), through a new proxy that adds
    /// <paramref name="addedLatencyMs"/> to every reply when that is above 0 (<paramref name="proxy"/>: dispose it).
    /// </summary>
    public static ConfigurationOptions Configure(int addedLatencyMs, out LatencyProxy? proxy)
    {
        var endpoint = RedisEndpoint.Value
            ?? throw new InvalidOperationException($"The distributed benchmarks need {RedisEndpoint.SkipReason}.");
        proxy = null;
        if (addedLatencyMs > 0)
        {
            proxy = Start(endpoint, TimeSpan.FromMilliseconds(addedLatencyMs));
            endpoint = proxy.Endpoint;
        }

        return ConfigurationOptions.Parse(endpoint);
    }

    /// <summary>Starts a proxy for the Redis at <paramref name="redisEndpoint"/> (<c>host:port</c>, IPv4 loopback or an address).</summary>
    public static LatencyProxy Start(string redisEndpoint, TimeSpan delay)
    {
        var separator = redisEndpoint.LastIndexOf(':');
        var host = redisEndpoint[..separator];
        var address = host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(host);
        return new LatencyProxy(new IPEndPoint(address, int.Parse(redisEndpoint[(separator + 1)..])), delay);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                client.NoDelay = true;
                await server.ConnectAsync(_target, _stop.Token).ConfigureAwait(false);
                lock (_sockets)
                {
                    _sockets.Add(client);
                    _sockets.Add(server);
                }

                _ = PumpAsync(client, server, TimeSpan.Zero);
                _ = PumpAsync(server, client, Delay);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task PumpAsync(Socket from, Socket to, TimeSpan delay)
    {
        var held = Channel.CreateUnbounded<(long Due, byte[] Data)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var sending = delay == TimeSpan.Zero ? Task.CompletedTask : SendHeldAsync(held.Reader, to);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                if (delay == TimeSpan.Zero)
                {
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                }
                else
                {
                    held.Writer.TryWrite((Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency), buffer[..read]));
                }
            }
        }
        catch (Exception)
        {
            // A side closed, or the proxy stopped.
        }
        finally
        {
            held.Writer.TryComplete();
            await sending.ConfigureAwait(false);
            to.Dispose();
            from.Dispose();
        }
    }

    private async Task SendHeldAsync(ChannelReader<(long Due, byte[] Data)> held, Socket to)
    {
        try
        {
            await foreach (var (due, data) in held.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _stop.Token).ConfigureAwait(false);
                }

                await to.SendAsync(data, SocketFlags.None, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // The proxy stopped, or the other side closed.
        }
    }
}
