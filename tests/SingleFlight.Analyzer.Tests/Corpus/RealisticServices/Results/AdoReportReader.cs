using System.Data;
using System.Data.Common;
using SingleFlight;

namespace Contoso.Shop.Results;

public sealed record SalesRow(DateOnly Day, string Region, decimal Revenue);

/// <summary>
/// Reports over ADO.NET from a data source (a singleton). Handing the reader or the command's connection to the callers
/// is the mistake; materializing the rows in the core is the fix.
/// </summary>
public sealed partial class AdoReportReader(DbDataSource dataSource)
{
    // One reader, one cursor, one connection: the callers would advance it under each other, and the first to dispose
    // it closes it for all.
    // expect: SF0014
    [SingleFlight]
    public partial Task<DbDataReader> ReadSalesAsync(string region, CancellationToken cancellationToken = default);

    private async Task<DbDataReader> ReadSalesCoreAsync(string region, CancellationToken cancellationToken)
    {
        var command = dataSource.CreateCommand("select Day, Region, Revenue from Sales where Region = @region");
        var parameter = command.CreateParameter();
        parameter.ParameterName = "region";
        parameter.Value = region;
        command.Parameters.Add(parameter);
        return await command.ExecuteReaderAsync(CommandBehavior.CloseConnection, cancellationToken);
    }

    // A DataTable is disposable (a component) and every caller can add, remove and edit its rows.
    // expect: SF0014
    [SingleFlight]
    public partial Task<DataTable> LoadSalesTableAsync(string region, CancellationToken cancellationToken = default);

    private async Task<DataTable> LoadSalesTableCoreAsync(string region, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select Day, Region, Revenue from Sales where Region = @region");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var table = new DataTable("Sales");
        table.Load(reader);
        return table;
    }

    // An open connection for the callers to use: the first to dispose it closes it under the others.
    // expect: SF0014
    [SingleFlight]
    public partial ValueTask<DbConnection> OpenReportingConnectionAsync(string region, CancellationToken cancellationToken = default);

    private async ValueTask<DbConnection> OpenReportingConnectionCoreAsync(string region, CancellationToken cancellationToken)
        => await dataSource.OpenConnectionAsync(cancellationToken);

    // Materialized in the core, returned read-only.
    // expect: none
    [SingleFlight]
    public partial Task<IReadOnlyList<SalesRow>> GetSalesAsync(string region, CancellationToken cancellationToken = default);

    private async Task<IReadOnlyList<SalesRow>> GetSalesCoreAsync(string region, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select Day, Region, Revenue from Sales where Region = @region");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<SalesRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new SalesRow(DateOnly.FromDateTime(reader.GetDateTime(0)), reader.GetString(1), reader.GetDecimal(2)));
        }

        return rows;
    }

    // The data source itself is a singleton made to be shared (SF0012's shared types): handing it out is fine.
    // expect: none
    [SingleFlight]
    public partial DbDataSource GetDataSource(string region);

    private DbDataSource GetDataSourceCore(string region) => dataSource;
}
