using System;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace SingleFlight.Redis;

public sealed partial class DistributedSingleFlightGroup<TKey, TValue>
{
    private async Task<RedisResult> Redis(Func<IDatabase, Task<RedisResult>> command, CancellationToken cancellationToken)
        => await command(_redis.GetDatabase()).WaitAsync(_options.RedisTimeout, cancellationToken).ConfigureAwait(false);

    /// <summary>Runs a best-effort command; returns null on success or the failure's reason.</summary>
    private async Task<string?> TryRedisAsync(Func<IDatabase, Task<RedisResult>> command)
    {
        try
        {
            if (!_redis.IsConnected)
            {
                return "disconnected";
            }

            await Redis(command, CancellationToken.None).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            return RedisTelemetry.ReasonOf(ex);
        }
    }

    private static bool IsRedisFailure(Exception error)
        => error is RedisException or TimeoutException or ObjectDisposedException or InvalidOperationException;
}
