using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Inventory;

/// <summary>Stock queries through the request's unit of work (a user-defined IAsyncDisposable, scoped).</summary>
public sealed partial class InventoryService(IUnitOfWork unitOfWork)
{
    // expect: SF0012
    [SingleFlight]
    public partial Task<int> GetAvailableAsync(string sku, CancellationToken cancellationToken = default);

    private async Task<int> GetAvailableCoreAsync(string sku, CancellationToken cancellationToken)
    {
        var levels = await unitOfWork.Db.Stock.AsNoTracking().Where(s => s.Sku == sku).ToListAsync(cancellationToken);
        return levels.Sum(s => s.Quantity);
    }
}
