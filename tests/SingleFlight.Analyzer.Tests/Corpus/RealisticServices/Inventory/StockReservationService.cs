using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SingleFlight;

namespace Contoso.Shop.Inventory;

public sealed record Availability(string Sku, int Units, string Warehouse);

/// <summary>
/// Reserving writes through the request's unit of work (not coalesced); the coalesced availability check creates
/// its own context from the factory.
/// </summary>
public sealed partial class StockReservationService(IUnitOfWork unitOfWork, IDbContextFactory<ShopDb> contexts, ILogger<StockReservationService> logger)
{
    // The unit of work is used only by ReserveAsync, on the caller's side.
    // expect: none
    [SingleFlight]
    public partial Task<Availability?> CheckAsync(string sku, string warehouse, CancellationToken cancellationToken = default);

    private async Task<Availability?> CheckCoreAsync(string sku, string warehouse, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var level = await db.Stock.AsNoTracking().FirstOrDefaultAsync(s => s.Sku == sku && s.Warehouse == warehouse, cancellationToken);
        return level is null ? null : new Availability(sku, level.Quantity, warehouse);
    }

    public async Task<bool> ReserveAsync(string sku, string warehouse, int units, CancellationToken cancellationToken = default)
    {
        var availability = await CheckAsync(sku, warehouse, cancellationToken);
        if (availability is null || availability.Units < units)
        {
            logger.LogInformation("Not enough {Sku} in {Warehouse}", sku, warehouse);
            return false;
        }

        var level = await unitOfWork.Db.Stock.FirstOrDefaultAsync(s => s.Sku == sku && s.Warehouse == warehouse, cancellationToken);
        level!.Quantity -= units;
        await unitOfWork.CommitAsync(cancellationToken);
        return true;
    }
}
