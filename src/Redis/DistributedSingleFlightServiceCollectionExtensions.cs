using System;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SingleFlight.Redis;

/// <summary>Registers <see cref="DistributedSingleFlight"/> in a service collection.</summary>
public static class DistributedSingleFlightServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="DistributedSingleFlight"/> that uses the <see cref="IConnectionMultiplexer"/>
    /// registered in the container, and a hosted service that makes it <see cref="DistributedSingleFlight.Default"/>
    /// (what <c>[SingleFlight(Distributed = true)]</c> methods use) while the host runs.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes the default settings; <see langword="null"/> for the defaults.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddSingleFlightRedis(this IServiceCollection services, Action<DistributedSingleFlightOptions>? configure = null)
    {
        Guard.NotNull(services, nameof(services));
        return services.Add(static provider => provider.GetRequiredService<IConnectionMultiplexer>(), configure, containerConnection: true);
    }

    /// <summary>
    /// Registers a singleton <see cref="DistributedSingleFlight"/> with its own connection to the Redis that
    /// <paramref name="configuration"/> names, and a hosted service that makes it <see cref="DistributedSingleFlight.Default"/>
    /// while the host runs. The way to start when Redis may be down: the connection is made with
    /// <c>abortConnect=false</c> (so it never throws for an unreachable server and keeps retrying by itself), and the
    /// hosted service creates it in the background, so the host starts at once; until Redis answers, distributed methods
    /// coalesce in-process only.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">
    /// A StackExchange.Redis configuration string, such as <c>"redis:6379"</c> or <c>"host1:6379,host2:6379,password=…"</c>.
    /// <c>abortConnect</c> is always set to <see langword="false"/>.
    /// </param>
    /// <param name="configure">Changes the default settings; <see langword="null"/> for the defaults.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="configuration"/> is not a valid configuration string.</exception>
    /// <remarks>The connection belongs to the container and is disposed with it; it is not registered as an <see cref="IConnectionMultiplexer"/>.</remarks>
    public static IServiceCollection AddSingleFlightRedis(
        this IServiceCollection services,
        string configuration,
        Action<DistributedSingleFlightOptions>? configure = null)
    {
        Guard.NotNull(services, nameof(services));
        Guard.NotNull(configuration, nameof(configuration));
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        services.TryAddSingleton(_ => new OwnedConnection(options));
        return services.AddSingleFlightRedis(static provider => provider.GetRequiredService<OwnedConnection>().Connection, configure);
    }

    /// <summary>
    /// Registers a singleton <see cref="DistributedSingleFlight"/> that uses the connection <paramref name="connection"/>
    /// returns, and a hosted service that makes it <see cref="DistributedSingleFlight.Default"/> while the host runs.
    /// Without a host, set <see cref="DistributedSingleFlight.Default"/> to the resolved registry yourself.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connection">
    /// Returns the connection to Redis (called by the hosted service in the background, not during the host's start;
    /// called again after a failure that looks like Redis being unreachable). The registry does not dispose it.
    /// </param>
    /// <param name="configure">Changes the default settings; <see langword="null"/> for the defaults.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="connection"/> is null.</exception>
    public static IServiceCollection AddSingleFlightRedis(
        this IServiceCollection services,
        Func<IServiceProvider, IConnectionMultiplexer> connection,
        Action<DistributedSingleFlightOptions>? configure = null)
    {
        Guard.NotNull(services, nameof(services));
        Guard.NotNull(connection, nameof(connection));
        return services.Add(connection, configure, containerConnection: false);
    }

    private static IServiceCollection Add(
        this IServiceCollection services,
        Func<IServiceProvider, IConnectionMultiplexer> connection,
        Action<DistributedSingleFlightOptions>? configure,
        bool containerConnection)
    {
        // The settings are a service of their own, so the hosted service checks them when the host starts (a mistake
        // there fails the start, as it always did), while the connection is made in the background.
        services.TryAddSingleton(provider =>
        {
            var options = new DistributedSingleFlightOptions { LoggerFactory = provider.GetService<ILoggerFactory>() };
            configure?.Invoke(options);
            return new RegistrySettings(options.Validated(), containerConnection);
        });
        services.TryAddSingleton(provider =>
        {
            var settings = provider.GetRequiredService<RegistrySettings>();
            return settings.Registry = new DistributedSingleFlight(connection(provider), settings.Options);
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DistributedSingleFlightService>());
        return services;
    }

    /// <summary>The registry's settings, checked.</summary>
    internal sealed class RegistrySettings(DistributedSingleFlightOptions options, bool containerConnection)
    {
        private volatile DistributedSingleFlight? _registry;

        public DistributedSingleFlightOptions Options { get; } = options;

        /// <summary>Whether the registry takes the container's <see cref="IConnectionMultiplexer"/>.</summary>
        public bool ContainerConnection { get; } = containerConnection;

        /// <summary>The registry, once the container has created it.</summary>
        public DistributedSingleFlight? Registry
        {
            get => _registry;
            set => _registry = value;
        }
    }

    /// <summary>A connection made for the registry by <c>AddSingleFlightRedis(configuration)</c>, disposed with the container.</summary>
    private sealed class OwnedConnection(ConfigurationOptions options) : IDisposable
    {
        private readonly object _gate = new();
        private ConnectionMultiplexer? _connection;
        private bool _disposed;

        public IConnectionMultiplexer Connection
        {
            get
            {
                lock (_gate)
                {
                    Guard.NotDisposed(_disposed, this);
                    return _connection ??= ConnectionMultiplexer.Connect(options);
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _connection?.Dispose();
            }
        }
    }
}
