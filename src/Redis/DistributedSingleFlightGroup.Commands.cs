using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace SingleFlight.Redis;

public sealed partial class DistributedSingleFlightGroup<TKey, TValue>
{
    // The first and the longest pause between two attempts of a command the cluster asked to send again.
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMilliseconds(100);

    private async Task<RedisResult> Redis(Func<IDatabase, bool, Task<RedisResult>> command, CancellationToken cancellationToken)
        => await SendAsync(command, cancellationToken).WaitAsync(_options.RedisTimeout, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Sends <paramref name="command"/>, and sends it again while a Redis Cluster answers that it cannot serve it yet:
    /// <c>TRYAGAIN</c> (a script whose keys a slot migration under way has split across two primaries) or
    /// <c>CLUSTERDOWN</c> (a slot without a primary, during a failover). Either reply means the script did not run, and
    /// every script of the protocol may run twice for the same token anyway. Stops retrying once the next attempt would
    /// start after <see cref="DistributedSingleFlightOptions.RedisTimeout"/>; callers bound the whole with the same
    /// timeout. <c>MOVED</c> and <c>ASK</c> redirections are followed by StackExchange.Redis itself. The script goes by
    /// hash; a server that answers <c>NOSCRIPT</c> (it did not run it) gets it again at once by text (the command's
    /// second argument).
    /// </summary>
    private async Task<RedisResult> SendAsync(Func<IDatabase, bool, Task<RedisResult>> command, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var delay = FirstRetryDelay;
        var byText = false;
        while (true)
        {
            try
            {
                return await command(_redis.GetDatabase(), byText).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (!byText && FlightScripts.IsNoScript(ex))
            {
                byText = true;
            }
            catch (RedisServerException ex) when (IsClusterBusy(ex) && MayRetry(started, delay))
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = NextRetryDelay(delay);
            }
        }
    }

    /// <summary>Whether an attempt after a pause of <paramref name="delay"/> still starts within RedisTimeout of <paramref name="since"/>.</summary>
    private bool MayRetry(long since, TimeSpan delay) => ElapsedSince(since) + delay < _options.RedisTimeout;

    /// <summary>The pause before the attempt after one that followed <paramref name="delay"/>: doubled, up to <see cref="MaxRetryDelay"/>.</summary>
    private static TimeSpan NextRetryDelay(TimeSpan delay) => delay + delay < MaxRetryDelay ? delay + delay : MaxRetryDelay;

    /// <summary>Runs a best-effort command; returns null on success or the failure's reason.</summary>
    private async Task<string?> TryRedisAsync(Func<IDatabase, bool, Task<RedisResult>> command)
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

    /// <summary>A cluster's answer that the command was refused for now and may be sent again: the slot is moving or has no primary.</summary>
    private static bool IsClusterBusy(RedisServerException error)
        => error.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || error.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal);
}
