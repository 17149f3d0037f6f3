using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Orders;

public sealed record CartLine(string Sku, int Quantity, decimal Price);

/// <summary>
/// A scoped cart service: flights are per instance, so only calls within one request share them (a page that
/// asks for the cart total from several components at once).
/// </summary>
public sealed partial class ShoppingCartService(ShopDb db, ICurrentUser user)
{
    // Scope = Instance: the group belongs to this request's instance; its DbContext and user are the callers' own.
    // expect: SF0014
    [SingleFlight(Scope = SingleFlightScope.Instance)]
    public partial Task<CartLine[]> GetLinesAsync(CancellationToken cancellationToken = default);

    private async Task<CartLine[]> GetLinesCoreAsync(CancellationToken cancellationToken)
    {
        var orders = await db.Orders.AsNoTracking()
            .Where(o => o.CustomerId == user.UserId && o.Status == "cart")
            .ToListAsync(cancellationToken);
        return orders.Select(o => new CartLine(o.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, o.Total)).ToArray();
    }

    // expect: none
    [SingleFlight(Scope = SingleFlightScope.Instance)]
    public partial Task<decimal> GetTotalAsync(CancellationToken cancellationToken = default);

    private Task<decimal> GetTotalCoreAsync(CancellationToken cancellationToken)
        => db.Orders.Where(o => o.CustomerId == user.UserId && o.Status == "cart").SumAsync(o => o.Total, cancellationToken);
}
