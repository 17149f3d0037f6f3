using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Identity;

/// <summary>Passes "the request's" cancellation to the query by reading it from IHttpContextAccessor.</summary>
public sealed partial class CustomerExportService(IHttpContextAccessor http, IDbContextFactory<ShopDb> contexts)
{
    // The token read in the core is the leader's request's: when the leader disconnects the shared work is
    // cancelled for joiners whose own tokens never fired.
    // expect: SF0013 SF0014
    [SingleFlight]
    public partial Task<CustomerDto[]> ExportAsync(string tenantId);

    private async Task<CustomerDto[]> ExportCoreAsync(string tenantId)
    {
        var aborted = http.HttpContext?.RequestAborted ?? CancellationToken.None;
        await using var db = await contexts.CreateDbContextAsync(aborted);
        return await db.Customers.AsNoTracking()
            .Where(c => c.TenantId == tenantId)
            .Select(c => new CustomerDto(c.Id, c.Email, c.Name))
            .ToArrayAsync(aborted);
    }
}
