using Microsoft.Extensions.Caching.Memory;
using SingleFlight;

namespace Contoso.Shop.Caching;

/// <summary>A scoped service that caches products in IMemoryCache, loading misses from the request's DbContext.</summary>
public sealed partial class CachedProductLookup(IMemoryCache cache, ShopDb db)
{
    // The cache is fine; the load lambda captures the leader's scoped DbContext.
    // expect: SF0012
    [SingleFlight]
    public partial Task<Product?> GetAsync(int productId, CancellationToken cancellationToken = default);

    private Task<Product?> GetCoreAsync(int productId, CancellationToken cancellationToken)
        => cache.GetOrCreateAsync(("product", productId), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(5);
            return await db.Products.FindAsync([productId], cancellationToken);
        });
}
