using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SingleFlight.Redis;

/// <summary>
/// Makes the container's <see cref="DistributedSingleFlight"/> the <see cref="DistributedSingleFlight.Default"/>
/// while the host runs, so that <c>[SingleFlight(Distributed = true)]</c> methods use it.
/// </summary>
/// <remarks>
/// The registry is resolved in the background, never in the host's start: resolving it runs the connection factory,
/// and a factory that connects to an unreachable Redis blocks for its connect timeout and, with
/// <c>abortConnect=true</c> (StackExchange.Redis's default), throws. Until it is resolved, distributed methods coalesce
/// in-process (<c>local_fallback</c>, reason <c>not_configured</c>); a connection failure is retried with back-off
/// (1 s doubling to 30 s) until it succeeds or the host stops, so coordination starts when Redis appears.
/// </remarks>
internal sealed class DistributedSingleFlightService : IHostedService, IDisposable
{
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_longestRetry = TimeSpan.FromSeconds(30);

    private static readonly Action<ILogger, int, TimeSpan, Exception?> s_connectFailed = LoggerMessage.Define<int, TimeSpan>(
        LogLevel.Warning,
        new EventId(6, "RedisConnectFailed"),
        "Single-flight: the connection to Redis could not be made (attempt {Attempt}); distributed methods coalesce in this process only until it is. Next attempt in {Delay}.");

    private static readonly Action<ILogger, Exception?> s_configurationFailed = LoggerMessage.Define(
        LogLevel.Error,
        new EventId(7, "RedisConfigurationFailed"),
        "Single-flight: the distributed registry cannot be created; distributed methods coalesce in this process only.");

    private readonly IServiceProvider _services;
    private readonly object _gate = new();
    private CancellationTokenSource? _stopping;
    private DistributedSingleFlight? _registry;
    private bool _stopped;

    public DistributedSingleFlightService(IServiceProvider services)
    {
        _services = services;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Settings out of range fail the host's start, as before: unlike an unreachable Redis, they will not mend.
        var settings = _services.GetService<DistributedSingleFlightServiceCollectionExtensions.RegistrySettings>();

        // So does a missing connection, where the container can say without creating it.
        if (settings is { ContainerConnection: true, Registry: null }
            && _services.GetService<IServiceProviderIsService>() is { } registered
            && !registered.IsService(typeof(IConnectionMultiplexer)))
        {
            throw new InvalidOperationException(
                "AddSingleFlightRedis() takes the IConnectionMultiplexer registered in the container, and there is none. "
                + "Register one, or use AddSingleFlightRedis(\"host:port\").");
        }

        var stopping = new CancellationTokenSource();
        lock (_gate)
        {
            _stopped = false;
            _stopping = stopping;
            if (settings?.Registry is { } created)
            {
                // Already created (someone resolved it before the host started): nothing left to wait for.
                _registry = created;
                DistributedSingleFlight.Default = created;
                return Task.CompletedTask;
            }
        }

        _ = Task.Run(() => BindAsync(stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _stopped = true;
            _stopping?.Cancel();
            if (_registry is not null)
            {
                DistributedSingleFlight.ClearDefault(_registry);
            }
        }

        // Not waiting for the background resolution: it may be blocked in a connection factory for its whole connect
        // timeout, and once stopped it sets nothing.
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            _stopping?.Cancel();
        }
    }

    private async Task BindAsync(CancellationToken stopping)
    {
        var logger = _services.GetService<ILoggerFactory>()?.CreateLogger("SingleFlight.Redis");
        var delay = s_firstRetry;
        for (var attempt = 1; !stopping.IsCancellationRequested; attempt++)
        {
            DistributedSingleFlight registry;
            try
            {
                registry = _services.GetRequiredService<DistributedSingleFlight>();
            }
            catch (Exception ex) when (IsConnectionFailure(ex))
            {
                Log(logger, l => s_connectFailed(l, attempt, delay, ex), attempt == 1 || delay == s_longestRetry);
                try
                {
                    await Task.Delay(delay, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_longestRetry.Ticks));
                continue;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A configuration mistake the start could not see (a factory that throws something else than a connection
                // failure): retrying will not mend it. As elsewhere, it costs coalescing across processes, not calls.
                Log(logger, l => s_configurationFailed(l, ex), true);
                return;
            }

            lock (_gate)
            {
                if (!_stopped)
                {
                    _registry = registry;
                    DistributedSingleFlight.Default = registry;
                }
            }

            return;
        }
    }

    private static bool IsConnectionFailure(Exception error)
        => error is RedisException or TimeoutException or SocketException;

    private static void Log(ILogger? logger, Action<ILogger> write, bool due)
    {
        if (logger is null || !due)
        {
            return;
        }

        try
        {
            write(logger);
        }
        catch (Exception)
        {
            // A failing logger must not stop the retries.
        }
    }
}
