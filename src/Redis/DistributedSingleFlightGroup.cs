using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;
#if NETSTANDARD2_0
using SingleFlight.Redis.Polyfills;
#endif

namespace SingleFlight.Redis;

/// <summary>
/// A single-flight group shared by every process that uses the same Redis, operation name and key: concurrent
/// calls with equal keys, in this process or in others, run the work once and share its result.
/// </summary>
/// <typeparam name="TKey">The key type: see <see cref="DistributedKey"/> for the types it encodes, or pass a key encoder.</typeparam>
/// <typeparam name="TValue">The result type; results cross processes as JSON.</typeparam>
/// <remarks>
/// <para>
/// Callers in one process coalesce in an in-process <see cref="SingleFlightGroup{TKey, TValue}"/> first; only
/// that local flight talks to Redis. It claims the key with <c>SET NX PX</c>. The winner runs the work, renews
/// its lease while the work runs, writes the result (or the failure) under a short-lived key and publishes
/// completion; the other processes wait for that message, poll for the result in case the message is lost, and
/// take over if the lease ends without a result. The protocol is described in docs/distributed.md.
/// </para>
/// <para>
/// If Redis is unreachable, fails or answers slower than <see cref="DistributedSingleFlightOptions.RedisTimeout"/>,
/// the call falls back to in-process coalescing and is counted in the <c>singleflight.redis.flights</c> metric
/// with the outcome <c>local_fallback</c>: an outage of Redis never fails a call.
/// </para>
/// <para>
/// Cancellation is per caller, as in-process. The work's token is cancelled when every caller in this process has
/// left and no other process is still waiting for the flight (followers renew their interest in Redis at each poll);
/// the key is then released at once, so a process that comes later elects a new leader.
/// </para>
/// </remarks>
public sealed class DistributedSingleFlightGroup<TKey, TValue> : IDisposable
    where TKey : notnull
{
    private readonly IConnectionMultiplexer _redis;
    private readonly JsonTypeInfo<TValue> _jsonTypeInfo;
    private readonly byte[] _contract;
    private readonly DistributedSingleFlightOptions _options;
    private readonly Func<TKey, string> _keyEncoder;
    private readonly SingleFlightGroup<TKey, TValue> _local;
    private readonly string _keyPrefix;
    private readonly RedisChannel _channel;
    // The local flights waiting for another process's flight, by their own token: (the leader's token, their signal).
    private readonly ConcurrentDictionary<string, (string Holder, TaskCompletionSource<bool> Signal)> _waiters = new(StringComparer.Ordinal);
    private readonly object _subscriptionGate = new();
    private readonly RedisHealthLog _health;
    private Task? _subscription;
    private bool _disposed;

    /// <summary>Creates a group whose results cross processes with the given JSON contract (AOT and trimming safe).</summary>
    /// <param name="redis">The connection to Redis. The group does not own it.</param>
    /// <param name="operationName">
    /// The name of the operation: processes share flights only when they use the same name (and key). Also the
    /// <c>singleflight.operation</c> tag of metrics. Never put keys or personal data in it.
    /// </param>
    /// <param name="jsonTypeInfo">The JSON contract of <typeparamref name="TValue"/>, e.g. from a <c>JsonSerializerContext</c>.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <param name="keyEncoder">
    /// Turns a key into a stable string that is unique per key, the same in every process; <see langword="null"/>
    /// for <see cref="DistributedKey.Encode{TKey}(TKey)"/>.
    /// </param>
    /// <param name="comparer">The comparer for in-process coalescing; <see langword="null"/> for the default.</param>
    /// <exception cref="ArgumentNullException"><paramref name="redis"/>, <paramref name="operationName"/> or <paramref name="jsonTypeInfo"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="operationName"/> is empty, or an option is out of range.</exception>
    /// <exception cref="NotSupportedException">
    /// No <paramref name="keyEncoder"/> was given and <typeparamref name="TKey"/> has no canonical encoding.
    /// </exception>
    public DistributedSingleFlightGroup(
        IConnectionMultiplexer redis,
        string operationName,
        JsonTypeInfo<TValue> jsonTypeInfo,
        DistributedSingleFlightOptions? options = null,
        Func<TKey, string>? keyEncoder = null,
        IEqualityComparer<TKey>? comparer = null)
    {
        Guard.NotNull(redis, nameof(redis));
        Guard.NotNull(operationName, nameof(operationName));
        Guard.NotNull(jsonTypeInfo, nameof(jsonTypeInfo));
        if (operationName.Length == 0)
        {
            throw new ArgumentException("The operation name must not be empty.", nameof(operationName));
        }

        if (keyEncoder is null)
        {
            DistributedKey.EnsureSupported(typeof(TKey));
        }

        _redis = redis;
        _jsonTypeInfo = jsonTypeInfo;
        _contract = ResultContract.Fingerprint(jsonTypeInfo);
        _options = (options ?? new DistributedSingleFlightOptions()).Validated();
        _keyEncoder = keyEncoder ?? DistributedKey.Encode;
        Name = operationName;
        _local = new SingleFlightGroup<TKey, TValue>(comparer) { Name = operationName };
        _health = new RedisHealthLog(operationName, _options.LoggerFactory);

        // Length-prefixed like every part of a key, so operation "a" with key "bc" never meets operation "ab" with "c".
        var operation = "o" + operationName.Length.ToString(CultureInfo.InvariantCulture) + ":" + operationName;
        _keyPrefix = _options.KeyPrefix + ":{" + operation;
        _channel = RedisChannel.Literal(_options.KeyPrefix + ":done:" + operation);
    }

    /// <summary>Creates a group whose results cross processes as JSON with the given serializer options.</summary>
    /// <param name="redis">The connection to Redis. The group does not own it.</param>
    /// <param name="operationName">The name of the operation: processes share flights only when they use the same name.</param>
    /// <param name="jsonOptions">Serializer options; <see langword="null"/> for <see cref="JsonSerializerOptions.Default"/>.</param>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <param name="keyEncoder">Turns a key into a stable, unique string; <see langword="null"/> for <see cref="DistributedKey.Encode{TKey}(TKey)"/>.</param>
    /// <param name="comparer">The comparer for in-process coalescing; <see langword="null"/> for the default.</param>
    /// <exception cref="ArgumentNullException"><paramref name="redis"/> or <paramref name="operationName"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="operationName"/> is empty, or an option is out of range.</exception>
    /// <exception cref="NotSupportedException">
    /// No <paramref name="keyEncoder"/> was given and <typeparamref name="TKey"/> has no canonical encoding.
    /// </exception>
    [RequiresUnreferencedCode("Reflection-based JSON serialization. Use the constructor that takes a JsonTypeInfo for trimming and AOT.")]
    [RequiresDynamicCode("Reflection-based JSON serialization. Use the constructor that takes a JsonTypeInfo for trimming and AOT.")]
    public DistributedSingleFlightGroup(
        IConnectionMultiplexer redis,
        string operationName,
        JsonSerializerOptions? jsonOptions = null,
        DistributedSingleFlightOptions? options = null,
        Func<TKey, string>? keyEncoder = null,
        IEqualityComparer<TKey>? comparer = null)
        : this(redis, operationName, JsonContracts.Resolve<TValue>(jsonOptions), options, keyEncoder, comparer)
    {
    }

    /// <summary>The operation name the group was created with.</summary>
    public string Name { get; }

    /// <summary>The number of flights running in this process now. Zero when the group is idle.</summary>
    public int InFlightCount => _local.InFlightCount;

    /// <summary>How many local flights are now waiting for another process's flight. A seam for tests.</summary>
    internal int RemoteWaiterCount => _waiters.Count;

    /// <summary>Called with the leader's token each time a local flight starts waiting for another process's flight. A seam for tests.</summary>
    internal Action<string>? WaitingHook { get; set; }

    /// <summary>
    /// Called with the number of interested followers each time a leader whose own callers have all left checks it
    /// (0: the work's token is then cancelled). A seam for tests.
    /// </summary>
    internal Action<long>? InterestCheckedHook { get; set; }

    /// <summary>
    /// Runs <paramref name="work"/> for <paramref name="key"/>, unless a flight for an equal key is running in
    /// this process or in another process that shares the Redis, in which case it returns that flight's result.
    /// </summary>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="work">The work; it receives a token cancelled when every caller in this process has cancelled.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The flight's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="OperationCanceledException">This caller's <paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="DistributedSingleFlightException">The flight ran in another process and its work failed.</exception>
    /// <exception cref="ObjectDisposedException">The group has been disposed.</exception>
    public ValueTask<TValue> DoAsync(TKey key, Func<CancellationToken, ValueTask<TValue>> work, CancellationToken cancellationToken = default)
    {
        Guard.NotNull(work, nameof(work));
        return DoAsync(key, work, static (w, ct) => w(ct), cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="work"/> with <paramref name="state"/> for <paramref name="key"/>, unless a flight for
    /// an equal key is running in this process or in another process that shares the Redis, in which case it
    /// returns that flight's result.
    /// </summary>
    /// <typeparam name="TState">The type of the state passed to the work.</typeparam>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="state">The state passed to <paramref name="work"/> if this process runs it.</param>
    /// <param name="work">The work; it receives a token cancelled when every caller in this process has cancelled.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The flight's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="OperationCanceledException">This caller's <paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="DistributedSingleFlightException">The flight ran in another process and its work failed.</exception>
    /// <exception cref="ObjectDisposedException">The group has been disposed.</exception>
    public ValueTask<TValue> DoAsync<TState>(
        TKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken = default)
    {
        Guard.NotNull(key, nameof(key));
        Guard.NotNull(work, nameof(work));
        Guard.NotDisposed(_disposed, this);
        return _local.DoAsync(
            key,
            new Call<TState>(this, key, state, work),
            static (call, flightToken) => call.Group.RunAsync(call.Key, call.State, call.Work, flightToken),
            cancellationToken);
    }

    /// <summary>Stops listening for completion messages. Calls already running finish by polling.</summary>
    public void Dispose()
    {
        Task? subscription;
        lock (_subscriptionGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            subscription = _subscription;
        }

        if (subscription is null)
        {
            return;
        }

        if (subscription.IsCompleted)
        {
            Unsubscribe(subscription);
        }
        else
        {
            // Still being established: once it is, take it down again, or it would keep this disposed group
            // reachable from the multiplexer for the multiplexer's whole life.
            subscription.ContinueWith(
                static (t, s) => ((DistributedSingleFlightGroup<TKey, TValue>)s!).Unsubscribe(t),
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
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

    private readonly record struct Call<TState>(
        DistributedSingleFlightGroup<TKey, TValue> Group,
        TKey Key,
        TState State,
        Func<TState, CancellationToken, ValueTask<TValue>> Work);

    /// <summary>The local leader's path: elect, then lead or wait; any Redis trouble runs the work here.</summary>
    private async ValueTask<TValue> RunAsync<TState>(
        TKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken flightToken)
    {
        var keys = new FlightKeys(_keyPrefix + _keyEncoder(key) + "}:");
        var started = Stopwatch.GetTimestamp();
        var myToken = Guid.NewGuid().ToString("N");

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
            Task<RedisResult>? electing = null;
            try
            {
                EnsureSubscribed();

                // Not cancelled by the callers' token: once sent, the script may take the key whatever this process does,
                // so the flight must see its answer and release a key it won. RedisTimeout bounds the wait.
                electing = FlightScripts.Acquire(_redis.GetDatabase(), keys, myToken, _options.LeaseDuration);
                holder = FlightScripts.HolderOf(await electing.WaitAsync(_options.RedisTimeout, CancellationToken.None).ConfigureAwait(false));
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                if (electing is { IsCompleted: false })
                {
                    // Timed out here, yet the server may still run it: if it took the key, give it back.
                    ReleaseIfWon(electing, keys, myToken);
                }

                flightToken.ThrowIfCancellationRequested();
                _health.Fallback(RedisTelemetry.ReasonOf(ex));
                break;
            }

            if (holder == myToken)
            {
                if (flightToken.IsCancellationRequested)
                {
                    // Every caller left during the election: hand the key over at once instead of at lease expiry.
                    await AbandonAsync(keys, myToken).ConfigureAwait(false);
                    flightToken.ThrowIfCancellationRequested();
                }

                return await LeadAsync(keys, myToken, state, work, flightToken).ConfigureAwait(false);
            }

            if (holder.Length == 0)
            {
                // Scripts are atomic, so a failed SET NX always finds a holder; an empty one is a reply this code does
                // not understand. Answer locally rather than loop on Redis.
                _health.Fallback("unexpected-reply");
                break;
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

    private async ValueTask<TValue> LeadAsync<TState>(
        FlightKeys keys,
        string myToken,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken flightToken)
    {
        TValue value = default!;
        ExceptionDispatchInfo? failure = null;

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
            try
            {
                value = await pending.ConfigureAwait(false);
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

        try
        {
            while (true)
            {
                // Register before polling, so an announcement between the poll and the wait is not missed.
                var signal = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters[myToken] = (holder, signal);

                var poll = FlightScripts.ReadPoll(await Redis(
                        db => FlightScripts.Poll(db, keys.Lock, resultKey, interestKey, holder, myToken, interest),
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
                    await signal.Task.WaitAsync(remaining < _options.PollInterval ? remaining : _options.PollInterval, flightToken)
                        .ConfigureAwait(false);
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

    /// <summary>When an election this flight stopped waiting for ends with the key taken by <paramref name="token"/>, releases it.</summary>
    private void ReleaseIfWon(Task<RedisResult> electing, FlightKeys keys, string token)
        => electing.ContinueWith(
            t =>
            {
                if (t.Status == TaskStatus.RanToCompletion && FlightScripts.HolderOf(t.Result) == token)
                {
                    _ = AbandonAsync(keys, token);
                }
                else
                {
                    _ = t.Exception;
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

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
