using System;
using System.Diagnostics;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace SingleFlight.Redis;

public sealed partial class DistributedSingleFlightGroup<TKey, TValue>
{
    /// <summary>
    /// The value of another process's flight, from its <paramref name="payload"/>; or <see langword="false"/>, once the
    /// reason is recorded, when this process must run the work itself: the outcome cannot be used here, or it is a
    /// failure that <see cref="DistributedSingleFlightOptions.RunLocallyOnRemoteFailure"/> says to retry here.
    /// </summary>
    /// <exception cref="DistributedSingleFlightException">The remote work failed.</exception>
    private bool TryTake(byte[] payload, out TValue value)
    {
        value = default!;
        var kind = ResultPayload.KindOf(payload, _contract);
        if (kind == PayloadKind.Value)
        {
            try
            {
                value = ResultPayload.ReadValue(payload, _jsonTypeInfo);
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
            {
                // The contract matches, yet this process cannot read it (an interface or abstract result type, say): it
                // can still answer on its own.
                _health.Fallback("deserialize:" + RedisTelemetry.ReasonOf(ex));
                return false;
            }

            RedisTelemetry.Record(Name, RedisTelemetry.Received);
            _health.Healthy();
            return true;
        }

        (string Type, string Message)? remoteFailure = kind == PayloadKind.Failure ? ResultPayload.ReadFailure(payload) : null;
        if (remoteFailure is null)
        {
            // A value this process must not trust (another contract, or none stated), a value the leader could not
            // serialize, a failure it cannot read, or a kind it does not know (written by a newer version): the flight
            // happened, but its outcome does not reach this process. Run it here.
            var reason = kind switch
            {
                PayloadKind.NotShareable => "not_shareable",
                PayloadKind.OtherContract => "contract",
                PayloadKind.Failure => "unreadable_failure",
                _ => "unknown_payload",
            };
            RedisTelemetry.Record(Name, RedisTelemetry.LocalFallback, reason);
            _health.Healthy();
            if (kind is PayloadKind.OtherContract or PayloadKind.Unknown)
            {
                _health.ContractMismatch(reason);
            }

            return false;
        }

        var (type, message) = remoteFailure.Value;
        RedisTelemetry.Record(Name, RedisTelemetry.ReceivedFault);
        if (_options.RunLocallyOnRemoteFailure)
        {
            return false;
        }

        throw new DistributedSingleFlightException(type, message);
    }

    /// <summary>
    /// Waits for the flight of <paramref name="holder"/>: its announcement, or a poll that sees its result or its lease
    /// gone. Each poll while it runs renews this flight's (<paramref name="myToken"/>) interest in it.
    /// </summary>
    private async Task<(PollOutcome Outcome, RedisValue Payload)> WaitForAsync(
        FlightKeys keys,
        string holder,
        string myToken,
        long started,
        CancellationToken flightToken)
    {
        var resultKey = keys.Result(holder);
        var interestKey = keys.Interest(holder);

        // Long enough to outlive the gap between two polls (a poll interval plus a slow round trip or two).
        var interest = TimeSpan.FromTicks(_options.PollInterval.Ticks * 2) + _options.RedisTimeout;
        var done = false;
        WaitingHook?.Invoke(holder);
        var subscription = _subscription;
        if (subscription is { IsCompleted: false })
        {
            // The first wait of a group: let the subscription go live so the announcement is not missed (polling
            // would still find the result, but up to a poll interval later).
            try
            {
                await subscription.WaitAsync(_options.RedisTimeout, flightToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                // Polling covers it.
            }
        }

        // Counted before it is registered: a message that finds no waiter counted can be dropped, because a waiter
        // counted after it registers, then polls, and the poll sees what the message announced.
        Interlocked.Increment(ref _waiterCount);
        try
        {
            while (true)
            {
                // Register before polling, so an announcement between the poll and the wait is not missed.
                var signal = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters[myToken] = (holder, signal);

                var poll = FlightScripts.ReadPoll(await Redis(
                        (db, byText) => FlightScripts.Poll(db, keys.Lock, resultKey, interestKey, holder, myToken, interest, byText),
                        flightToken)
                    .ConfigureAwait(false));
                if (poll.Outcome != PollOutcome.Running)
                {
                    done = poll.Outcome == PollOutcome.Done;
                    return poll;
                }

                var remaining = _options.WaitTimeout == Timeout.InfiniteTimeSpan
                    ? _options.PollInterval
                    : _options.WaitTimeout - ElapsedSince(started);
                if (remaining <= TimeSpan.Zero)
                {
                    return (PollOutcome.Running, RedisValue.Null);
                }

                try
                {
                    var announced = await signal.Task.WaitAsync(remaining < _options.PollInterval ? remaining : _options.PollInterval, flightToken)
                        .ConfigureAwait(false);
                    if (announced is not null)
                    {
                        // The announcement carried the outcome: no poll needed. The interest entry lapses on its own.
                        done = true;
                        return (PollOutcome.Done, announced);
                    }
                }
                catch (TimeoutException)
                {
                    // No announcement (or it was lost): poll.
                }
            }
        }
        finally
        {
            _waiters.TryRemove(myToken, out _);
            Interlocked.Decrement(ref _waiterCount);
            if (!done)
            {
                // Cancelled, timed out or cut off: withdraw the interest now rather than when it lapses, so a leader
                // whose own callers have all left can stop its work sooner. Best effort.
                try
                {
                    _redis.GetDatabase().SortedSetRemove(interestKey, myToken, CommandFlags.FireAndForget);
                }
                catch (Exception ex) when (IsRedisFailure(ex))
                {
                }
            }
        }
    }

    /// <summary>The time since <paramref name="timestamp"/>, a <see cref="Stopwatch.GetTimestamp"/> reading.</summary>
    private static TimeSpan ElapsedSince(long timestamp)
    {
#if NETSTANDARD2_0
        return TimeSpan.FromTicks((long)((Stopwatch.GetTimestamp() - timestamp) * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
#else
        return Stopwatch.GetElapsedTime(timestamp);
#endif
    }
}
