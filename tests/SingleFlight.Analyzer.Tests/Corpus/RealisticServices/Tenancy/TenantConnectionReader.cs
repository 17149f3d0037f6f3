using Dapper;
using SingleFlight;

namespace Contoso.Shop.Tenancy;

public interface ITenantConnectionFactory
{
    Task<System.Data.IDbConnection> OpenAsync(string connectionString, CancellationToken cancellationToken = default);
}

/// <summary>Database-per-tenant: the connection string comes from the tenant context.</summary>
public sealed partial class TenantConnectionReader(ITenantConnectionFactory connections, ITenantContext tenant)
{
    // Every tenant's callers share one flight (the key is only the SKU) run against the leader's tenant database.
    // expect: SF0013
    [SingleFlight]
    public partial Task<int> GetStockAsync(string sku, CancellationToken cancellationToken = default);

    private async Task<int> GetStockCoreAsync(string sku, CancellationToken cancellationToken)
    {
        using var connection = await connections.OpenAsync(tenant.ConnectionString, cancellationToken);
        return await connection.ExecuteScalarAsync<int>("select sum(Quantity) from Stock where Sku = @sku", new { sku });
    }
}
