using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Options;
using SingleFlight;

namespace Contoso.Shop.Caching;

/// <summary>Profiles cached in IDistributedCache (Redis), loaded through a context factory on a miss.</summary>
public sealed partial class CustomerProfileCache
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly IDistributedCache _cache;
    private readonly IDbContextFactory<ShopDb> _contexts;
    private readonly DistributedCacheEntryOptions _entryOptions;
    private readonly string _prefix;

    public CustomerProfileCache(IDistributedCache cache, IDbContextFactory<ShopDb> contexts, IOptions<CacheOptions> options)
    {
        _cache = cache;
        _contexts = contexts;
        _entryOptions = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = options.Value.Ttl };
        _prefix = options.Value.Prefix;
    }

    // expect: none
    [SingleFlight]
    public partial Task<CustomerDto?> GetProfileAsync(int customerId, CancellationToken cancellationToken = default);

    private async Task<CustomerDto?> GetProfileCoreAsync(int customerId, CancellationToken cancellationToken)
    {
        var key = _prefix + "customer:" + customerId;
        if (await _cache.GetStringAsync(key, cancellationToken) is { } json)
        {
            return JsonSerializer.Deserialize<CustomerDto>(json, s_json);
        }

        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var customer = await db.Customers.FindAsync([customerId], cancellationToken);
        if (customer is null)
        {
            return null;
        }

        var dto = new CustomerDto(customer.Id, customer.Email, customer.Name);
        await _cache.SetStringAsync(key, JsonSerializer.Serialize(dto, s_json), _entryOptions, cancellationToken);
        return dto;
    }
}
