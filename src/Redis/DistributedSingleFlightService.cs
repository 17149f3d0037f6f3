using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;

namespace SingleFlight.Redis;

/// <summary>
/// Makes the container's <see cref="DistributedSingleFlight"/> the <see cref="DistributedSingleFlight.Default"/>
/// while the host runs, so that <c>[SingleFlight(Distributed = true)]</c> methods use it.
/// </summary>
internal sealed class DistributedSingleFlightService(DistributedSingleFlight registry) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        DistributedSingleFlight.Default = registry;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        DistributedSingleFlight.ClearDefault(registry);
        return Task.CompletedTask;
    }
}
