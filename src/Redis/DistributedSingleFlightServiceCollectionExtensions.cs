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
        => services.AddSingleFlightRedis(static provider => provider.GetRequiredService<IConnectionMultiplexer>(), configure);

    /// <summary>
    /// Registers a singleton <see cref="DistributedSingleFlight"/> that uses the connection <paramref name="connection"/>
    /// returns, and a hosted service that makes it <see cref="DistributedSingleFlight.Default"/> while the host runs.
    /// Without a host, set <see cref="DistributedSingleFlight.Default"/> to the resolved registry yourself.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connection">Returns the connection to Redis (called once). The registry does not dispose it.</param>
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
        services.TryAddSingleton(provider =>
        {
            var options = new DistributedSingleFlightOptions { LoggerFactory = provider.GetService<ILoggerFactory>() };
            configure?.Invoke(options);
            return new DistributedSingleFlight(connection(provider), options);
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DistributedSingleFlightService>());
        return services;
    }
}
