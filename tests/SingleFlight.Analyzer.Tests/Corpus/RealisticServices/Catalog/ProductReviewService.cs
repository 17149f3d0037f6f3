using SingleFlight;

namespace Contoso.Shop.Catalog;

public sealed record ReviewSummary(int ProductId, double Average, int Count);

/// <summary>
/// A partial service split over two files: the public surface here, the queries (and the core) in
/// ProductReviewService.Queries.cs.
/// </summary>
public sealed partial class ProductReviewService
{
    private readonly ShopDb _db;

    public ProductReviewService(ShopDb db) => _db = db;

    // The core, in the other file, queries the request's context.
    // expect: SF0012
    [SingleFlight]
    public partial Task<ReviewSummary> GetSummaryAsync(int productId, CancellationToken cancellationToken = default);
}
