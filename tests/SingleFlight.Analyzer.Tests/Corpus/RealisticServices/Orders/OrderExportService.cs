using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Orders;

/// <summary>
/// Takes its DbContext lazily (a Lazy&lt;ShopDb&gt; registration resolved from the request's scope), so that
/// requests that do not export never create one.
/// </summary>
public sealed partial class OrderExportService(Lazy<ShopDb> db)
{
    // Lazy<T> is not disposable, but its Value is the leader's scoped context.
    // expect: SF0012
    [SingleFlight]
    public partial Task<string> ExportCsvAsync(int customerId, CancellationToken cancellationToken = default);

    private async Task<string> ExportCsvCoreAsync(int customerId, CancellationToken cancellationToken)
    {
        var orders = await db.Value.Orders.AsNoTracking().Where(o => o.CustomerId == customerId).ToListAsync(cancellationToken);
        return string.Join('\n', orders.Select(o => FormattableString.Invariant($"{o.Id},{o.Status},{o.Total}")));
    }
}
