using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace SingleFlight.Redis.Tests;

internal static class Bounded
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static Task<T> Wait<T>(ValueTask<T> pending) => pending.AsTask().WaitAsync(Timeout);

    public static Task<T> Wait<T>(Task<T> pending) => pending.WaitAsync(Timeout);

    public static Task Wait(Task pending) => pending.WaitAsync(Timeout);

    /// <summary>Polls a condition until it holds, failing after the bound.</summary>
    public static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Timed out waiting for: " + what);
            }

            await Task.Delay(10);
        }
    }
}

/// <summary>Work whose executions the test counts and releases: each execution announces itself and waits for the gate.</summary>
internal sealed class GatedWork<T>
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _executions;

    public TaskCompletionSource<T> Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Executions => Volatile.Read(ref _executions);

    public Task Started => _started.Task;

    public async ValueTask<T> RunAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _executions);
        _started.TrySetResult();
        return await Gate.Task.WaitAsync(cancellationToken);
    }
}

/// <summary>Collects singleflight.redis.flights measurements for one operation name.</summary>
internal sealed class RedisFlightsMetric : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Outcome, string? Reason)> _measurements = new();

    public RedisFlightsMetric(string operation)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SingleFlightTelemetry.Name && instrument.Name == "singleflight.redis.flights")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? op = null, outcome = null, reason = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case SingleFlightTelemetry.OperationTag: op = tag.Value as string; break;
                    case SingleFlightTelemetry.OutcomeTag: outcome = tag.Value as string; break;
                    case "singleflight.redis.reason": reason = tag.Value as string; break;
                }
            }

            if (op == operation)
            {
                for (var i = 0; i < value; i++)
                {
                    _measurements.Enqueue((outcome!, reason));
                }
            }
        });
        _listener.Start();
    }

    public int Count(string outcome) => _measurements.Count(m => m.Outcome == outcome);

    public IReadOnlyList<(string Outcome, string? Reason)> All => _measurements.ToArray();

    public void Dispose() => _listener.Dispose();
}

/// <summary>A logger factory that keeps what is logged: one per "process".</summary>
internal sealed class RecordingLoggerFactory : Microsoft.Extensions.Logging.ILoggerFactory
{
    private readonly ConcurrentQueue<(Microsoft.Extensions.Logging.LogLevel Level, string Event, string Message)> _entries = new();

    public IReadOnlyList<(Microsoft.Extensions.Logging.LogLevel Level, string Event, string Message)> Entries => _entries.ToArray();

    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerFactory owner) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(
            Microsoft.Extensions.Logging.LogLevel logLevel,
            Microsoft.Extensions.Logging.EventId eventId,
            TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter)
            => owner._entries.Enqueue((logLevel, eventId.Name ?? string.Empty, formatter(state, exception)));
    }
}
