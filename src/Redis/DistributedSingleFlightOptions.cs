using System;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using System.Threading;

namespace SingleFlight.Redis;

/// <summary>
/// Settings of a <see cref="DistributedSingleFlightGroup{TKey, TValue}"/>. The group copies them when it is created;
/// changing an instance afterwards does not affect existing groups.
/// </summary>
public sealed class DistributedSingleFlightOptions
{
    /// <summary>
    /// How long the leader's claim on a key lives in Redis without renewal (<c>SET … NX PX</c>). The leader
    /// renews it every <see cref="LeaseDuration"/>/3 while its work runs; if the leader dies, another process
    /// takes over at most this long after the last renewal. Default: 10 seconds. Minimum: 100 ms.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a finished flight's result (or failure) stays readable in Redis for processes that were
    /// waiting for it. It is not a cache: only processes that saw the flight running read it. Default: 10 seconds.
    /// </summary>
    public TimeSpan ResultTimeToLive { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The longest a process waits for another process's flight before running the work itself
    /// (<see cref="Timeout.InfiniteTimeSpan"/> to wait as long as the other leader keeps its lease). Default: 60 seconds.
    /// </summary>
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The longest any single Redis command may take. A command that takes longer, or fails, makes the call fall
    /// back to in-process coalescing only. Default: 1 second.
    /// </summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often a waiting process checks Redis for the result in case the completion message was lost.
    /// Default: 500 ms.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The prefix of every Redis key and channel the group uses. Default: <c>singleflight</c>.</summary>
    public string KeyPrefix { get; set; } = "singleflight";

    /// <summary>
    /// When another process's flight fails, run the work in this process instead of throwing a
    /// <see cref="DistributedSingleFlightException"/>. Default: <see langword="false"/> (failures are shared,
    /// as in-process).
    /// </summary>
    public bool RunLocallyOnRemoteFailure { get; set; }

    /// <summary>
    /// The serializer options of the groups that <see cref="DistributedSingleFlight"/> creates without a
    /// <c>JsonTypeInfo</c>: the <c>[SingleFlight(Distributed = true)]</c> methods whose result type is not listed in
    /// a <c>JsonSerializerContext</c> of their assembly, and <c>GetGroup</c> calls without JSON settings. For trimmed
    /// or native AOT apps, set <see cref="JsonSerializerOptions.TypeInfoResolver"/> to a source-generated context.
    /// Default: <see langword="null"/>, which means <see cref="JsonSerializerOptions.Default"/> (reflection).
    /// </summary>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }

    /// <summary>
    /// Where groups log that Redis is unavailable (a warning: calls run in-process only, at most one per group every
    /// 30 seconds, with the number of fallbacks since the last one) and that coordination has resumed (information),
    /// that a result could not be serialized or that another process's result was refused (warnings, rate-limited the
    /// same way), under the category <c>SingleFlight.Redis</c>. The <c>singleflight.redis.flights</c> metric counts every fallback
    /// either way. Default: <see langword="null"/> (no logging); <c>AddSingleFlightRedis</c> sets the container's
    /// <see cref="ILoggerFactory"/>.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// The longest a flight may run, in this process and as the Redis leader (see
    /// <see cref="SingleFlightGroup{TKey, TValue}.Deadline"/>). When it passes, this process's callers receive a
    /// <see cref="SingleFlightDeadlineExceededException"/>; a leader stops renewing its lease, cancels its work's token
    /// and releases the key at once, so that the processes waiting for it elect a new leader instead of waiting out the
    /// lease. Default: <see langword="null"/> (no deadline). A <c>[SingleFlight(DeadlineMilliseconds = ...)]</c> method
    /// uses its own value instead.
    /// </summary>
    public TimeSpan? Deadline { get; set; }

    /// <summary>
    /// The clock that <see cref="Deadline"/> is measured on. Default: <see cref="System.TimeProvider.System"/>; tests set a
    /// fake one.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal DistributedSingleFlightOptions Validated()
    {
        if (LeaseDuration < TimeSpan.FromMilliseconds(100) || LeaseDuration > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(LeaseDuration), LeaseDuration, "The lease must be at least 100 ms and at most a day.");
        }

        if (ResultTimeToLive < TimeSpan.FromMilliseconds(1) || ResultTimeToLive > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(ResultTimeToLive), ResultTimeToLive, "The result time to live must be at least 1 ms and at most a day.");
        }

        if (WaitTimeout != Timeout.InfiniteTimeSpan && WaitTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(WaitTimeout), WaitTimeout, "The wait timeout must be positive or Timeout.InfiniteTimeSpan.");
        }

        if (RedisTimeout <= TimeSpan.Zero || RedisTimeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(RedisTimeout), RedisTimeout, "The Redis timeout must be positive and at most a day.");
        }

        if (PollInterval <= TimeSpan.Zero || PollInterval > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(PollInterval), PollInterval, "The poll interval must be positive and at most a day.");
        }

        if (Deadline is { } deadline && (deadline <= TimeSpan.Zero || deadline > TimeSpan.FromMilliseconds(int.MaxValue)))
        {
            throw new ArgumentOutOfRangeException(nameof(Deadline), deadline, "The deadline must be positive and at most int.MaxValue ms, or null for none.");
        }

        if (TimeProvider is null)
        {
            throw new ArgumentNullException(nameof(TimeProvider));
        }

        if (string.IsNullOrEmpty(KeyPrefix))
        {
            throw new ArgumentException("The key prefix must not be empty.", nameof(KeyPrefix));
        }

        return new DistributedSingleFlightOptions
        {
            LeaseDuration = LeaseDuration,
            ResultTimeToLive = ResultTimeToLive,
            WaitTimeout = WaitTimeout,
            RedisTimeout = RedisTimeout,
            PollInterval = PollInterval,
            KeyPrefix = KeyPrefix,
            RunLocallyOnRemoteFailure = RunLocallyOnRemoteFailure,
            JsonSerializerOptions = JsonSerializerOptions,
            LoggerFactory = LoggerFactory,
            Deadline = Deadline,
            TimeProvider = TimeProvider,
        };
    }
}
