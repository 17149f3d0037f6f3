using Microsoft.Extensions.Logging;
using SingleFlight;
using StackExchange.Redis;

namespace Contoso.Shop.Caching;

public sealed record LeaderboardEntry(string Member, double Score);

/// <summary>
/// Reads a sorted set through the app's one ConnectionMultiplexer: IDisposable, but a singleton made to be shared.
/// </summary>
public sealed partial class RedisLeaderboard(IConnectionMultiplexer redis, ILogger<RedisLeaderboard> logger)
{
    // expect: SF0014
    [SingleFlight]
    public partial Task<LeaderboardEntry[]> GetTopAsync(string board, int count);

    private async Task<LeaderboardEntry[]> GetTopCoreAsync(string board, int count)
    {
        var database = redis.GetDatabase();
        var entries = await database.SortedSetRangeByRankWithScoresAsync(board, 0, count - 1, StackExchange.Redis.Order.Descending);
        logger.LogDebug("{Board}: {Count} entries", board, entries.Length);
        return entries.Select(e => new LeaderboardEntry(e.Element.ToString(), e.Score)).ToArray();
    }
}
