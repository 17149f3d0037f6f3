using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Reporting;

public sealed record DailyTotal(DateOnly Day, decimal Total);

/// <summary>
/// "My orders per day", bucketed in the current user's time zone; the user id is the key, the time zone is read
/// from the current-user service inside the core.
/// </summary>
public sealed partial class LocalizedReportService(IDbContextFactory<ShopDb> contexts, ICurrentUser user)
{
    // The customer is in the key, but the time zone is the leader's: two users looking at one customer (an admin
    // and the customer) get days bucketed in whichever time zone led the flight.
    // expect: SF0013 SF0014
    [SingleFlight]
    public partial Task<DailyTotal[]> GetDailyTotalsAsync(int customerId, CancellationToken cancellationToken = default);

    private async Task<DailyTotal[]> GetDailyTotalsCoreAsync(int customerId, CancellationToken cancellationToken)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(user.TimeZoneId);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var orders = await db.Orders.AsNoTracking().Where(o => o.CustomerId == customerId).ToListAsync(cancellationToken);
        return orders
            .GroupBy(o => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(o.PlacedAt, zone).DateTime))
            .Select(g => new DailyTotal(g.Key, g.Sum(o => o.Total)))
            .ToArray();
    }
}
