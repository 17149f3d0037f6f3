using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SingleFlight;

namespace Contoso.Shop.Tenancy;

public sealed record RegionRevenue(string Region, decimal Revenue);

/// <summary>The safe DbContext shape, but the region is taken from the leader's tenant context.</summary>
public sealed partial class TenantReportService(IServiceScopeFactory scopes, ITenantContext tenant, ILogger<TenantReportService> logger)
{
    // The context is the flight's own; the region (not in the key) is the leader's tenant's.
    // expect: SF0013
    [SingleFlight]
    public partial Task<RegionRevenue> GetRevenueAsync(int year, CancellationToken cancellationToken = default);

    private async Task<RegionRevenue> GetRevenueCoreAsync(int year, [FromFlightScope] ShopDb db, CancellationToken cancellationToken)
    {
        var region = tenant.Region;
        logger.LogDebug("Revenue for {Region} in {Year}", region, year);
        var revenue = await db.Orders.Where(o => o.TenantId == region && o.PlacedAt.Year == year).SumAsync(o => o.Total, cancellationToken);
        return new RegionRevenue(region, revenue);
    }

    // The same report with the region passed by the caller, in the key.
    // expect: none
    [SingleFlight]
    public partial Task<RegionRevenue> GetRegionRevenueAsync(string region, int year, CancellationToken cancellationToken = default);

    private static async Task<RegionRevenue> GetRegionRevenueCoreAsync(string region, int year, [FromFlightScope] ShopDb db, CancellationToken cancellationToken)
        => new(region, await db.Orders.Where(o => o.TenantId == region && o.PlacedAt.Year == year).SumAsync(o => o.Total, cancellationToken));

    public Task<RegionRevenue> GetMyRegionRevenueAsync(int year, CancellationToken cancellationToken = default)
        => GetRegionRevenueAsync(tenant.Region, year, cancellationToken);
}
