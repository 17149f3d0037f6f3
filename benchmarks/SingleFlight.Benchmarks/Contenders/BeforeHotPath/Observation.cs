// A frozen copy of src/Runtime as it was on main before issue 19's hot-path work (the group, its telemetry hooks
// and helpers, renamed). It runs side by side with the current runtime in the same BenchmarkDotNet run, so before and
// after are measured under one machine load. Not maintained: benchmark use only.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace SingleFlight.Benchmarks.Contenders.BeforeHotPath;

/// <summary>
/// What one execution of the work reports: the in-progress count, its duration and its span. Created only
/// when a listener is attached; <see langword="default"/> records nothing.
/// </summary>
internal readonly struct FlightObservation
{
    private readonly string? _operation;
    private readonly long _start;
    private readonly Activity? _previous;
    private readonly bool _countedActive;

    private FlightObservation(string? operation, long start, Activity? activity, Activity? previous, bool countedActive)
    {
        _operation = operation;
        _start = start;
        Activity = activity;
        _previous = previous;
        _countedActive = countedActive;
    }

    /// <summary>The flight's span, when traced: joiners link to it.</summary>
    public Activity? Activity { get; }

    /// <summary>Starts observing a flight. The flight's span becomes current, so the work runs inside it.</summary>
    /// <remarks>
    /// A listener that throws must not leave a published flight unfinished (every later caller of the key
    /// would wait for it forever): its exception is dropped, and the flight goes unobserved.
    /// </remarks>
    public static FlightObservation Begin(string? operation)
    {
        try
        {
            return BeginCore(operation);
        }
        catch (Exception)
        {
            return default;
        }
    }

    private static FlightObservation BeginCore(string? operation)
    {
        var countedActive = BeforeHotPathTelemetry.ActiveFlights.Enabled;
        if (countedActive)
        {
            BeforeHotPathTelemetry.ActiveFlights.Add(1, BeforeHotPathTelemetry.Operation(operation));
        }

        var start = BeforeHotPathTelemetry.FlightDuration.Enabled ? BeforeHotPathTelemetry.Timestamp() : 0;
        var previous = Activity.Current;
        var activity = BeforeHotPathTelemetry.ActivitySource.StartActivity("singleflight.flight", ActivityKind.Internal);
        activity?.SetTag(BeforeHotPathTelemetry.OperationTag, operation ?? BeforeHotPathTelemetry.UnnamedOperation);
        return new FlightObservation(operation, start, activity, previous, countedActive);
    }

    /// <summary>
    /// The work has been invoked (its synchronous part is done): the leader's own code goes on under its own
    /// span again, while the work's continuations keep the flight's span they captured.
    /// </summary>
    public void WorkInvoked()
    {
        if (Activity is not null)
        {
            Activity.Current = _previous;
        }
    }

    /// <summary>The work has ended, with <paramref name="error"/> or a value. Never throws (see <see cref="Begin"/>).</summary>
    public void End(Exception? error)
    {
        try
        {
            EndCore(error);
        }
        catch (Exception)
        {
            // A throwing listener: the flight must still complete.
        }
    }

    private void EndCore(Exception? error)
    {
        if (_countedActive)
        {
            BeforeHotPathTelemetry.ActiveFlights.Add(-1, BeforeHotPathTelemetry.Operation(_operation));
        }

        if (_start != 0)
        {
            var seconds = BeforeHotPathTelemetry.SecondsSince(_start);
            if (error is null)
            {
                BeforeHotPathTelemetry.FlightDuration.Record(seconds, BeforeHotPathTelemetry.Operation(_operation));
            }
            else
            {
                BeforeHotPathTelemetry.FlightDuration.Record(seconds, BeforeHotPathTelemetry.Operation(_operation), BeforeHotPathTelemetry.ErrorType(error));
            }
        }

        if (Activity is not null)
        {
            if (error is not null)
            {
                Activity.SetStatus(ActivityStatusCode.Error, error.Message);
                Activity.SetTag(BeforeHotPathTelemetry.ErrorTypeTag, error.GetType().FullName);
            }

            Activity.Stop();
        }
    }
}

/// <summary>
/// What one caller's wait for a flight reports: its outcome, a joiner's wait time and a joiner span linked to
/// the flight's span. Created only when a listener is attached.
/// </summary>
internal readonly struct WaitObservation
{
    private readonly string? _operation;
    private readonly bool _led;
    private readonly long _start;
    private readonly Activity? _span;

    private WaitObservation(string? operation, bool led, long start, Activity? span)
    {
        _operation = operation;
        _led = led;
        _start = start;
        _span = span;
    }

    public static WaitObservation Begin(string? operation, Activity? flightActivity, bool led)
    {
        try
        {
            return BeginCore(operation, flightActivity, led);
        }
        catch (Exception)
        {
            return default;
        }
    }

    private static WaitObservation BeginCore(string? operation, Activity? flightActivity, bool led)
    {
        if (led)
        {
            return new WaitObservation(operation, led, 0, null);
        }

        var start = BeforeHotPathTelemetry.JoinDuration.Enabled ? BeforeHotPathTelemetry.Timestamp() : 0;
        Activity? span = null;
        if (Activity.Current is not null && BeforeHotPathTelemetry.ActivitySource.HasListeners())
        {
            var links = flightActivity is null ? null : new[] { new ActivityLink(flightActivity.Context) };
            span = BeforeHotPathTelemetry.ActivitySource.StartActivity("singleflight.join", ActivityKind.Internal, default(ActivityContext), tags: null, links: links);
            span?.SetTag(BeforeHotPathTelemetry.OperationTag, operation ?? BeforeHotPathTelemetry.UnnamedOperation);
            span?.SetTag("singleflight.shared", true);
        }

        return new WaitObservation(operation, led, start, span);
    }

    /// <summary>The caller's wait has ended. Never throws: a throwing listener must not change what the caller gets.</summary>
    public void End(Exception? error, CancellationToken callerToken)
    {
        try
        {
            EndCore(error, callerToken);
        }
        catch (Exception)
        {
            // Dropped: see FlightObservation.Begin.
        }
    }

    private void EndCore(Exception? error, CancellationToken callerToken)
    {
        var outcome = error is null
            ? (_led ? BeforeHotPathTelemetry.Led : BeforeHotPathTelemetry.Joined)
            : BeforeHotPathTelemetry.OutcomeOf(error, callerToken);
        BeforeHotPathTelemetry.RecordCall(_operation, outcome, outcome == BeforeHotPathTelemetry.Faulted ? error : null);

        if (_start != 0)
        {
            BeforeHotPathTelemetry.JoinDuration.Record(
                BeforeHotPathTelemetry.SecondsSince(_start),
                BeforeHotPathTelemetry.Operation(_operation),
                new KeyValuePair<string, object?>(BeforeHotPathTelemetry.OutcomeTag, outcome));
        }

        if (_span is not null)
        {
            if (error is not null)
            {
                _span.SetStatus(ActivityStatusCode.Error, error.Message);
            }

            _span.SetTag(BeforeHotPathTelemetry.OutcomeTag, outcome);
            _span.Stop();
        }
    }
}
