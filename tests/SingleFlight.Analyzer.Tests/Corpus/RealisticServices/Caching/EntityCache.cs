using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using SingleFlight;

namespace Contoso.Shop.Caching;

/// <summary>A generic read-through cache of entities by key, registered as an open generic singleton.</summary>
public sealed partial class EntityCache<TEntity>(IMemoryCache cache, IDbContextFactory<ShopDb> contexts)
    where TEntity : class
{
    private static readonly TimeSpan s_ttl = TimeSpan.FromMinutes(10);
    private static readonly string s_prefix = typeof(TEntity).Name + ":";

    // expect: none
    [SingleFlight]
    public partial Task<TEntity?> GetAsync(int id, CancellationToken cancellationToken = default);

    private async Task<TEntity?> GetCoreAsync(int id, CancellationToken cancellationToken)
    {
        var key = s_prefix + id;
        if (cache.TryGetValue(key, out TEntity? cached))
        {
            return cached;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var entity = await db.Set<TEntity>().FindAsync([id], cancellationToken);
        if (entity is not null)
        {
            cache.Set(key, entity, s_ttl);
        }

        return entity;
    }
}
