using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SingleFlight;

namespace Contoso.Shop.Reporting;

public sealed record WarehouseTotal(string Warehouse, int Units);

/// <summary>The options object itself kept in a readonly field: a mutable POCO class, but configuration.</summary>
public sealed partial class InventoryReportService
{
    private readonly IDbContextFactory<ShopDb> _contexts;
    private readonly CatalogOptions _options;

    public InventoryReportService(IDbContextFactory<ShopDb> contexts, IOptions<CatalogOptions> options)
    {
        _contexts = contexts;
        _options = options.Value;
    }

    // expect: SF0014
    [SingleFlight]
    public partial Task<WarehouseTotal[]> GetTotalsAsync(CancellationToken cancellationToken = default);

    private async Task<WarehouseTotal[]> GetTotalsCoreAsync(CancellationToken cancellationToken)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Stock.AsNoTracking().ToListAsync(cancellationToken);
        return rows
            .GroupBy(s => s.Warehouse)
            .Select(g => new WarehouseTotal(g.Key, g.Sum(s => s.Quantity)))
            .OrderByDescending(t => t.Units)
            .Take(_options.PageSize)
            .ToArray();
    }
}
