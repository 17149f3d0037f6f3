using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SingleFlight;

namespace Contoso.Shop.Infrastructure;

public sealed record TableSize(string Table, int Rows);

/// <summary>Creates its loggers from ILoggerFactory (IDisposable, but the host's shared singleton).</summary>
public sealed partial class DiagnosticsReporter(ILoggerFactory loggers, IDbContextFactory<ShopDb> contexts)
{
    // expect: SF0014
    [SingleFlight]
    public partial Task<TableSize[]> GetTableSizesAsync(CancellationToken cancellationToken = default);

    private async Task<TableSize[]> GetTableSizesCoreAsync(CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("Contoso.Shop.Diagnostics");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var sizes = new[]
        {
            new TableSize("Products", await db.Products.CountAsync(cancellationToken)),
            new TableSize("Orders", await db.Orders.CountAsync(cancellationToken)),
        };
        logger.LogInformation("Measured {Count} tables", sizes.Length);
        return sizes;
    }
}
