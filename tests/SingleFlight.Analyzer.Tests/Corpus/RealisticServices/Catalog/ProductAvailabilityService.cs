using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using SingleFlight;

namespace Contoso.Shop.Catalog;

/// <summary>A ValueTask hot path: the memory cache answers most calls synchronously.</summary>
public sealed partial class ProductAvailabilityService
{
    private readonly IMemoryCache _cache;
    private readonly IDbContextFactory<ShopDb> _contexts;

    public ProductAvailabilityService(IMemoryCache cache, IDbContextFactory<ShopDb> contexts)
    {
        _cache = cache;
        _contexts = contexts;
    }

    // expect: none
    [SingleFlight]
    public partial ValueTask<bool> IsAvailableAsync(string sku, CancellationToken cancellationToken = default);

    private ValueTask<bool> IsAvailableCoreAsync(string sku, CancellationToken cancellationToken)
        => _cache.TryGetValue(("available", sku), out bool available) ? new ValueTask<bool>(available) : new ValueTask<bool>(LoadAsync(sku, cancellationToken));

    private async Task<bool> LoadAsync(string sku, CancellationToken cancellationToken)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var available = await db.Stock.AnyAsync(s => s.Sku == sku && s.Quantity > 0, cancellationToken);
        _cache.Set(("available", sku), available, TimeSpan.FromSeconds(30));
        return available;
    }
}
