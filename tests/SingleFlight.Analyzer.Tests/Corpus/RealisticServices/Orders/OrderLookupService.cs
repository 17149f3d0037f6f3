using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SingleFlight;

namespace Contoso.Shop.Orders;

/// <summary>
/// Migrated to the flight-owned form without renaming: the core's [FromFlightScope] parameter is called `db`, like
/// the primary-constructor parameter the write path still uses. Inside the core, `db` is the parameter.
/// </summary>
public sealed partial class OrderLookupService(IServiceScopeFactory scopes, ShopDb db)
{
    // expect: none
    [SingleFlight]
    public partial Task<OrderSummary?> FindAsync(long orderId, CancellationToken cancellationToken = default);

    private static async Task<OrderSummary?> FindCoreAsync(long orderId, [FromFlightScope] ShopDb db, CancellationToken cancellationToken)
    {
        var order = await db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.Id == orderId, cancellationToken);
        return order is null ? null : new OrderSummary(order.Id, order.Status, order.Total);
    }

    public async Task CancelAsync(long orderId, CancellationToken cancellationToken = default)
    {
        var order = await db.Orders.SingleOrDefaultAsync(o => o.Id == orderId, cancellationToken) ?? throw new KeyNotFoundException();
        order.Status = "cancelled";
        await db.SaveChangesAsync(cancellationToken);
    }
}
