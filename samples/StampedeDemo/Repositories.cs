using System.Text.Json.Serialization;
using Microsoft.Extensions.Caching.Memory;
using SingleFlight;

namespace StampedeDemo;

public interface IProductRepository
{
    Task<Product> GetAsync(int id, CancellationToken cancellationToken = default);
}

/// <summary>Cache-aside, the usual way: on a miss, every request goes to the database.</summary>
public sealed class PlainProductRepository(ProductDatabase database, IMemoryCache cache, TimeSpan ttl) : IProductRepository
{
    public async Task<Product> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        if (cache.TryGetValue(id, out Product? cached))
        {
            return cached!;
        }

        var product = await database.LoadProductAsync(id, cancellationToken);
        cache.Set(id, product, ttl);
        return product;
    }
}

/// <summary>The same cache-aside, with the load behind <c>[SingleFlight]</c>: one query per miss.</summary>
public sealed partial class SingleFlightProductRepository(ProductDatabase database, IMemoryCache cache, TimeSpan ttl) : IProductRepository
{
    public Task<Product> GetAsync(int id, CancellationToken cancellationToken = default)
        => cache.TryGetValue(id, out Product? cached) ? Task.FromResult(cached!) : LoadAsync(id, cancellationToken);

    // The one-line change: the attribute, on a partial declaration of the load.
    [SingleFlight(KeyFrom = "id")]
    private partial Task<Product> LoadAsync(int id, CancellationToken cancellationToken);

    private async Task<Product> LoadCoreAsync(int id, CancellationToken cancellationToken)
    {
        // Checked again inside the flight: a request that missed the cache just before the previous flight
        // filled it must not start a query of its own.
        if (cache.TryGetValue(id, out Product? cached))
        {
            return cached!;
        }

        var product = await database.LoadProductAsync(id, cancellationToken);

        // Filled inside the flight, so the cache holds the value before the flight ends and any caller sees it.
        cache.Set(id, product, ttl);
        return product;
    }
}

/// <summary>
/// The same cache-aside again, with the load behind <c>[SingleFlight(Distributed = true)]</c>: every process that
/// shares the Redis behind <c>DistributedSingleFlight.Default</c> shares one query per miss.
/// </summary>
public sealed partial class DistributedProductRepository(ProductDatabase database, IMemoryCache cache, TimeSpan ttl) : IProductRepository
{
    public async Task<Product> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        if (cache.TryGetValue(id, out Product? cached))
        {
            return cached!;
        }

        var product = await LoadAsync(id, cancellationToken);

        // Only the process that won the flight runs LoadCoreAsync; the others receive the product through Redis
        // and fill their own cache here.
        cache.Set(id, product, ttl);
        return product;
    }

    // Distributed is a per-method switch; the product crosses processes as JSON through DemoJsonContext.
    [SingleFlight(KeyFrom = "id", Distributed = true)]
    private partial Task<Product> LoadAsync(int id, CancellationToken cancellationToken);

    private async Task<Product> LoadCoreAsync(int id, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(id, out Product? cached))
        {
            return cached!;
        }

        var product = await database.LoadProductAsync(id, cancellationToken);
        cache.Set(id, product, ttl);
        return product;
    }
}

/// <summary>Source-generated JSON for the product, which the distributed flight sends to the other processes.</summary>
[JsonSerializable(typeof(Product))]
internal sealed partial class DemoJsonContext : JsonSerializerContext;
