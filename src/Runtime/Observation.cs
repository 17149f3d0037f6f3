using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace SingleFlight;

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
        var countedActive = SingleFlightTelemetry.ActiveFlights.Enabled;
        if (countedActive)
        {
            SingleFlightTelemetry.ActiveFlights.Add(1, SingleFlightTelemetry.Operation(operation));
        }

        var start = SingleFlightTelemetry.FlightDuration.Enabled ? SingleFlightTelemetry.Timestamp() : 0;
        var previous = Activity.Current;
        var activity = SingleFlightTelemetry.ActivitySource.StartActivity("singleflight.flight", ActivityKind.Internal);
        activity?.SetTag(SingleFlightTelemetry.OperationTag, operation ?? SingleFlightTelemetry.UnnamedOperation);
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
            SingleFlightTelemetry.ActiveFlights.Add(-1, SingleFlightTelemetry.Operation(_operation));
        }

        if (_start != 0)
        {
            var seconds = SingleFlightTelemetry.SecondsSince(_start);
            if (error is null)
            {
                SingleFlightTelemetry.FlightDuration.Record(seconds, SingleFlightTelemetry.Operation(_operation));
            }
            else
            {
                SingleFlightTelemetry.FlightDuration.Record(seconds, SingleFlightTelemetry.Operation(_operation), SingleFlightTelemetry.ErrorType(error));
            }
        }

        if (Activity is not null)
        {
            if (error is not null)
            {
                Activity.SetStatus(ActivityStatusCode.Error, error.Message);
                Activity.SetTag(SingleFlightTelemetry.ErrorTypeTag, error.GetType().FullName);
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

        var start = SingleFlightTelemetry.JoinDuration.Enabled ? SingleFlightTelemetry.Timestamp() : 0;
        Activity? span = null;
        if (Activity.Current is not null && SingleFlightTelemetry.ActivitySource.HasListeners())
        {
            var links = flightActivity is null ? null : new[] { new ActivityLink(flightActivity.Context) };
            span = SingleFlightTelemetry.ActivitySource.StartActivity("singleflight.join", ActivityKind.Internal, default(ActivityContext), tags: null, links: links);
            span?.SetTag(SingleFlightTelemetry.OperationTag, operation ?? SingleFlightTelemetry.UnnamedOperation);
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
            ? (_led ? SingleFlightTelemetry.Led : SingleFlightTelemetry.Joined)
            : SingleFlightTelemetry.OutcomeOf(error, callerToken);
        SingleFlightTelemetry.RecordCall(_operation, outcome, outcome == SingleFlightTelemetry.Faulted ? error : null);

        if (_start != 0)
        {
            SingleFlightTelemetry.JoinDuration.Record(
                SingleFlightTelemetry.SecondsSince(_start),
                SingleFlightTelemetry.Operation(_operation),
                new KeyValuePair<string, object?>(SingleFlightTelemetry.OutcomeTag, outcome));
        }

        if (_span is not null)
        {
            if (error is not null)
            {
                _span.SetStatus(ActivityStatusCode.Error, error.Message);
            }

            _span.SetTag(SingleFlightTelemetry.OutcomeTag, outcome);
            _span.Stop();
        }
    }
}
