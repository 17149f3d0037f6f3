using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace SingleFlight.Redis;

/// <summary>
/// The distributed path's metrics, on a meter named <see cref="SingleFlightTelemetry.Name"/> like the in-process
/// ones, so <c>AddMeter(SingleFlightTelemetry.Name)</c> collects both.
/// </summary>
internal static class RedisTelemetry
{
    private static readonly Meter Meter = new(SingleFlightTelemetry.Name, typeof(RedisTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>
    /// <c>singleflight.redis.flights</c>: one per local flight that went through the distributed path, by outcome.
    /// </summary>
    internal static readonly Counter<long> Flights = Meter.CreateCounter<long>(
        "singleflight.redis.flights", "{flight}",
        "Local flights of a distributed group, by outcome: led, received, received_fault, local_fallback, wait_timeout, deadline_exceeded (a leader whose work outlived the deadline released the key).");

    internal const string Led = "led";
    internal const string Received = "received";
    internal const string ReceivedFault = "received_fault";
    internal const string LocalFallback = "local_fallback";
    internal const string WaitTimeout = "wait_timeout";
    internal const string DeadlineExceeded = "deadline_exceeded";

    /// <summary>The reason of a <c>local_fallback</c> while <see cref="DistributedSingleFlight.Default"/> is not set.</summary>
    internal const string NotConfigured = "not_configured";

    /// <summary>The tag that says what went wrong with Redis for a <c>local_fallback</c> or a leader's failed write.</summary>
    internal const string ReasonTag = "singleflight.redis.reason";

    internal static void Record(string operation, string outcome, string? reason = null)
    {
        if (!Flights.Enabled)
        {
            return;
        }

        var operationTag = new KeyValuePair<string, object?>(SingleFlightTelemetry.OperationTag, operation);
        var outcomeTag = new KeyValuePair<string, object?>(SingleFlightTelemetry.OutcomeTag, outcome);
        try
        {
            if (reason is null)
            {
                Flights.Add(1, operationTag, outcomeTag);
            }
            else
            {
                Flights.Add(1, operationTag, outcomeTag, new KeyValuePair<string, object?>(ReasonTag, reason));
            }
        }
        catch (Exception)
        {
            // A throwing listener must not fail a call or change what it returns (as in the runtime).
        }
    }

    internal static string ReasonOf(Exception error) => error.GetType().Name;
}
