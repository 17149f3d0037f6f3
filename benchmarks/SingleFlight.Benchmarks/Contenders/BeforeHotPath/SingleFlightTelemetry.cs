// A frozen copy of src/Runtime as it was on main before issue 19's hot-path work (the group, its telemetry hooks
// and helpers, renamed). It runs side by side with the current runtime in the same BenchmarkDotNet run, so before and
// after are measured under one machine load. Not maintained: benchmark use only.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SingleFlight.Benchmarks.Contenders.BeforeHotPath;

/// <summary>
/// The names under which single-flight groups publish metrics (<see cref="Meter"/>) and traces
/// (<see cref="ActivitySource"/>). With OpenTelemetry: <c>AddMeter(BeforeHotPathTelemetry.Name)</c> and
/// <c>AddSource(BeforeHotPathTelemetry.Name)</c>.
/// </summary>
/// <remarks>
/// Instruments and their tags are described in docs/observability.md. With no listener attached, a group
/// measures nothing: every recording is behind a check of the instrument's <c>Enabled</c> flag.
/// </remarks>
internal static class BeforeHotPathTelemetry
{
    /// <summary>The name of the meter and of the activity source: <c>SingleFlight</c>.</summary>
    public const string Name = "SingleFlight";

    /// <summary>Tag: the operation, <see cref="BeforeHotPathGroup{TKey, TValue}.Name"/> (never the key).</summary>
    public const string OperationTag = "singleflight.operation";

    /// <summary>
    /// Tag: how a call ended — <c>led</c>, <c>joined</c>, <c>faulted</c>, <c>cancelled</c>, <c>deadline_exceeded</c> (its
    /// flight outlived the group's deadline) or <c>reused</c> (it took a value kept for the group's share window).
    /// </summary>
    public const string OutcomeTag = "singleflight.outcome";

    /// <summary>Tag (OpenTelemetry convention): the full name of the exception type of a faulted call or flight.</summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary>The operation tag's value for a group created without a name.</summary>
    public const string UnnamedOperation = "unnamed";

    private static readonly string? Version = typeof(BeforeHotPathTelemetry).Assembly.GetName().Version?.ToString();

    internal static readonly Meter Meter = new(Name, Version);

    internal static readonly ActivitySource ActivitySource = new(Name, Version);

    /// <summary><c>singleflight.calls</c>: one per call, tagged with its outcome.</summary>
    internal static readonly Counter<long> Calls = Meter.CreateCounter<long>(
        "singleflight.calls", "{call}", "Calls through a single-flight group, by outcome: led (ran the work), joined (shared another caller's flight), faulted, cancelled, deadline_exceeded, reused (took a value kept for the share window).");

    /// <summary><c>singleflight.flight.duration</c>: how long each execution of the work took.</summary>
    internal static readonly Histogram<double> FlightDuration = Meter.CreateHistogram<double>(
        "singleflight.flight.duration", "s", "Duration of each execution of the work (one per flight).");

    /// <summary><c>singleflight.join.duration</c>: how long joiners waited for a flight they joined.</summary>
    internal static readonly Histogram<double> JoinDuration = Meter.CreateHistogram<double>(
        "singleflight.join.duration", "s", "How long callers that joined a running flight waited for its result.");

    /// <summary><c>singleflight.flights.active</c>: executions running now.</summary>
    internal static readonly UpDownCounter<long> ActiveFlights = Meter.CreateUpDownCounter<long>(
        "singleflight.flights.active", "{flight}", "Executions of the work running now.");

    internal const string Led = "led";
    internal const string Joined = "joined";
    internal const string Faulted = "faulted";
    internal const string Cancelled = "cancelled";
    internal const string DeadlineExceeded = "deadline_exceeded";
    internal const string Reused = "reused";

    /// <summary>Whether anything listens to a flight's start (metrics or traces).</summary>
    internal static bool FlightObserved => ActiveFlights.Enabled || FlightDuration.Enabled || Calls.Enabled || ActivitySource.HasListeners();

    /// <summary>Whether anything listens to a joiner's wait.</summary>
    /// <remarks>
    /// <c>HasListeners()</c> before <c>Activity.Current</c>: the first is a field read, the second an
    /// async-local lookup that every joiner would otherwise pay when nothing listens.
    /// </remarks>
    internal static bool JoinObserved => Calls.Enabled || JoinDuration.Enabled || (ActivitySource.HasListeners() && Activity.Current is not null);

    internal static long Timestamp() => Stopwatch.GetTimestamp();

    internal static double SecondsSince(long timestamp)
        => (Stopwatch.GetTimestamp() - timestamp) / (double)Stopwatch.Frequency;

    internal static KeyValuePair<string, object?> Operation(string? name) => new(OperationTag, name ?? UnnamedOperation);

    internal static void RecordCall(string? operation, string outcome, Exception? error = null)
    {
        if (!Calls.Enabled)
        {
            return;
        }

        try
        {
            if (error is null)
            {
                Calls.Add(1, Operation(operation), new KeyValuePair<string, object?>(OutcomeTag, outcome));
            }
            else
            {
                Calls.Add(1, Operation(operation), new KeyValuePair<string, object?>(OutcomeTag, outcome), ErrorType(error));
            }
        }
        catch (Exception)
        {
            // A throwing listener must not change what the caller receives.
        }
    }

    /// <summary>A caller whose own token was cancelled was cancelled; any other exception is the flight's fault.</summary>
    internal static string OutcomeOf(Exception error, System.Threading.CancellationToken callerToken)
        => error is OperationCanceledException && callerToken.IsCancellationRequested ? Cancelled
            : error is SingleFlightDeadlineExceededException ? DeadlineExceeded
            : Faulted;

    internal static KeyValuePair<string, object?> ErrorType(Exception error) => new(ErrorTypeTag, error.GetType().FullName);
}
