// A frozen copy of src/Runtime as it was on main before issue 17 (the deadline and the share window): the group's hot
// path, its telemetry hooks and helpers, renamed. It runs side by side with the current runtime in the same
// BenchmarkDotNet run (scenario (a)), so "without the options, nothing got slower" is measured under one machine load.
// Not maintained: benchmark use only.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace SingleFlight.Benchmarks.Contenders.BeforeLifetime;

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
        var countedActive = BeforeLifetimeTelemetry.ActiveFlights.Enabled;
        if (countedActive)
        {
            BeforeLifetimeTelemetry.ActiveFlights.Add(1, BeforeLifetimeTelemetry.Operation(operation));
        }

        var start = BeforeLifetimeTelemetry.FlightDuration.Enabled ? BeforeLifetimeTelemetry.Timestamp() : 0;
        var previous = Activity.Current;
        var activity = BeforeLifetimeTelemetry.ActivitySource.StartActivity("singleflight.flight", ActivityKind.Internal);
        activity?.SetTag(BeforeLifetimeTelemetry.OperationTag, operation ?? BeforeLifetimeTelemetry.UnnamedOperation);
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
            BeforeLifetimeTelemetry.ActiveFlights.Add(-1, BeforeLifetimeTelemetry.Operation(_operation));
        }

        if (_start != 0)
        {
            var seconds = BeforeLifetimeTelemetry.SecondsSince(_start);
            if (error is null)
            {
                BeforeLifetimeTelemetry.FlightDuration.Record(seconds, BeforeLifetimeTelemetry.Operation(_operation));
            }
            else
            {
                BeforeLifetimeTelemetry.FlightDuration.Record(seconds, BeforeLifetimeTelemetry.Operation(_operation), BeforeLifetimeTelemetry.ErrorType(error));
            }
        }

        if (Activity is not null)
        {
            if (error is not null)
            {
                Activity.SetStatus(ActivityStatusCode.Error, error.Message);
                Activity.SetTag(BeforeLifetimeTelemetry.ErrorTypeTag, error.GetType().FullName);
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

        var start = BeforeLifetimeTelemetry.JoinDuration.Enabled ? BeforeLifetimeTelemetry.Timestamp() : 0;
        Activity? span = null;
        if (Activity.Current is not null && BeforeLifetimeTelemetry.ActivitySource.HasListeners())
        {
            var links = flightActivity is null ? null : new[] { new ActivityLink(flightActivity.Context) };
            span = BeforeLifetimeTelemetry.ActivitySource.StartActivity("singleflight.join", ActivityKind.Internal, default(ActivityContext), tags: null, links: links);
            span?.SetTag(BeforeLifetimeTelemetry.OperationTag, operation ?? BeforeLifetimeTelemetry.UnnamedOperation);
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
            ? (_led ? BeforeLifetimeTelemetry.Led : BeforeLifetimeTelemetry.Joined)
            : BeforeLifetimeTelemetry.OutcomeOf(error, callerToken);
        BeforeLifetimeTelemetry.RecordCall(_operation, outcome, outcome == BeforeLifetimeTelemetry.Faulted ? error : null);

        if (_start != 0)
        {
            BeforeLifetimeTelemetry.JoinDuration.Record(
                BeforeLifetimeTelemetry.SecondsSince(_start),
                BeforeLifetimeTelemetry.Operation(_operation),
                new KeyValuePair<string, object?>(BeforeLifetimeTelemetry.OutcomeTag, outcome));
        }

        if (_span is not null)
        {
            if (error is not null)
            {
                _span.SetStatus(ActivityStatusCode.Error, error.Message);
            }

            _span.SetTag(BeforeLifetimeTelemetry.OutcomeTag, outcome);
            _span.Stop();
        }
    }
}
