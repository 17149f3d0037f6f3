using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SingleFlight;

namespace Contoso.Shop.Workers;

/// <summary>
/// A hosted worker that refreshes rates every minute; an admin endpoint can trigger the same refresh, and both
/// share one flight.
/// </summary>
public sealed partial class ExchangeRateRefresher(IExchangeRateApi rates, IDbContextFactory<ShopDb> contexts, TimeProvider time, ILogger<ExchangeRateRefresher> logger)
    : BackgroundService
{
    private static readonly string[] s_currencies = ["USD", "GBP", "CHF"];

    // expect: none
    [SingleFlight]
    public partial Task<int> RefreshAsync(CancellationToken cancellationToken = default);

    private async Task<int> RefreshCoreAsync(CancellationToken cancellationToken)
    {
        var updated = 0;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        foreach (var currency in s_currencies)
        {
            var rate = await rates.GetRateAsync("EUR", currency, cancellationToken);
            logger.LogDebug("EUR/{Currency} = {Rate} at {Time}", currency, rate, time.GetUtcNow());
            updated++;
        }

        await db.SaveChangesAsync(cancellationToken);
        return updated;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await RefreshAsync(stoppingToken);
        }
    }
}
