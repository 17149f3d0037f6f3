using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Customers;

public sealed record CustomerDetails(int Id, string Email, decimal LifetimeValue);

/// <summary>Admin-only customer details; where the permission check is made decides whether joiners are checked.</summary>
public sealed partial class CustomerAdminService(ICurrentUser user, IDbContextFactory<ShopDb> contexts)
{
    // The check runs once, on the leader's user: a non-admin joining an admin's flight receives the details.
    // expect: SF0013
    [SingleFlight]
    public partial Task<CustomerDetails?> GetDetailsAsync(int customerId, CancellationToken cancellationToken = default);

    private async Task<CustomerDetails?> GetDetailsCoreAsync(int customerId, CancellationToken cancellationToken)
    {
        if (!user.IsAdmin)
        {
            return null;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var customer = await db.Customers.FindAsync([customerId], cancellationToken);
        if (customer is null)
        {
            return null;
        }

        var value = await db.Orders.Where(o => o.CustomerId == customerId).SumAsync(o => o.Total, cancellationToken);
        return new CustomerDetails(customer.Id, customer.Email, value);
    }

    // The check runs on every caller, before the flight; the core uses only the key.
    // expect: none
    [SingleFlight]
    public partial Task<CustomerDetails?> LoadDetailsAsync(int customerId, CancellationToken cancellationToken = default);

    private async Task<CustomerDetails?> LoadDetailsCoreAsync(int customerId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var customer = await db.Customers.FindAsync([customerId], cancellationToken);
        if (customer is null)
        {
            return null;
        }

        var value = await db.Orders.Where(o => o.CustomerId == customerId).SumAsync(o => o.Total, cancellationToken);
        return new CustomerDetails(customer.Id, customer.Email, value);
    }

    public Task<CustomerDetails?> GetDetailsCheckedAsync(int customerId, CancellationToken cancellationToken = default)
        => user.IsAdmin ? LoadDetailsAsync(customerId, cancellationToken) : Task.FromResult<CustomerDetails?>(null);
}
