using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SingleFlight;

namespace Contoso.Shop.Pricing;

public sealed class DiscountOptions
{
    public decimal MaxDiscount { get; set; } = 0.3m;

    public bool Enabled { get; set; } = true;
}

public sealed record Discount(string Code, decimal Rate);

/// <summary>Options read live through IOptionsMonitor (reloadable configuration).</summary>
public sealed partial class DiscountService(IOptionsMonitor<DiscountOptions> options, IDbContextFactory<ShopDb> contexts)
{
    // expect: none
    [SingleFlight]
    public partial Task<Discount?> GetDiscountAsync(string code, CancellationToken cancellationToken = default);

    private async Task<Discount?> GetDiscountCoreAsync(string code, CancellationToken cancellationToken)
    {
        var current = options.CurrentValue;
        if (!current.Enabled)
        {
            return null;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var count = await db.Orders.CountAsync(o => o.Status == code, cancellationToken);
        return new Discount(code, Math.Min(current.MaxDiscount, count / 100m));
    }
}
