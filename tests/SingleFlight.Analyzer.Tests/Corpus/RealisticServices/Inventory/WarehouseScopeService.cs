using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SingleFlight;

namespace Contoso.Shop.Inventory;

/// <summary>
/// A hand-made scope created in the constructor and kept in a field (disposed by Dispose): the instance's own, not
/// the flight's; it ends when the instance that led the flight is disposed.
/// </summary>
public sealed partial class WarehouseScopeService : IDisposable
{
    private readonly IServiceScope _scope;

    public WarehouseScopeService(IServiceScopeFactory scopes) => _scope = scopes.CreateScope();

    // expect: SF0012 SF0014
    [SingleFlight]
    public partial Task<string[]> GetWarehousesAsync(CancellationToken cancellationToken = default);

    private async Task<string[]> GetWarehousesCoreAsync(CancellationToken cancellationToken)
    {
        var db = _scope.ServiceProvider.GetRequiredService<ShopDb>();
        var levels = await db.Stock.AsNoTracking().ToListAsync(cancellationToken);
        return levels.Select(s => s.Warehouse).Distinct().Order(StringComparer.Ordinal).ToArray();
    }

    public void Dispose() => _scope.Dispose();
}
