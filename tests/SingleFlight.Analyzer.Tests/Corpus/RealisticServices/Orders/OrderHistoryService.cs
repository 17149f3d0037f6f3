using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SingleFlight;

namespace Contoso.Shop.Orders;

public sealed record OrderHistory(int CustomerId, OrderSummary[] Orders, int AuditEntries);

/// <summary>
/// Half migrated to the flight-owned form: the shop context comes from the flight's scope, but the audit context
/// is still the injected (request-scoped) one.
/// </summary>
public sealed partial class OrderHistoryService(IServiceScopeFactory scopes, AuditDb audit)
{
    // expect: SF0012
    [SingleFlight]
    public partial Task<OrderHistory> GetHistoryAsync(int customerId, CancellationToken cancellationToken = default);

    private async Task<OrderHistory> GetHistoryCoreAsync(int customerId, [FromFlightScope] ShopDb db, CancellationToken cancellationToken)
    {
        var orders = await db.Orders.AsNoTracking()
            .Where(o => o.CustomerId == customerId)
            .Select(o => new OrderSummary(o.Id, o.Status, o.Total))
            .ToArrayAsync(cancellationToken);
        var auditEntries = await audit.Entries.CountAsync(e => e.Action == "order:" + customerId, cancellationToken);
        return new OrderHistory(customerId, orders, auditEntries);
    }

    // Both contexts from the flight's scope.
    // expect: none
    [SingleFlight]
    public partial Task<int> CountAuditEntriesAsync(string action, CancellationToken cancellationToken = default);

    private static Task<int> CountAuditEntriesCoreAsync(string action, [FromFlightScope] AuditDb audit, CancellationToken cancellationToken)
        => audit.Entries.CountAsync(e => e.Action == action, cancellationToken);
}
