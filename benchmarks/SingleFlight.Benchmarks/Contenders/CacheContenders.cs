using System;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using ZiggyCreatures.Caching.Fusion;

namespace SingleFlight.Benchmarks.Contenders;

/// <summary>The cache libraries, set up as stampede guards only.</summary>
public static class CacheContenders
{
    /// <summary>
    /// Entry options that turn off local and distributed caching, reads and writes: every call goes through
    /// HybridCache's stampede protection to the factory.
    /// </summary>
    public static readonly HybridCacheEntryOptions HybridNoCaching = new()
    {
        Flags = HybridCacheEntryFlags.DisableLocalCache | HybridCacheEntryFlags.DisableDistributedCache,
    };

    /// <summary>FusionCache with a zero duration: nothing is kept once the factory returns.</summary>
    public static readonly FusionCacheEntryOptions FusionZeroDuration = new() { Duration = TimeSpan.Zero };

    /// <summary>HybridCache from the DI container, as an application gets it (no IDistributedCache registered).</summary>
    public static (HybridCache Cache, IDisposable Owner) CreateHybridCache()
    {
        var services = new ServiceCollection();
        services.AddHybridCache();
        var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<HybridCache>(), provider);
    }

    public static FusionCache CreateFusionCache() => new(new FusionCacheOptions());

    /// <summary>String keys for the caches, made once so the benchmarks don't measure string formatting.</summary>
    public static string[] StringKeys(int count)
    {
        var keys = new string[count];
        for (var i = 0; i < count; i++)
        {
            keys[i] = "user:" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return keys;
    }
}
