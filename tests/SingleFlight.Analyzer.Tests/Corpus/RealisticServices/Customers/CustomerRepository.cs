using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SingleFlight;

namespace Contoso.Shop.Customers;

/// <summary>A classic constructor-injected repository: readonly fields for the context and the logger.</summary>
public sealed partial class CustomerRepository
{
    private readonly ShopDb _db;
    private readonly ILogger<CustomerRepository> _logger;

    public CustomerRepository(ShopDb db, ILogger<CustomerRepository> logger)
    {
        _db = db;
        _logger = logger;
    }

    // The logger is fine; the readonly field `_db` is still the leader's scoped context.
    // expect: SF0012
    [SingleFlight(KeyFrom = "email")]
    public partial Task<CustomerDto?> FindByEmailAsync(string email, CancellationToken cancellationToken = default);

    private async Task<CustomerDto?> FindByEmailCoreAsync(string email, CancellationToken cancellationToken)
    {
        _logger.LogDebug("Looking up {Email}", email);
        var customer = await _db.Customers.AsNoTracking().SingleOrDefaultAsync(c => c.Email == email, cancellationToken);
        return customer is null ? null : new CustomerDto(customer.Id, customer.Email, customer.Name);
    }

    // The context is reached from a local function of the core.
    // expect: SF0012
    [SingleFlight]
    public partial Task<int> CountActiveAsync(CancellationToken cancellationToken = default);

    private async Task<int> CountActiveCoreAsync(CancellationToken cancellationToken)
    {
        var count = await Query(cancellationToken);
        _logger.LogInformation("{Count} active customers", count);
        return count;

        Task<int> Query(CancellationToken token) => _db.Customers.CountAsync(c => c.IsActive, token);
    }
}
