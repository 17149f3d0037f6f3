using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

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
public sealed partial class DistributedSingleFlightGroup<TKey, TValue> : IDisposable
    where TKey : notnull
{
    private readonly IConnectionMultiplexer _redis;
    private readonly JsonTypeInfo<TValue> _jsonTypeInfo;
    private readonly byte[] _contract;
    private readonly DistributedSingleFlightOptions _options;
    private readonly Func<TKey, string> _keyEncoder;
    private readonly SingleFlightGroup<TKey, TValue> _local;
    private readonly byte[] _keyPrefix;
    private readonly RedisChannel _channel;
    private readonly RedisValue _channelName;
    private readonly RedisHealthLog _health;
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
        _local = new SingleFlightGroup<TKey, TValue>(comparer) { Name = operationName, TimeProvider = _options.TimeProvider, Deadline = _options.Deadline };
        _health = new RedisHealthLog(operationName, _options.LoggerFactory);

        // Length-prefixed like every part of a key, so operation "a" with key "bc" never meets operation "ab" with "c".
        var operation = "o" + operationName.Length.ToString(CultureInfo.InvariantCulture) + ":" + operationName;
        _keyPrefix = System.Text.Encoding.UTF8.GetBytes(_options.KeyPrefix + ":{" + operation);
        var channel = _options.KeyPrefix + ":done:" + operation;
        _channel = RedisChannel.Literal(channel);
        _channelName = ChannelPrefixOf(redis) + channel;
    }

    /// <summary>
    /// What the multiplexer puts before every channel it subscribes to (<see cref="ConfigurationOptions.ChannelPrefix"/>).
    /// The scripts publish by name, past the multiplexer, so they must put it there themselves or no subscription hears them.
    /// </summary>
    private static string ChannelPrefixOf(IConnectionMultiplexer redis)
    {
        var configuration = redis.Configuration;
        if (string.IsNullOrEmpty(configuration))
        {
            return string.Empty;
        }

        try
        {
            var prefix = ConfigurationOptions.Parse(configuration, ignoreUnknown: true).ChannelPrefix;
            return prefix is { IsNullOrEmpty: false } named ? named.ToString() : string.Empty;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or RedisException)
        {
            return string.Empty;
        }
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

    /// <summary>
    /// The longest a flight may run, in this process and as the Redis leader: see
    /// <see cref="DistributedSingleFlightOptions.Deadline"/>, which it starts from. Flights that start after a change use
    /// the new value.
    /// </summary>
    /// <remarks>A plain setter, not <c>init</c>, like <see cref="SingleFlightGroup{TKey, TValue}.Name"/>.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative or longer than <see cref="int.MaxValue"/> ms.</exception>
    public TimeSpan? Deadline
    {
        get => _local.Deadline;
        set => _local.Deadline = value;
    }

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

    // What the in-process group hands its leader's static lambda, so that joining the local flight allocates no closure.
    private readonly record struct Call<TState>(
        DistributedSingleFlightGroup<TKey, TValue> Group,
        TKey Key,
        TState State,
        Func<TState, CancellationToken, ValueTask<TValue>> Work);
}
