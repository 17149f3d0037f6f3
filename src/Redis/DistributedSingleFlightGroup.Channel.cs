using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace SingleFlight.Redis;

public sealed partial class DistributedSingleFlightGroup<TKey, TValue>
{
    // One subscription per group, on the operation's channel, serves every key: a message names the leader whose flight
    // ended (its token), followed by the flight's outcome when the leader sent it along; the local flights waiting for
    // that leader wake up with the outcome, or poll for it.

    // The local flights waiting for another process's flight, by their own token: (the leader's token, their signal,
    // completed with the announced outcome or with null when they must poll).
    private readonly ConcurrentDictionary<string, (string Holder, TaskCompletionSource<byte[]?> Signal)> _waiters = new(StringComparer.Ordinal);
    private readonly object _subscriptionGate = new();

    // How many local flights wait for another process's flight now (see OnMessage).
    private int _waiterCount;
    private Task? _subscription;

    private void OnMessage(RedisChannel channel, RedisValue message)
    {
        // Not _waiters.IsEmpty: on an empty dictionary that takes every one of its locks, for each message.
        if (message.IsNullOrEmpty || Volatile.Read(ref _waiterCount) == 0)
        {
            return;
        }

        // Usually none or one; several when local flights whose keys share one Redis key wait for the same leader. The
        // message starts with the leader's token, matched at the length of the token each waiter knows: this version's
        // tokens are 16 characters, older versions' 32 (FlightToken).
        var bytes = ((ReadOnlyMemory<byte>)message).Span;
        byte[]? payload = null;
        foreach (var waiter in _waiters)
        {
            var holder = waiter.Value.Holder;
            if (bytes.Length >= holder.Length && IsToken(bytes.Slice(0, holder.Length), holder))
            {
                payload ??= bytes.Length > holder.Length ? bytes.Slice(holder.Length).ToArray() : [];
                waiter.Value.Signal.TrySetResult(payload.Length == 0 ? null : payload);
            }
        }
    }

    private static bool IsToken(ReadOnlySpan<byte> announced, string token)
    {
        if (token.Length != announced.Length)
        {
            return false;
        }

        for (var i = 0; i < announced.Length; i++)
        {
            if (announced[i] != token[i])
            {
                return false;
            }
        }

        return true;
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
