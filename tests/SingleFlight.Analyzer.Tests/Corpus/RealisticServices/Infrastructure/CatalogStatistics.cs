using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Infrastructure;

/// <summary>
/// A singleton with its own instruments and a throttle: ActivitySource, Meter and SemaphoreSlim are IDisposable,
/// but they are this long-lived service's own (made to be shared by its callers), not a caller's resources.
/// </summary>
public sealed partial class CatalogStatistics : IDisposable
{
    private readonly ActivitySource _activities = new("Contoso.Shop.Catalog");
    private readonly Meter _meter;
    private readonly Counter<long> _refreshes;
    private readonly SemaphoreSlim _throttle = new(4, 4);
    private readonly IDbContextFactory<ShopDb> _contexts;

    public CatalogStatistics(IMeterFactory meters, IDbContextFactory<ShopDb> contexts)
    {
        _meter = meters.Create("Contoso.Shop.Catalog");
        _refreshes = _meter.CreateCounter<long>("catalog.statistics.refreshes");
        _contexts = contexts;
    }

    // expect: none
    [SingleFlight]
    public partial Task<int> CountProductsAsync(string category, CancellationToken cancellationToken = default);

    private async Task<int> CountProductsCoreAsync(string category, CancellationToken cancellationToken)
    {
        using var activity = _activities.StartActivity("CountProducts");
        activity?.SetTag("category", category);
        await _throttle.WaitAsync(cancellationToken);
        try
        {
            await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
            _refreshes.Add(1);
            return await db.Products.CountAsync(p => p.Category == category, cancellationToken);
        }
        finally
        {
            _throttle.Release();
        }
    }

    public void Dispose()
    {
        _activities.Dispose();
        _throttle.Dispose();
    }
}
