using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace SingleFlight.Runtime.Tests;

/// <summary>
/// The batch instruments (<c>singleflight.batch.size</c>, <c>singleflight.batch.keys</c>) and the existing ones a batch
/// group reports, observed with a real <see cref="MeterListener"/>; only measurements tagged with this test's
/// operation are looked at.
/// </summary>
[Collection(nameof(TelemetryCollection))]
public sealed class BatchTelemetryTests
{
    [Fact]
    public async Task Keys_per_call_of_the_work_and_keys_fetched_versus_joined_are_measured()
    {
        const string Operation = "batch-telemetry";
        var measured = new ConcurrentQueue<(string Instrument, long Value, string? Outcome)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == SingleFlightTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };

        void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? operation = null;
            string? outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key == SingleFlightTelemetry.OperationTag)
                {
                    operation = tag.Value as string;
                }
                else if (tag.Key == SingleFlightTelemetry.OutcomeTag)
                {
                    outcome = tag.Value as string;
                }
            }

            if (operation == Operation)
            {
                measured.Enqueue((instrument.Name, value, outcome));
            }
        }

        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();

        var group = new SingleFlightBatchGroup<int, string> { Name = Operation };
        var work = new GatedBatch<int>();
        var a = group.DoManyAsync([1, 2, 3], work.Work);   // fetched 3, one call of 3 keys
        var b = group.DoManyAsync([2, 3, 4], work.Work);   // joined 2, fetched 1, one call of 1 key
        var c = group.DoAsync(4, work.Work);               // joined 1
        foreach (var call in work.Calls)
        {
            call.Answer();
        }

        await Bounded.Wait(a);
        await Bounded.Wait(b);
        await Bounded.Wait(c);

        Assert.Equal([3L, 1L], measured.Where(m => m.Instrument == "singleflight.batch.size").Select(m => m.Value));
        long Keys(string outcome) => measured.Where(m => m.Instrument == "singleflight.batch.keys" && m.Outcome == outcome).Sum(m => m.Value);
        Assert.Equal(4, Keys("fetched"));
        Assert.Equal(3, Keys("joined"));

        // Each caller is one call through the group: led (it sent keys of its own) or joined (every key was in flight).
        long Calls(string outcome) => measured.Where(m => m.Instrument == "singleflight.calls" && m.Outcome == outcome).Sum(m => m.Value);
        Assert.Equal(2, Calls("led"));
        Assert.Equal(1, Calls("joined"));
    }
}
