using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Customers;

/// <summary>A base class every repository of the app derives from.</summary>
public abstract class RepositoryBase
{
    protected RepositoryBase(ShopDb db) => Db = db;

    protected ShopDb Db { get; }
}

public sealed partial class InvoiceRepository(ShopDb db) : RepositoryBase(db)
{
    // The context is an inherited property of the base repository: still the leader's.
    // expect: SF0012
    [SingleFlight]
    public partial Task<decimal> GetOutstandingAsync(int customerId, CancellationToken cancellationToken = default);

    private Task<decimal> GetOutstandingCoreAsync(int customerId, CancellationToken cancellationToken)
        => Db.Invoices.Where(i => i.CustomerId == customerId && !i.IsPaid).SumAsync(i => i.Amount, cancellationToken);

    // expect: SF0012
    [SingleFlight(KeyFrom = "customerId")]
    public partial Task<bool> HasUnpaidAsync(int customerId, CancellationToken cancellationToken = default);

    private Task<bool> HasUnpaidCoreAsync(int customerId, CancellationToken cancellationToken)
        => Db.Invoices.AnyAsync(i => i.CustomerId == customerId && !i.IsPaid, cancellationToken);
}
