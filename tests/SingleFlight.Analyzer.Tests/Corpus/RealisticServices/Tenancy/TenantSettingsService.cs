using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Tenancy;

public sealed record TenantSettings(string TenantId, string Currency, string Locale, bool CheckoutEnabled);

/// <summary>Per-tenant settings: the tenant comes from the scoped ITenantContext filled by middleware.</summary>
public sealed partial class TenantSettingsService(ITenantContext tenant, IDbContextFactory<ShopDb> contexts)
{
    // The key is empty (no parameters), the core reads the leader's tenant: every tenant gets the leader's settings.
    // expect: SF0013
    [SingleFlight]
    public partial Task<TenantSettings> GetCurrentSettingsAsync(CancellationToken cancellationToken = default);

    private async Task<TenantSettings> GetCurrentSettingsCoreAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var hasProducts = await db.Products.AnyAsync(p => p.TenantId == tenant.TenantId, cancellationToken);
        return new TenantSettings(tenant.TenantId, "EUR", "en-GB", hasProducts);
    }

    // The tenant is read on the caller's side and passed in; it is the key, and the core uses only the parameter.
    // expect: none
    [SingleFlight]
    public partial Task<TenantSettings> GetSettingsAsync(string tenantId, CancellationToken cancellationToken = default);

    private async Task<TenantSettings> GetSettingsCoreAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var hasProducts = await db.Products.AnyAsync(p => p.TenantId == tenantId, cancellationToken);
        return new TenantSettings(tenantId, "EUR", "en-GB", hasProducts);
    }

    /// <summary>What the endpoints call: the current tenant, coalesced per tenant.</summary>
    public Task<TenantSettings> GetForCurrentTenantAsync(CancellationToken cancellationToken = default)
        => GetSettingsAsync(tenant.TenantId, cancellationToken);
}
