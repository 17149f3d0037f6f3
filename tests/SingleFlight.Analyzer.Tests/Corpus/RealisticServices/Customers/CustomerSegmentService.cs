using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SingleFlight;

namespace Contoso.Shop.Customers;

public sealed record Segment(string Name, int Customers);

/// <summary>The core delegates the query to a private helper; the helper uses the request's DbContext.</summary>
public sealed partial class CustomerSegmentService(ShopDb db, ILogger<CustomerSegmentService> logger)
{
    // The core touches no disposable member itself, but the helper it calls does.
    // expect: SF0012
    [SingleFlight]
    public partial Task<Segment> GetSegmentAsync(string name, CancellationToken cancellationToken = default);

    private async Task<Segment> GetSegmentCoreAsync(string name, CancellationToken cancellationToken)
    {
        var count = await CountMatchingAsync(name, cancellationToken);
        logger.LogDebug("Segment {Name}: {Count}", name, count);
        return new Segment(name, count);
    }

    private Task<int> CountMatchingAsync(string name, CancellationToken cancellationToken)
        => db.Customers.CountAsync(c => c.IsActive && c.Name.StartsWith(name), cancellationToken);
}
