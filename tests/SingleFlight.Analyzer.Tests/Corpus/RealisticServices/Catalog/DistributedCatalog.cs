using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Catalog;

/// <summary>Product cards shared across the web farm through Redis (Distributed = true).</summary>
public sealed partial class DistributedCatalog(IDbContextFactory<ShopDb> contexts)
{
    // expect: none
    [SingleFlight(Distributed = true, OperationName = "catalog.card")]
    public partial Task<ProductDto?> GetCardAsync(int productId, CancellationToken cancellationToken = default);

    private async Task<ProductDto?> GetCardCoreAsync(int productId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var product = await db.Products.FindAsync([productId], cancellationToken);
        return product is null ? null : new ProductDto(product.Id, product.Sku, product.Name, product.Price);
    }
}

/// <summary>The same on a scoped repository: the winning process's leader runs the work on its request's context.</summary>
public sealed partial class DistributedProductRepository(ShopDb db)
{
    // expect: SF0012
    [SingleFlight(Distributed = true, OperationName = "catalog.price")]
    public partial Task<decimal?> GetPriceAsync(int productId, CancellationToken cancellationToken = default);

    private async Task<decimal?> GetPriceCoreAsync(int productId, CancellationToken cancellationToken)
        => (await db.Products.FindAsync([productId], cancellationToken))?.Price;
}
