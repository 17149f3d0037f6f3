using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using SingleFlight;

namespace Contoso.Shop.Caching;

/// <summary>
/// A caching decorator over the rates API, registered as a singleton like the client it decorates: the flight stops
/// the cache stampede on a miss.
/// </summary>
public sealed partial class CachedExchangeRates(IExchangeRateApi inner, IMemoryCache cache, IOptions<CacheOptions> options) : IExchangeRateApi
{
    private readonly TimeSpan _ttl = options.Value.Ttl;

    // IMemoryCache is IDisposable but a singleton made to be shared; the inner client is a singleton too.
    // expect: none
    [SingleFlight]
    public partial Task<decimal> GetRateAsync(string from, string to, CancellationToken cancellationToken = default);

    private async Task<decimal> GetRateCoreAsync(string from, string to, CancellationToken cancellationToken)
    {
        var key = (from, to);
        if (cache.TryGetValue(key, out decimal cached))
        {
            return cached;
        }

        var rate = await inner.GetRateAsync(from, to, cancellationToken);
        cache.Set(key, rate, _ttl);
        return rate;
    }
}
