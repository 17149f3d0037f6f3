using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SingleFlight;

namespace Contoso.Shop.Catalog;

public sealed record CategoryNode(string Name, int Products);

/// <summary>Blocking methods (called from synchronous Razor helpers): one on the request's context, one on the flight's.</summary>
public sealed partial class CategoryTreeService(IServiceScopeFactory scopes, ShopDb requestDb)
{
    // expect: SF0012 SF0014
    [SingleFlight]
    public partial CategoryNode[] GetTree(bool activeOnly);

    private CategoryNode[] GetTreeCore(bool activeOnly)
        => requestDb.Products
            .Where(p => !activeOnly || p.IsActive)
            .GroupBy(p => p.Category)
            .Select(g => new CategoryNode(g.Key, g.Count()))
            .ToArray();

    // expect: SF0014
    [SingleFlight]
    public partial CategoryNode[] GetTreeFromFlightScope(bool activeOnly);

    private static CategoryNode[] GetTreeFromFlightScopeCore(bool activeOnly, [FromFlightScope] ShopDb db)
        => db.Products
            .Where(p => !activeOnly || p.IsActive)
            .GroupBy(p => p.Category)
            .Select(g => new CategoryNode(g.Key, g.Count()))
            .ToArray();
}
