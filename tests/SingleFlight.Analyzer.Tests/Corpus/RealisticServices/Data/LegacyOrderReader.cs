using System.Data;
using Dapper;
using SingleFlight;

namespace Contoso.Shop.Data;

/// <summary>
/// Legacy code: one IDbConnection per request, registered as scoped (services.AddScoped&lt;IDbConnection&gt;) and
/// injected; the request's scope disposes it.
/// </summary>
public sealed partial class LegacyOrderReader
{
    private readonly IDbConnection _connection;

    public LegacyOrderReader(IDbConnection connection) => _connection = connection;

    // expect: SF0012
    [SingleFlight]
    public partial Task<int> CountOrdersAsync(int customerId);

    private Task<int> CountOrdersCoreAsync(int customerId)
        => _connection.ExecuteScalarAsync<int>("select count(*) from Orders where CustomerId = @customerId", new { customerId });
}
