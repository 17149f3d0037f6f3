using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Identity;

public sealed record UserProfile(int UserId, string Email, string[] Roles);

/// <summary>A scoped service given the request's ClaimsPrincipal (registered from HttpContext.User).</summary>
public sealed partial class UserProfileService(ClaimsPrincipal principal, IDbContextFactory<ShopDb> contexts)
{
    // "Me": no parameters, the identity is the leader's principal.
    // expect: SF0013
    [SingleFlight]
    public partial Task<UserProfile?> GetMyProfileAsync(CancellationToken cancellationToken = default);

    private async Task<UserProfile?> GetMyProfileCoreAsync(CancellationToken cancellationToken)
    {
        var id = int.Parse(principal.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var customer = await db.Customers.FindAsync([id], cancellationToken);
        var roles = principal.FindAll(ClaimTypes.Role).Select(c => c.Value).ToArray();
        return customer is null ? null : new UserProfile(id, customer.Email, roles);
    }

    // A profile by id: the principal is not used in the core.
    // expect: none
    [SingleFlight]
    public partial Task<UserProfile?> GetProfileAsync(int userId, CancellationToken cancellationToken = default);

    private async Task<UserProfile?> GetProfileCoreAsync(int userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var customer = await db.Customers.FindAsync([userId], cancellationToken);
        return customer is null ? null : new UserProfile(userId, customer.Email, []);
    }

    public bool CanSee(int userId) => principal.IsInRole("admin") || principal.FindFirst(ClaimTypes.NameIdentifier)?.Value == userId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
