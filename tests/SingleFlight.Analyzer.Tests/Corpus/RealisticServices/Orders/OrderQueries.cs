using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Orders;

/// <summary>Read side over IDbContextFactory: each call creates (and disposes) its own context.</summary>
public sealed partial class OrderQueries
{
    private readonly IDbContextFactory<ShopDb> _contexts;

    public OrderQueries(IDbContextFactory<ShopDb> contexts) => _contexts = contexts;

    // expect: none
    [SingleFlight(KeyFrom = "orderId")]
    public partial Task<OrderSummary?> GetSummaryAsync(long orderId, CancellationToken cancellationToken = default);

    private async Task<OrderSummary?> GetSummaryCoreAsync(long orderId, CancellationToken cancellationToken)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var order = await db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.Id == orderId, cancellationToken);
        return order is null ? null : new OrderSummary(order.Id, order.Status, order.Total);
    }

    // expect: SF0014
    [SingleFlight]
    public partial Task<OrderSummary[]> GetRecentAsync(int customerId, int take, CancellationToken cancellationToken = default);

    private async Task<OrderSummary[]> GetRecentCoreAsync(int customerId, int take, CancellationToken cancellationToken)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        return await db.Orders.AsNoTracking()
            .Where(o => o.CustomerId == customerId)
            .OrderByDescending(o => o.PlacedAt)
            .Take(take)
            .Select(o => new OrderSummary(o.Id, o.Status, o.Total))
            .ToArrayAsync(cancellationToken);
    }
}
