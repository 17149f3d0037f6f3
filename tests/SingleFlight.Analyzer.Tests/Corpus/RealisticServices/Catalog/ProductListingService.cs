using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Catalog;

/// <summary>A scoped service a controller configures per request (UseFilter) before asking for a page.</summary>
public sealed partial class ProductListingService(IDbContextFactory<ShopDb> contexts)
{
    private ProductFilter _filter = new("all", null, 0);
    private bool _includeInactive;

    public void UseFilter(ProductFilter filter, bool includeInactive)
    {
        _filter = filter;
        _includeInactive = includeInactive;
    }

    // The page is the key; the filter and the flag are mutable fields set per request: not in it.
    // expect: SF0013 SF0014
    [SingleFlight]
    public partial Task<ProductDto[]> GetPageAsync(int page, CancellationToken cancellationToken = default);

    private async Task<ProductDto[]> GetPageCoreAsync(int page, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Products.AsNoTracking().Where(p => _filter.Category == "all" || p.Category == _filter.Category);
        if (!_includeInactive)
        {
            query = query.Where(p => p.IsActive);
        }

        return await query.Skip(page * 20).Take(20).Select(p => new ProductDto(p.Id, p.Sku, p.Name, p.Price)).ToArrayAsync(cancellationToken);
    }

    // The same query with the filter as a parameter: a record, in the key.
    // expect: SF0014
    [SingleFlight]
    public partial Task<ProductDto[]> SearchAsync(ProductFilter filter, CancellationToken cancellationToken = default);

    private async Task<ProductDto[]> SearchCoreAsync(ProductFilter filter, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Products.AsNoTracking()
            .Where(p => p.Category == filter.Category && (filter.MaxPrice == null || p.Price <= filter.MaxPrice))
            .Skip(filter.Page * 20)
            .Take(20)
            .Select(p => new ProductDto(p.Id, p.Sku, p.Name, p.Price))
            .ToArrayAsync(cancellationToken);
    }
}
