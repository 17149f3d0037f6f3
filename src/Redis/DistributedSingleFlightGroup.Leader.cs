using System;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;
#if NETSTANDARD2_0
using SingleFlight.Redis.Polyfills;
#endif

namespace SingleFlight.Redis;

public sealed partial class DistributedSingleFlightGroup<TKey, TValue>
{
    private async ValueTask<TValue> LeadAsync<TState>(
        FlightKeys keys,
        string myToken,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken flightToken,
        long deadlineStart)
    {
        TValue value = default!;
        ExceptionDispatchInfo? failure = null;
        var deadline = _local.Deadline;

        // Rule 4 across processes: the work's token is cancelled once every caller here has cancelled and no other
        // process is still waiting for this flight. When no caller here can cancel, neither can the work's token.
        using var workCancellation = flightToken.CanBeCanceled ? new CancellationTokenSource() : null;
        ValueTask<TValue> pending = default;
        try
        {
            pending = work(state, workCancellation?.Token ?? CancellationToken.None);
        }
        catch (Exception ex)
        {
            failure = ExceptionDispatchInfo.Capture(ex);
        }

        if (failure is null && pending.IsCompleted)
        {
            // Finished at once: no lease to renew, no one to watch.
            try
            {
                value = pending.GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
        }
        else if (failure is null)
        {
            using var renewal = new CancellationTokenSource();
            var renewing = RenewAsync(keys.Lock, myToken, renewal.Token);
            var watching = workCancellation is null
                ? Task.CompletedTask
                : WatchInterestAsync(keys.Interest(myToken), flightToken, workCancellation, renewal.Token);
            var expired = false;
            try
            {
                if (deadline is null)
                {
                    value = await pending.ConfigureAwait(false);
                }
                else
                {
                    var running = pending.AsTask();
                    expired = !await FinishesInTimeAsync(running, deadline.Value, deadlineStart).ConfigureAwait(false);
                    if (expired)
                    {
                        // Nobody may wait for hung work: its fault, if it ever fails, is observed here.
                        _ = running.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    }
                    else
                    {
                        value = await running.ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
            }
            finally
            {
                renewal.Cancel();
                await renewing.ConfigureAwait(false);
                await watching.ConfigureAwait(false);
            }

            if (expired)
            {
                // The deadline passed: this process's callers have received the local flight's deadline exception. Stop
                // the work and give the key back at once, so that the processes waiting for it elect a new leader now
                // rather than when the lease runs out.
                try
                {
                    workCancellation?.Cancel();
                }
                catch (AggregateException)
                {
                    // The work's own cancellation callbacks threw: the work's affair.
                }

                await AbandonAsync(keys, myToken).ConfigureAwait(false);
                RedisTelemetry.Record(Name, RedisTelemetry.DeadlineExceeded);
                throw new SingleFlightDeadlineExceededException(Name, deadline!.Value);
            }
        }

        if (failure is not null && failure.SourceException is OperationCanceledException && workCancellation is { IsCancellationRequested: true })
        {
            // Every caller here left: no result to share. Hand the key over at once instead of at lease expiry.
            await AbandonAsync(keys, myToken).ConfigureAwait(false);
            failure.Throw();
        }

        byte[] payload;
        string? unshareable = null;
        try
        {
            payload = failure is null ? ResultPayload.OfValue(value, _jsonTypeInfo, _contract) : ResultPayload.OfFailure(failure.SourceException);
        }
        catch (Exception ex) when (failure is null)
        {
            // The value cannot cross processes (a cycle in it, a type the serializer refuses). Callers here still get
            // it; the processes waiting for it are told at once to run the work themselves. Releasing the key without a
            // result instead would make them elect a new leader that fails the same way: one execution after another.
            unshareable = "serialize:" + RedisTelemetry.ReasonOf(ex);
            payload = ResultPayload.NotShareable(ex);
            _health.NotShareable(ex);
        }

        var written = await TryRedisAsync(db => FlightScripts.Complete(db, keys, myToken, payload, _options.ResultTimeToLive, _channel))
            .ConfigureAwait(false);
        RedisTelemetry.Record(Name, RedisTelemetry.Led, unshareable ?? (written is null ? null : "publish:" + written));
        if (written is null)
        {
            _health.Healthy();
        }
        else
        {
            _health.Degraded("publish:" + written);
        }

        failure?.Throw();
        return value;
    }

    /// <summary>Whether <paramref name="running"/> ends before <paramref name="deadline"/>, measured from <paramref name="start"/>.</summary>
    private async Task<bool> FinishesInTimeAsync(Task running, TimeSpan deadline, long start)
    {
        var clock = _options.TimeProvider;
        var left = deadline - clock.GetElapsedTime(start);
        if (left <= TimeSpan.Zero)
        {
            return running.IsCompleted;
        }

        var expired = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (clock.CreateTimer(static s => ((TaskCompletionSource<bool>)s!).TrySetResult(true), expired, left, Timeout.InfiniteTimeSpan))
        {
            return ReferenceEquals(await Task.WhenAny(running, expired.Task).ConfigureAwait(false), running);
        }
    }

    /// <summary>
    /// Once every caller in this process has left (<paramref name="localCallers"/> cancelled), cancels the work unless
    /// followers in other processes still wait for it; then checks again every poll interval until none does. Redis
    /// trouble counts as no interest (the work is cancelled, as in-process). Ends when <paramref name="stop"/> fires
    /// (the work is over). Never throws.
    /// </summary>
    private async Task WatchInterestAsync(RedisKey interestKey, CancellationToken localCallers, CancellationTokenSource work, CancellationToken stop)
    {
        try
        {
            var left = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (localCallers.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), left))
            using (stop.Register(static s => ((TaskCompletionSource)s!).TrySetCanceled(), left))
            {
                await left.Task.ConfigureAwait(false);
            }

            while (true)
            {
                long interested;
                try
                {
                    interested = FlightScripts.CountOf(await Redis(db => FlightScripts.CountInterest(db, interestKey), stop).ConfigureAwait(false));
                }
                catch (Exception ex) when (IsRedisFailure(ex))
                {
                    interested = 0;
                }

                InterestCheckedHook?.Invoke(interested);
                if (interested == 0)
                {
                    work.Cancel();
                    return;
                }

                await Task.Delay(_options.PollInterval, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception)
        {
            // A callback registered on the work's token threw from Cancel(): that is the work's affair, and this
            // watcher must not fail the flight over it.
        }
    }

    /// <summary>Releases the key if <paramref name="token"/> still holds it and announces it, so waiters elect again at once. Best effort.</summary>
    private Task<string?> AbandonAsync(FlightKeys keys, string token)
        => TryRedisAsync(db => FlightScripts.Abandon(db, keys, token, _channel));

    /// <summary>Renews the lease every third of its length until cancelled; never throws.</summary>
    private async Task RenewAsync(RedisKey lockKey, string myToken, CancellationToken stop)
    {
        var interval = TimeSpan.FromTicks(_options.LeaseDuration.Ticks / 3);
        try
        {
            while (true)
            {
                await Task.Delay(interval, stop).ConfigureAwait(false);
                try
                {
                    var renewed = await Redis(db => FlightScripts.Renew(db, lockKey, myToken, _options.LeaseDuration), stop).ConfigureAwait(false);
                    if (!FlightScripts.IsRenewed(renewed))
                    {
                        // The lease is gone (expired during an outage): another process may be running the work now.
                        // Keep running: our callers still want a result, and writing it does no harm.
                        return;
                    }
                }
                catch (Exception ex) when (IsRedisFailure(ex))
                {
                    // Try again at the next interval; the lease may still be alive.
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
