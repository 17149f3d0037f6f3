using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SingleFlight;

namespace Contoso.Shop.Catalog;

/// <summary>The documented safe shape: the flight's DbContext comes from a scope the flight owns.</summary>
public sealed partial class ProductCatalog(IServiceScopeFactory scopes, ILogger<ProductCatalog> logger)
{
    // A static core: it cannot reach the instance at all; the disposable DbContext is the flight's own.
    // expect: none
    [SingleFlight(KeyFrom = "sku")]
    public partial Task<ProductDto?> GetBySkuAsync(string sku, CancellationToken cancellationToken = default);

    private static async Task<ProductDto?> GetBySkuCoreAsync(string sku, [FromFlightScope] ShopDb db, CancellationToken cancellationToken)
    {
        var product = await db.Products.AsNoTracking().SingleOrDefaultAsync(p => p.Sku == sku, cancellationToken);
        return product is null ? null : new ProductDto(product.Id, product.Sku, product.Name, product.Price);
    }

    // An instance core with a flight-scope DbContext and the instance's logger (a singleton made to be shared).
    // expect: none
    [SingleFlight]
    public partial Task<int> CountInCategoryAsync(string category, CancellationToken cancellationToken = default);

    private async Task<int> CountInCategoryCoreAsync(string category, [FromFlightScope] ShopDb db, CancellationToken cancellationToken)
    {
        var count = await db.Products.CountAsync(p => p.Category == category, cancellationToken);
        logger.LogDebug("{Category} has {Count} products", category, count);
        return count;
    }
}
