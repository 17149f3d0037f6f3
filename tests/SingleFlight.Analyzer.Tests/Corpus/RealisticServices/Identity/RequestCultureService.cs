using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Identity;

public sealed record PriceLabel(int ProductId, string Text);

/// <summary>
/// A scoped service whose Culture a middleware sets at the start of each request; the formatted price depends on it.
/// </summary>
public sealed partial class RequestCultureService(IDbContextFactory<ShopDb> contexts)
{
    /// <summary>Set per request by the localization middleware.</summary>
    public CultureInfo Culture { get; set; } = CultureInfo.InvariantCulture;

    // A mutable property set per request, read by the core, not in the key.
    // expect: SF0013
    [SingleFlight]
    public partial Task<PriceLabel?> GetPriceLabelAsync(int productId, CancellationToken cancellationToken = default);

    private async Task<PriceLabel?> GetPriceLabelCoreAsync(int productId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var product = await db.Products.FindAsync([productId], cancellationToken);
        return product is null ? null : new PriceLabel(productId, product.Price.ToString("C", Culture));
    }

    // The mutable property is used only after the flight, on the caller's side, to format the shared value.
    // expect: none
    [SingleFlight]
    public partial Task<decimal?> GetPriceAsync(int productId, CancellationToken cancellationToken = default);

    private async Task<decimal?> GetPriceCoreAsync(int productId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var product = await db.Products.FindAsync([productId], cancellationToken);
        return product?.Price;
    }

    public async Task<string> FormatPriceAsync(int productId, CancellationToken cancellationToken = default)
        => (await GetPriceAsync(productId, cancellationToken))?.ToString("C", Culture) ?? "-";
}
