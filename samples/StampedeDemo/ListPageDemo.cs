using System.Diagnostics;
using SingleFlight;

namespace StampedeDemo;

/// <summary>
/// A list page: many concurrent page requests, each showing a handful of products, the pages overlapping. Loaded one
/// query per product, through a generated batch method (one query per call, for the keys not already in flight), and
/// through a batched single-key method (the products of every page within a 5 ms window in one query).
/// </summary>
internal static class ListPageDemo
{
    public const int ProductsPerPage = 10;

    public static async Task RunAsync(ProductDatabase database, int pages)
    {
        Console.WriteLine($"List pages: {pages:N0} concurrent page requests of {ProductsPerPage} products each, the pages overlapping.");
        var results = new List<(string Label, int Products, int Queries, double WallMs)>
        {
            await MeasureAsync(database, pages, "one query per product", static (db, ids) => PerProductAsync(db, ids)),
            await MeasureAsync(database, pages, "batch method", (db, ids) => new ProductLists(db).GetProductsAsync(ids)),
            await MeasureAsync(database, pages, "batched single key", (db, ids) => new ProductLists(db).GetPageAsync(ids)),
        };

        Console.WriteLine();
        Table.Print(results.Select(r => r.Label).ToArray(),
        [
            ("list pages", results.Select(_ => Table.Count(pages)).ToArray()),
            ("products shown", results.Select(r => Table.Count(r.Products)).ToArray()),
            ("product queries", results.Select(r => Table.Count(r.Queries)).ToArray()),
            ("wall time", results.Select(r => Table.Milliseconds(r.WallMs, "N0")).ToArray()),
        ]);
    }

    /// <summary>Page <paramref name="page"/>'s products: ten ids, two further along than the previous page's.</summary>
    public static int[] PageIds(int page) => Enumerable.Range(0, ProductsPerPage).Select(k => (page * 2 + k) % 40 + 1).ToArray();

    private static async Task<(string, int, int, double)> MeasureAsync(
        ProductDatabase database, int pages, string label, Func<ProductDatabase, int[], Task<IReadOnlyDictionary<int, Product>>> load)
    {
        var before = database.Queries;
        var wall = Stopwatch.StartNew();

        // Started from one loop: every page's calls reach the group before the first of them completes.
        var requests = Enumerable.Range(0, pages).Select(page => load(database, PageIds(page))).ToArray();
        var shown = (await Task.WhenAll(requests)).Sum(static page => page.Count);
        return (label, shown, database.Queries - before, wall.Elapsed.TotalMilliseconds);
    }

    private static async Task<IReadOnlyDictionary<int, Product>> PerProductAsync(ProductDatabase database, int[] ids)
    {
        var products = await Task.WhenAll(ids.Select(id => database.LoadProductAsync(id, CancellationToken.None)));
        return products.ToDictionary(static p => p.Id);
    }
}

/// <summary>The list page's repository: a batch method, and a single-key method whose calls are batched.</summary>
public sealed partial class ProductLists(ProductDatabase database)
{
    // A batch method: the shape is enough (a collection of keys in, a dictionary by key out). Keys another call has in
    // flight are joined; the others go to one query.
    [SingleFlight]
    public partial Task<IReadOnlyDictionary<int, Product>> GetProductsAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken = default);

    private Task<Dictionary<int, Product>> GetProductsCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken)
        => database.LoadProductsAsync(ids, cancellationToken);

    // Single-key calls, batched: the calls of every page within 5 ms share one call of the batch core.
    [SingleFlight(BatchWindowMilliseconds = 5, MaxBatchSize = 500)]
    public partial Task<Product?> GetProductAsync(int id, CancellationToken cancellationToken = default);

    private Task<Dictionary<int, Product>> GetProductCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken)
        => database.LoadProductsAsync(ids, cancellationToken);

    /// <summary>A page that asks for its products one by one, as a component per row (or a GraphQL resolver) would.</summary>
    public async Task<IReadOnlyDictionary<int, Product>> GetPageAsync(int[] ids)
    {
        var products = await Task.WhenAll(ids.Select(id => GetProductAsync(id)));
        return products.OfType<Product>().ToDictionary(static p => p.Id);
    }
}
