using System.Data.Common;
using SingleFlight;

namespace Contoso.Shop.Data;

/// <summary>
/// ADO.NET over a DbDataSource (NpgsqlDataSource and friends): a singleton pool made to be shared, disposable
/// because the container owns it; each core opens its own connection.
/// </summary>
public sealed partial class DataSourceReader(DbDataSource dataSource)
{
    // expect: none
    [SingleFlight]
    public partial Task<long> CountProductsAsync(string category, CancellationToken cancellationToken = default);

    private async Task<long> CountProductsCoreAsync(string category, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "select count(*) from Products where Category = @category";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "category";
        parameter.Value = category;
        command.Parameters.Add(parameter);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
