using Dapper;
using Microsoft.Extensions.Options;
using SingleFlight;

namespace Contoso.Shop.Data;

public sealed class QueryOptions
{
    public string Schema { get; set; } = "dbo";

    public int CommandTimeoutSeconds { get; set; } = 30;
}

/// <summary>
/// Configuration kept in fields that are not marked readonly, but only ever assigned in the constructor.
/// </summary>
public sealed partial class ConfiguredQueryRunner
{
    private IDbConnectionFactory _connections;
    private string _schema;
    private int _timeout;

    public ConfiguredQueryRunner(IDbConnectionFactory connections, IOptions<QueryOptions> options)
    {
        _connections = connections;
        _schema = options.Value.Schema;
        _timeout = options.Value.CommandTimeoutSeconds;
    }

    // expect: none
    [SingleFlight]
    public partial Task<IEnumerable<ProductDto>> GetProductsAsync(string category);

    private async Task<IEnumerable<ProductDto>> GetProductsCoreAsync(string category)
    {
        using var connection = await _connections.OpenConnectionAsync();
        return await connection.QueryAsync<ProductDto>(
            $"select top 100 Id, Sku, Name, Price from {_schema}.Products where Category = @category /* timeout {_timeout} */",
            new { category });
    }
}
