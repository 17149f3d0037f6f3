using System.Data.Common;
using SingleFlight;

namespace Contoso.Shop.Data;

/// <summary>A unit-of-work style reader handed the request's open DbConnection as a property.</summary>
public sealed partial class SharedConnectionReader
{
    public required DbConnection Connection { get; init; }

    // expect: SF0012
    [SingleFlight]
    public partial Task<string?> GetProductNameAsync(int productId, CancellationToken cancellationToken = default);

    private async Task<string?> GetProductNameCoreAsync(int productId, CancellationToken cancellationToken)
    {
        await using var command = Connection.CreateCommand();
        command.CommandText = "select Name from Products where Id = " + productId;
        return (string?)await command.ExecuteScalarAsync(cancellationToken);
    }
}
