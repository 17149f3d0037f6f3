using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SingleFlight;

namespace Contoso.Shop.Customers;

public sealed record LoyaltyStatus(int CustomerId, string Tier, int Points);

/// <summary>
/// Reads the customer id from the current request on the caller's side; the coalesced lookup is by customer id.
/// </summary>
public sealed partial class LoyaltyService(IHttpContextAccessor http, IDbContextFactory<ShopDb> contexts, ILogger<LoyaltyService> logger)
{
    // expect: none
    [SingleFlight]
    public partial Task<LoyaltyStatus> GetStatusAsync(int customerId, CancellationToken cancellationToken = default);

    private async Task<LoyaltyStatus> GetStatusCoreAsync(int customerId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var spent = await db.Orders.Where(o => o.CustomerId == customerId).SumAsync(o => o.Total, cancellationToken);
        var tier = spent switch { > 5000m => "gold", > 1000m => "silver", _ => "bronze" };
        logger.LogDebug("Customer {CustomerId} is {Tier}", customerId, tier);
        return new LoyaltyStatus(customerId, tier, (int)spent);
    }

    public Task<LoyaltyStatus> GetMineAsync(CancellationToken cancellationToken = default)
    {
        var id = http.HttpContext?.User.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? throw new InvalidOperationException("anonymous");
        return GetStatusAsync(int.Parse(id, System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
    }
}
