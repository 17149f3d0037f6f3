using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Catalog;

/// <summary>The README shape before flights owned their resources: a scoped repository over the request's DbContext.</summary>
public sealed partial class ProductRepository(ShopDb db)
{
    // The core queries the leader's scoped DbContext (a primary-constructor parameter): disposed with its request.
    // expect: SF0012
    [SingleFlight(KeyFrom = "id")]
    public partial Task<Product?> GetProductAsync(int id, CancellationToken cancellationToken = default);

    private async Task<Product?> GetProductCoreAsync(int id, CancellationToken cancellationToken)
        => await db.Products.FindAsync([id], cancellationToken);

    // expect: SF0012 SF0014
    [SingleFlight]
    public partial Task<List<Product>> GetByCategoryAsync(string category, CancellationToken cancellationToken = default);

    private Task<List<Product>> GetByCategoryCoreAsync(string category, CancellationToken cancellationToken)
        => db.Products.AsNoTracking().Where(p => p.Category == category && p.IsActive).OrderBy(p => p.Name).ToListAsync(cancellationToken);

    /// <summary>Writes go straight to the context: not coalesced.</summary>
    public async Task RenameAsync(int id, string name, CancellationToken cancellationToken = default)
    {
        var product = await db.Products.FindAsync([id], cancellationToken) ?? throw new KeyNotFoundException();
        product.Name = name;
        await db.SaveChangesAsync(cancellationToken);
    }
}
