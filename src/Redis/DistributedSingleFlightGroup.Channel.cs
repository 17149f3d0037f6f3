using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace SingleFlight.Redis;

public sealed partial class DistributedSingleFlightGroup<TKey, TValue>
{
    // One subscription per group, on the operation's channel, serves every key: a message names the leader whose flight
    // ended, and the local flights waiting for that leader wake up and poll for its outcome.

    // The local flights waiting for another process's flight, by their own token: (the leader's token, their signal).
    private readonly ConcurrentDictionary<string, (string Holder, TaskCompletionSource<bool> Signal)> _waiters = new(StringComparer.Ordinal);
    private readonly object _subscriptionGate = new();
    private Task? _subscription;

    private void OnMessage(RedisChannel channel, RedisValue message)
    {
        if (message.IsNullOrEmpty)
        {
            return;
        }

        // Usually none or one; several when local flights whose keys share one Redis key wait for the same leader.
        var holder = (string)message!;
        foreach (var waiter in _waiters)
        {
            if (string.Equals(waiter.Value.Holder, holder, StringComparison.Ordinal))
            {
                waiter.Value.Signal.TrySetResult(true);
            }
        }
    }

    private void EnsureSubscribed()
    {
        if (_subscription is { IsFaulted: false, IsCanceled: false })
        {
            return;
        }

        lock (_subscriptionGate)
        {
            if (_disposed || _subscription is { IsFaulted: false, IsCanceled: false })
            {
                return;
            }

            // Not awaited: until the subscription is live, waiters find results by polling. It is re-established by
            // the multiplexer after a reconnect; a failed attempt is retried by the next call.
            _subscription = _redis.GetSubscriber().SubscribeAsync(_channel, OnMessage);
            _subscription.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    private void Unsubscribe(Task subscription)
    {
        if (subscription.Status != TaskStatus.RanToCompletion)
        {
            return;
        }

        try
        {
            _redis.GetSubscriber().Unsubscribe(_channel, OnMessage, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            // The connection is gone: so is the subscription.
        }
    }
}
