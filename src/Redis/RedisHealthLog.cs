using System;
using System.Diagnostics;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace SingleFlight.Redis;

/// <summary>
/// One group's account of Redis trouble: every local fallback is counted in the <c>singleflight.redis.flights</c>
/// metric; the log gets a warning when the trouble starts (then at most one every <see cref="Interval"/>, with the
/// number of fallbacks in between) and an information entry when a flight goes through Redis again. A Redis outage
/// hits every flight, so logging each one would flood the log exactly when it is read.
/// </summary>
internal sealed class RedisHealthLog
{
    /// <summary>The shortest time between two warnings of one group.</summary>
    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private static readonly Action<ILogger, string, string, long, Exception?> s_unavailable = LoggerMessage.Define<string, string, long>(
        LogLevel.Warning,
        new EventId(1, "RedisUnavailable"),
        "Single-flight operation {Operation}: Redis is unavailable ({Reason}); calls are coalesced in this process only ({Count} since the last report).");

    private static readonly Action<ILogger, string, long, Exception?> s_resumed = LoggerMessage.Define<string, long>(
        LogLevel.Information,
        new EventId(2, "RedisResumed"),
        "Single-flight operation {Operation}: flights are shared through Redis again ({Count} degraded since the last report).");

    private static readonly Action<ILogger, string, Exception?> s_bindFailed = LoggerMessage.Define<string>(
        LogLevel.Warning,
        new EventId(3, "RedisBindFailed"),
        "Single-flight operation {Operation} cannot be shared through Redis and is coalesced in this process only.");

    private static readonly Action<ILogger, string, string, long, Exception?> s_notShareable = LoggerMessage.Define<string, string, long>(
        LogLevel.Warning,
        new EventId(4, "ResultNotShareable"),
        "Single-flight operation {Operation}: a result could not be serialized ({Reason}), so the processes waiting for it run the work themselves ({Count} since the last report).");

    private static readonly Action<ILogger, string, string, long, Exception?> s_contractMismatch = LoggerMessage.Define<string, string, long>(
        LogLevel.Warning,
        new EventId(5, "ResultContractMismatch"),
        "Single-flight operation {Operation}: another process wrote a result this process does not accept ({Reason}: another version of the result type, other JSON settings, or an older or newer version of this package), so it ran the work itself ({Count} since the last report).");

    private readonly string _operation;
    private readonly ILogger? _logger;
    private readonly Notice _notShareable = new();
    private readonly Notice _contractMismatch = new();
    private long _sinceReport;
    private long _lastWarning;
    private int _degraded;

    public RedisHealthLog(string operation, ILoggerFactory? loggerFactory)
    {
        _operation = operation;
        _logger = loggerFactory?.CreateLogger("SingleFlight.Redis");
    }

    /// <summary>A local flight ran without Redis: counted in the metric, and reported in the log.</summary>
    public void Fallback(string reason)
    {
        RedisTelemetry.Record(_operation, RedisTelemetry.LocalFallback, reason);
        Degraded(reason);
    }

    /// <summary>A flight could not use Redis fully (for a leader: its result could not be written).</summary>
    public void Degraded(string reason)
    {
        Interlocked.Increment(ref _sinceReport);
        Volatile.Write(ref _degraded, 1);
        if (_logger is null || !_logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var last = Volatile.Read(ref _lastWarning);
        if (last != 0 && now - last < (long)(Interval.TotalSeconds * Stopwatch.Frequency))
        {
            return;
        }

        // One thread per interval writes the warning.
        if (Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            Write(() => s_unavailable(_logger, _operation, reason, Interlocked.Exchange(ref _sinceReport, 0), null));
        }
    }

    /// <summary>A flight went through Redis: if it had been degraded, say that it has recovered.</summary>
    public void Healthy()
    {
        if (Volatile.Read(ref _degraded) == 0 || Interlocked.Exchange(ref _degraded, 0) == 0)
        {
            return;
        }

        // The next trouble is reported at once, not an interval after the last warning.
        Volatile.Write(ref _lastWarning, 0);
        if (_logger is not null && _logger.IsEnabled(LogLevel.Information))
        {
            Write(() => s_resumed(_logger, _operation, Interlocked.Exchange(ref _sinceReport, 0), null));
        }
        else
        {
            Interlocked.Exchange(ref _sinceReport, 0);
        }
    }

    /// <summary>A leader's value could not be serialized: logged the first time, then at most once per <see cref="Interval"/>.</summary>
    public void NotShareable(Exception error)
    {
        if (_logger is not null && _logger.IsEnabled(LogLevel.Warning) && _notShareable.Due(out var count))
        {
            Write(() => s_notShareable(_logger, _operation, RedisTelemetry.ReasonOf(error), count, error));
        }
    }

    /// <summary>A follower refused another process's payload: logged the first time, then at most once per <see cref="Interval"/>.</summary>
    public void ContractMismatch(string reason)
    {
        if (_logger is not null && _logger.IsEnabled(LogLevel.Warning) && _contractMismatch.Due(out var count))
        {
            Write(() => s_contractMismatch(_logger, _operation, reason, count, null));
        }
    }

    /// <summary>A distributed operation could not get its group from the registry (a configuration mistake).</summary>
    public static void BindFailed(ILoggerFactory? loggerFactory, string operation, Exception error)
    {
        var logger = loggerFactory?.CreateLogger("SingleFlight.Redis");
        if (logger is not null && logger.IsEnabled(LogLevel.Warning))
        {
            Write(() => s_bindFailed(logger, operation, error));
        }
    }

    /// <summary>Counts occurrences of one kind of event and says when one is due for the log.</summary>
    private sealed class Notice
    {
        private long _count;
        private long _last;

        /// <summary>Counts one; true (with the count since the last report) for the first, and then once per interval.</summary>
        public bool Due(out long count)
        {
            Interlocked.Increment(ref _count);
            count = 0;
            var now = Stopwatch.GetTimestamp();
            var last = Volatile.Read(ref _last);
            if (last != 0 && now - last < (long)(Interval.TotalSeconds * Stopwatch.Frequency))
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _last, now, last) != last)
            {
                return false;
            }

            count = Interlocked.Exchange(ref _count, 0);
            return true;
        }
    }

    private static void Write(Action log)
    {
        try
        {
            log();
        }
        catch (Exception)
        {
            // A failing logger must not fail a call (as with metric listeners).
        }
    }
}
