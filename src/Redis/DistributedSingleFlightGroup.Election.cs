using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace SingleFlight.Redis;

public sealed partial class DistributedSingleFlightGroup<TKey, TValue>
{
    /// <summary>The local leader's path: elect, then lead or wait; any Redis trouble runs the work here.</summary>
#if NET8_0_OR_GREATER
    // Pooled: the local flight awaits it exactly once, so its state machine can serve the next flight (about 300 B each).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
#endif
    private async ValueTask<TValue> RunAsync<TState>(
        TKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken flightToken)
    {
        var keys = new FlightKeys(_keyPrefix, _keyEncoder(key));
        var started = Stopwatch.GetTimestamp();

        // Where the flight's deadline (if any) is measured from: the local flight started a moment ago.
        var deadlineStart = _local.Deadline is null ? 0 : _options.TimeProvider.GetTimestamp();
        var myToken = FlightToken.New();
        long? busySince = null;
        var retryDelay = FirstRetryDelay;

        // Whatever keeps this flight from coordinating through Redis, or from using the outcome it got there, leaves the
        // loop (after saying why) and runs the work here, below. The work never runs inside a try that catches Redis
        // failures: an exception of the work that happens to look like one (InvalidOperationException, TimeoutException)
        // must reach the callers, not run it again.
        while (true)
        {
            if (!_redis.IsConnected)
            {
                _health.Fallback("disconnected");
                break;
            }

            string holder;
            long electedAt;
            try
            {
                EnsureSubscribed();

                // Not cancelled by the callers' token: once sent, the script may take the key whatever this process does,
                // so the flight must see its answer and release a key it won. RedisTimeout bounds the wait; an answer that
                // comes after it still releases a key it took (ScriptCall). A cluster that cannot serve it yet
                // (CLUSTERDOWN during a failover) is asked again below, within that bound; the first attempt is sent
                // directly, so an election that is not refused costs no retry machinery.
                var db = _redis.GetDatabase();
                electedAt = Stopwatch.GetTimestamp();
                holder = FlightScripts.HolderOf(
                    await RentCall().Election(keys, myToken, _options.LeaseDuration).SendAsync(db, _options.RedisTimeout).ConfigureAwait(false),
                    myToken);
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                flightToken.ThrowIfCancellationRequested();
                if (ex is RedisServerException refused && IsClusterBusy(refused))
                {
                    // The script did not run: send it again after a pause, as SendAsync does for the other scripts.
                    busySince ??= Stopwatch.GetTimestamp();
                    if (MayRetry(busySince.Value, retryDelay))
                    {
                        await Task.Delay(retryDelay, flightToken).ConfigureAwait(false);
                        retryDelay = NextRetryDelay(retryDelay);
                        continue;
                    }
                }

                _health.Fallback(RedisTelemetry.ReasonOf(ex));
                break;
            }

            // Answered: a later election of this flight (after a leader gave up) gets a budget of its own, as every
            // command sent through SendAsync does.
            busySince = null;
            retryDelay = FirstRetryDelay;

            if (holder == myToken)
            {
                if (flightToken.IsCancellationRequested)
                {
                    // Every caller left during the election: hand the key over at once instead of at lease expiry.
                    await AbandonAsync(keys, myToken).ConfigureAwait(false);
                    flightToken.ThrowIfCancellationRequested();
                }

                return await LeadAsync(keys, myToken, state, work, flightToken, deadlineStart).ConfigureAwait(false);
            }

            if (holder.Length == 0)
            {
                // Scripts are atomic, so a failed SET NX always finds a holder; an empty one is a reply this code does
                // not understand. Answer locally rather than loop on Redis.
                _health.Fallback("unexpected-reply");
                break;
            }

            if (_unconfirmed.TryGetValue(holder, out var unconfirmed) && unconfirmed.MayHaveOvertaken(electedAt))
            {
                // The lock names a flight of this process whose callers already have its outcome: its completion had not
                // run when this election did (a cluster refused it, and it is sent again). Following it would give this
                // later call that outcome (no caching, rule 2 of semantics.md): wait until it has run, and elect again.
                await unconfirmed.SettledAsync().WaitAsync(Timeout.InfiniteTimeSpan, flightToken).ConfigureAwait(false);
                continue;
            }

            PollOutcome outcome;
            RedisValue payload;
            try
            {
                (outcome, payload) = await WaitForAsync(keys, holder, myToken, started, flightToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRedisFailure(ex) && !flightToken.IsCancellationRequested)
            {
                _health.Fallback(RedisTelemetry.ReasonOf(ex));
                break;
            }

            if (outcome == PollOutcome.LeaseLost)
            {
                // The leader died or gave up without a result: elect again.
                continue;
            }

            if (outcome != PollOutcome.Done)
            {
                RedisTelemetry.Record(Name, RedisTelemetry.WaitTimeout);
                break;
            }

            if (TryTake(payload!, out var received))
            {
                return received;
            }

            break;
        }

        return await work(state, flightToken).ConfigureAwait(false);
    }
}
