using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics;
using System.Runtime.CompilerServices;
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
    // The completions this process sent whose reply has not said yet that they ran, by the leader's token; and those a
    // cluster refused (their key released without the outcome), until the outcome's lifetime has passed.
    private readonly UnconfirmedCompletions _unconfirmed = new();

#if NET8_0_OR_GREATER
    // Pooled: the local flight awaits it exactly once, so its state machine can serve the next flight (about 300 B each).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
#endif
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

        // The completion's script call: a value's payload is written into its buffer, which it sends from.
        var call = RentCall();
        ReadOnlyMemory<byte> payload;
        string? unshareable = null;
        try
        {
            payload = failure is null ? call.WriteValue(value, _jsonTypeInfo, _contract) : ResultPayload.OfFailure(failure.SourceException);
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

        // Awaited (bounded by RedisTimeout) before the callers get the outcome: a completion that lands after they had it
        // could hand it to calls in other processes that started after the flight ended (rule 2). A completion a cluster
        // refuses releases the key without the outcome instead, in the background; an election of this process that
        // finds the token in the lock meanwhile waits for that release.
        var sent = SendCompletion(call, keys, myToken, payload, out var completing);
        if (sent is null)
        {
            try
            {
                await completing.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Seen by SentCompletion (the script call hands it the reply, or the one that comes after the time-out),
                // which logs it and releases a refused one.
            }
        }

        RedisTelemetry.Record(Name, RedisTelemetry.Led, unshareable ?? (sent is null ? null : "publish:" + sent));
        if (sent is not null)
        {
            _health.Degraded("publish:" + sent);
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
    /// Sends the completion script (outcome written, key released, waiting processes told); <paramref name="completing"/>
    /// is its reply, which the leader awaits (RedisTimeout bounds it). Returns the reason it could not be sent, or null;
    /// how it ended, in time or not, is seen by <see cref="SentCompletion"/>, which logs a failure and releases a refused one.
    /// </summary>
    private string? SendCompletion(ScriptCall call, FlightKeys keys, string myToken, ReadOnlyMemory<byte> payload, out ValueTask<RedisResult> completing)
    {
        completing = default;

        // Known until its reply says it ran: an election of this process that comes back with this token must not follow
        // the flight it names, whose callers are gone (see RunAsync).
        var sent = new SentCompletion(this, keys, myToken);
        _unconfirmed.Add(sent);
        try
        {
            if (!_redis.IsConnected)
            {
                _unconfirmed.Remove(sent);
                call.Recycle();
                return "disconnected";
            }

            completing = call.Completion(keys, myToken, payload, sent).SendAsync(_redis.GetDatabase(), _options.RedisTimeout);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            _unconfirmed.Remove(sent);
            return RedisTelemetry.ReasonOf(ex);
        }

        return null;
    }

    /// <summary>
    /// The completions of <see cref="_unconfirmed"/>: a few slots, so that the usual one or two cost no allocation (a
    /// dictionary allocates a node per entry), and a dictionary for the rest.
    /// </summary>
    private sealed class UnconfirmedCompletions
    {
        private readonly SentCompletion?[] _slots = new SentCompletion?[8];
        private readonly ConcurrentDictionary<string, SentCompletion> _overflow = new(StringComparer.Ordinal);
        private int _overflowCount;

        public void Add(SentCompletion sent)
        {
            for (var i = 0; i < _slots.Length; i++)
            {
                if (Interlocked.CompareExchange(ref _slots[i], sent, null) is null)
                {
                    return;
                }
            }

            Interlocked.Increment(ref _overflowCount);
            _overflow[sent.Token] = sent;
        }

        public void Remove(SentCompletion sent)
        {
            for (var i = 0; i < _slots.Length; i++)
            {
                if (ReferenceEquals(Interlocked.CompareExchange(ref _slots[i], null, sent), sent))
                {
                    return;
                }
            }

            if (((ICollection<KeyValuePair<string, SentCompletion>>)_overflow).Remove(new KeyValuePair<string, SentCompletion>(sent.Token, sent)))
            {
                Interlocked.Decrement(ref _overflowCount);
            }
        }

        public bool TryGetValue(string token, [NotNullWhen(true)] out SentCompletion? sent)
        {
            for (var i = 0; i < _slots.Length; i++)
            {
                sent = Volatile.Read(ref _slots[i]);
                if (sent is not null && string.Equals(sent.Token, token, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            // Not IsEmpty, which takes every lock of the dictionary.
            sent = null;
            return Volatile.Read(ref _overflowCount) != 0 && _overflow.TryGetValue(token, out sent);
        }
    }

    /// <summary>
    /// A completion on its way: what the reply is checked against, the release sent instead if a cluster refused it, and,
    /// for an election of this process that found its token in the lock, whether that election may have run before it.
    /// </summary>
    private sealed class SentCompletion(DistributedSingleFlightGroup<TKey, TValue> group, FlightKeys keys, string token)
    {
        // Taken before the script is sent: an election sent before it found the flight running, and may follow it.
        private readonly long _sentAt = Stopwatch.GetTimestamp();
        private bool _refused;
        private bool _settled;
        private long _settledAt;
        private TaskCompletionSource? _waiter;

        /// <summary>How the completion ended: it ran (<paramref name="error"/> null), or failed with <paramref name="error"/>.</summary>
        public void Observe(Exception? error)
        {
            if (error is null)
            {
                Settle();
                group._health.Healthy();
                return;
            }

            if (error is RedisServerException refused && (IsClusterBusy(refused) || FlightScripts.IsNoScript(refused)))
            {
                // The script did not run (a slot migration or a failover under way; or a server that did not know it
                // answered only after the leader stopped waiting, too late to send its text). The callers here have the outcome,
                // so the flight has ended: sending the outcome again would hand it, seconds later, to calls in other
                // processes that started after it ended (rule 2). Release the key without it instead (within
                // RedisTimeout): processes that waited for this flight elect again and run the work, a duplicate
                // execution a failover may cost, never a stale value.
                lock (this)
                {
                    _refused = true;
                }

                _ = group.AbandonAsync(keys, token)
                    .ContinueWith(
                        static (t, s) => ((SentCompletion)s!).Released(t.Result),
                        this,
                        CancellationToken.None,
                        TaskContinuationOptions.ExecuteSynchronously,
                        TaskScheduler.Default);
                return;
            }

            Settle();
            group._health.Degraded("publish:" + (error is TaskCanceledException ? "canceled" : RedisTelemetry.ReasonOf(error)));
        }

        /// <summary>
        /// Whether an election sent at <paramref name="electedAt"/> that found this flight's token in the lock may have
        /// run before the completion although it was sent after it: one sent before the completion found the flight
        /// running and joins it rightly; one sent after the completion settled found the lock as the completion left it.
        /// </summary>
        public bool MayHaveOvertaken(long electedAt)
        {
            if (electedAt < _sentAt)
            {
                return false;
            }

            lock (this)
            {
                return !_settled || electedAt <= _settledAt;
            }
        }

        /// <summary>Completes once the completion ran, or failed for good (released in its place or not).</summary>
        public Task SettledAsync()
        {
            lock (this)
            {
                return _settled ? Task.CompletedTask : (_waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }

        private void Settle()
        {
            TaskCompletionSource? waiter;
            bool refused;
            lock (this)
            {
                _settled = true;
                _settledAt = Stopwatch.GetTimestamp();
                waiter = _waiter;
                refused = _refused;
            }

            waiter?.TrySetResult();
            if (!refused)
            {
                // Sent once: every election sent after it on the connection ran after it, so none can find this token.
                Forget();
                return;
            }

            // Refused, then released without its outcome: an election sent before the release ran may still come back
            // with this token; it elects again rather than follow a flight that has ended. Forget the token after the
            // outcome's lifetime, long after any such election.
            _ = Task.Delay(group._options.ResultTimeToLive).ContinueWith(
                static (_, s) => ((SentCompletion)s!).Forget(),
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        private void Released(string? failure)
        {
            if (failure is null)
            {
                group._health.Healthy();
            }
            else
            {
                group._health.Degraded("publish:" + failure);
            }

            Settle();
        }

        /// <summary>The token of the flight this completion ends.</summary>
        public string Token => token;

        private void Forget() => group._unconfirmed.Remove(this);
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
                    interested = FlightScripts.CountOf(await Redis((db, byText) => FlightScripts.CountInterest(db, interestKey, byText), stop).ConfigureAwait(false));
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
        => TryRedisAsync((db, byText) => FlightScripts.Abandon(db, keys, token, _channelName, byText));

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
                    var renewed = await Redis((db, byText) => FlightScripts.Renew(db, lockKey, myToken, _options.LeaseDuration, byText), stop).ConfigureAwait(false);
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
