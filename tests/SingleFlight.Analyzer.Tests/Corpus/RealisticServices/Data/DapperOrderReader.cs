using Dapper;
using SingleFlight;

namespace Contoso.Shop.Data;

/// <summary>Dapper over a connection factory: each core opens and disposes its own connection.</summary>
public sealed partial class DapperOrderReader(IDbConnectionFactory connections)
{
    private const string SummarySql = "select Id as OrderId, Status, Total from Orders where Id = @id";

    // expect: none
    [SingleFlight]
    public partial Task<OrderSummary?> GetSummaryAsync(long id);

    private async Task<OrderSummary?> GetSummaryCoreAsync(long id)
    {
        using var connection = await connections.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<OrderSummary>(SummarySql, new { id });
    }

    // A blocking method, same shape.
    // expect: none
    [SingleFlight]
    public partial IReadOnlyList<OrderSummary> GetOpenOrders(int customerId);

    private IReadOnlyList<OrderSummary> GetOpenOrdersCore(int customerId)
    {
        using var connection = connections.CreateConnection();
        connection.Open();
        return connection.Query<OrderSummary>("select Id as OrderId, Status, Total from Orders where CustomerId = @customerId and Status = 'open'", new { customerId }).ToList();
    }
}
