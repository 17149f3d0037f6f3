using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Tenancy;

/// <summary>A multi-tenant repository: the request's DbContext, filtered by the request's tenant.</summary>
public sealed partial class TenantProductService(ShopDb db, ITenantContext tenant)
{
    // Both: the leader's scoped context, and the leader's tenant, which is not in the key.
    // expect: SF0012 SF0013 SF0014
    [SingleFlight]
    public partial Task<List<Product>> GetFeaturedAsync(int count, CancellationToken cancellationToken = default);

    private Task<List<Product>> GetFeaturedCoreAsync(int count, CancellationToken cancellationToken)
        => db.Products.AsNoTracking()
            .Where(p => p.TenantId == tenant.TenantId && p.IsActive)
            .OrderByDescending(p => p.Price)
            .Take(count)
            .ToListAsync(cancellationToken);

    // The tenant is in the key here, but the context is still the leader's.
    // expect: SF0012
    [SingleFlight]
    public partial Task<int> CountAsync(string tenantId, CancellationToken cancellationToken = default);

    private Task<int> CountCoreAsync(string tenantId, CancellationToken cancellationToken)
        => db.Products.CountAsync(p => p.TenantId == tenantId, cancellationToken);
}
