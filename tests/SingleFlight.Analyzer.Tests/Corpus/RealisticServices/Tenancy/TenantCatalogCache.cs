using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using SingleFlight;

namespace Contoso.Shop.Tenancy;

/// <summary>
/// A tenant-aware cache done right: the tenant is read from the context on the caller's side and becomes part of
/// the key (and of the cache key); the core sees only parameters.
/// </summary>
public sealed partial class TenantCatalogCache(ITenantContext tenant, IMemoryCache cache, IDbContextFactory<ShopDb> contexts)
{
    // expect: SF0014
    [SingleFlight(KeyFrom = "(tenantId, category)")]
    public partial Task<ProductDto[]> GetCategoryAsync(string tenantId, string category, CancellationToken cancellationToken = default);

    private async Task<ProductDto[]> GetCategoryCoreAsync(string tenantId, string category, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue((tenantId, category), out ProductDto[]? cached) && cached is not null)
        {
            return cached;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var products = await db.Products.AsNoTracking()
            .Where(p => p.TenantId == tenantId && p.Category == category)
            .Select(p => new ProductDto(p.Id, p.Sku, p.Name, p.Price))
            .ToArrayAsync(cancellationToken);
        cache.Set((tenantId, category), products, TimeSpan.FromMinutes(2));
        return products;
    }

    public Task<ProductDto[]> GetCategoryForCurrentTenantAsync(string category, CancellationToken cancellationToken = default)
        => GetCategoryAsync(tenant.TenantId, category, cancellationToken);
}
