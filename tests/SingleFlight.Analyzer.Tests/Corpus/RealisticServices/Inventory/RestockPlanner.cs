using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SingleFlight;

namespace Contoso.Shop.Inventory;

public sealed record RestockLine(string Sku, int Missing);

/// <summary>
/// The flight-owned form, with a helper that creates its own scope per call from the factory (the hand-made way).
/// </summary>
public sealed partial class RestockPlanner(IServiceScopeFactory scopes)
{
    // The scope is created and disposed inside the core: the flight's own.
    // expect: SF0014
    [SingleFlight]
    public partial Task<RestockLine[]> PlanAsync(string warehouse, int threshold, CancellationToken cancellationToken = default);

    private async Task<RestockLine[]> PlanCoreAsync(string warehouse, int threshold, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShopDb>();
        var low = await db.Stock.AsNoTracking().Where(s => s.Warehouse == warehouse && s.Quantity < threshold).ToListAsync(cancellationToken);
        return low.Select(s => new RestockLine(s.Sku, threshold - s.Quantity)).ToArray();
    }
}
