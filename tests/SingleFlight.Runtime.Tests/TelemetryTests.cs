using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SingleFlight.Runtime.Tests;

[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;

/// <summary>
/// Metrics and traces, observed with real listeners. Listeners are process-wide, so these tests run alone
/// and look only at measurements tagged with their own operation name.
/// </summary>
[Collection(nameof(TelemetryCollection))]
public sealed class TelemetryTests
{
    private sealed class Measurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _operation;

        public Measurements(string operation)
        {
            _operation = operation;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SingleFlightTelemetry.Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
            _listener.Start();
        }

        public ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> All { get; } = new();

        public int Calls(string outcome) => (int)All
            .Where(m => m.Instrument == "singleflight.calls" && Equals(m.Tags[SingleFlightTelemetry.OutcomeTag], outcome))
            .Sum(m => m.Value);

        public IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Of(string instrument)
            => All.Where(m => m.Instrument == instrument);

        public void Dispose() => _listener.Dispose();

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var dictionary = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                dictionary[tag.Key] = tag.Value;
            }

            if (Equals(dictionary.GetValueOrDefault(SingleFlightTelemetry.OperationTag), _operation))
            {
                All.Enqueue((instrument.Name, value, dictionary));
            }
        }
    }

    private sealed class Spans : IDisposable
    {
        private readonly ActivityListener _listener;

        public Spans()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is SingleFlightTelemetry.Name or "Tests",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity => Stopped.Enqueue(activity),
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public ConcurrentQueue<Activity> Stopped { get; } = new();

        public void Dispose() => _listener.Dispose();
    }

    private static readonly ActivitySource TestSource = new("Tests");

    [Fact]
    public async Task A_stampede_records_one_led_and_the_rest_joined_and_in_progress_returns_to_zero()
    {
        const int callers = 20;
        using var measurements = new Measurements("stampede");
        var group = new SingleFlightGroup<int, int> { Name = "stampede" };
        var work = new GatedWork<int>();

        var calls = Enumerable.Range(0, callers).Select(_ => group.DoAsync(1, work.RunAsync).AsTask()).ToArray();
        Assert.Equal(1, measurements.Of("singleflight.flights.active").Sum(m => m.Value));
        work.Gate.SetResult(3);
        await Bounded.Wait(Task.WhenAll(calls));

        Assert.Equal(1, measurements.Calls("led"));
        Assert.Equal(callers - 1, measurements.Calls("joined"));
        Assert.Equal(0, measurements.Of("singleflight.flights.active").Sum(m => m.Value));
        Assert.Single(measurements.Of("singleflight.flight.duration"));
        Assert.Equal(callers - 1, measurements.Of("singleflight.join.duration").Count());
        Assert.All(measurements.All, m => Assert.DoesNotContain("1", m.Tags.Values.OfType<string>()));
    }

    [Fact]
    public async Task Deadlines_and_values_taken_from_the_share_window_are_counted_under_their_outcomes()
    {
        using var measurements = new Measurements("lifetime");
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var group = new SingleFlightGroup<int, int> { Name = "lifetime", TimeProvider = clock, Deadline = TimeSpan.FromSeconds(1), ShareFor = TimeSpan.FromSeconds(1) };
        var hung = new GatedWork<int>();

        var leader = group.DoAsync(1, hung.RunAsync).AsTask();
        var joiner = group.DoAsync(1, hung.RunAsync).AsTask();
        await Bounded.Wait(hung.Started);
        clock.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<SingleFlightDeadlineExceededException>(() => Bounded.Wait(leader));
        await Assert.ThrowsAsync<SingleFlightDeadlineExceededException>(() => Bounded.Wait(joiner));
        Assert.Equal(2, measurements.Calls("deadline_exceeded"));
        Assert.Equal(0, measurements.Calls("faulted"));

        Assert.Equal(5, await Bounded.Wait(group.DoAsync(2, _ => new ValueTask<int>(5))));
        Assert.Equal(5, await Bounded.Wait(group.DoAsync(2, _ => new ValueTask<int>(6))));
        Assert.Equal(5, group.Do(2, () => 7));
        Assert.Equal(1, measurements.Calls("led"));
        Assert.Equal(2, measurements.Calls("reused"));
        hung.Gate.SetResult(0);
    }

    [Fact]
    public async Task Faults_and_cancellations_are_counted_under_their_outcomes()
    {
        using var measurements = new Measurements("failing");
        var group = new SingleFlightGroup<string, int> { Name = "failing" };
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();

        async ValueTask<int> Fails(CancellationToken ct)
        {
            await gate.Task;
            throw new TimeoutException("backend");
        }

        var leader = group.DoAsync("k", Fails).AsTask();
        var joiner = group.DoAsync("k", Fails).AsTask();
        var leaver = group.DoAsync("k", Fails, cts.Token).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(leaver));
        gate.SetResult();
        await Assert.ThrowsAsync<TimeoutException>(() => Bounded.Wait(leader));
        await Assert.ThrowsAsync<TimeoutException>(() => Bounded.Wait(joiner));

        Assert.Equal(2, measurements.Calls("faulted"));
        Assert.Equal(1, measurements.Calls("cancelled"));
        Assert.Equal(0, measurements.Calls("led") + measurements.Calls("joined"));
        Assert.All(
            measurements.Of("singleflight.calls").Where(m => Equals(m.Tags[SingleFlightTelemetry.OutcomeTag], "faulted")),
            m => Assert.Equal(typeof(TimeoutException).FullName, m.Tags[SingleFlightTelemetry.ErrorTypeTag]));
        var flight = Assert.Single(measurements.Of("singleflight.flight.duration"));
        Assert.Equal(typeof(TimeoutException).FullName, flight.Tags[SingleFlightTelemetry.ErrorTypeTag]);
        Assert.Equal(0, measurements.Of("singleflight.flights.active").Sum(m => m.Value));
    }

    [Fact]
    public void The_blocking_path_is_measured_too()
    {
        using var measurements = new Measurements("blocking");
        var group = new SingleFlightGroup<string, int> { Name = "blocking" };

        Assert.Equal(1, group.Do("k", () => 1));
        Assert.Throws<FormatException>(() => group.Do("k", () => throw new FormatException()));

        Assert.Equal(1, measurements.Calls("led"));
        Assert.Equal(1, measurements.Calls("faulted"));
        Assert.Equal(2, measurements.Of("singleflight.flight.duration").Count());
        Assert.Equal(0, measurements.Of("singleflight.flights.active").Sum(m => m.Value));
    }

    [Fact]
    public async Task One_flight_span_per_execution_and_joiner_spans_link_to_it()
    {
        using var spans = new Spans();
        var group = new SingleFlightGroup<int, string?> { Name = "traced" };
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async ValueTask<string?> Work(CancellationToken ct)
        {
            await gate.Task;
            return Activity.Current?.OperationName;
        }

        using var request = TestSource.StartActivity("request")!;
        var leader = group.DoAsync(1, Work).AsTask();
        var joiners = Enumerable.Range(0, 3).Select(_ => group.DoAsync(1, Work).AsTask()).ToArray();
        gate.SetResult();

        Assert.Equal("singleflight.flight", await Bounded.Wait(leader));
        await Bounded.Wait(Task.WhenAll(joiners));

        var flight = Assert.Single(spans.Stopped, a => a.OperationName == "singleflight.flight");
        Assert.Equal(request.SpanId, flight.ParentSpanId);
        Assert.Equal("traced", flight.GetTagItem(SingleFlightTelemetry.OperationTag));
        var joins = spans.Stopped.Where(a => a.OperationName == "singleflight.join").ToList();
        Assert.Equal(3, joins.Count);
        Assert.All(joins, join =>
        {
            Assert.Equal(flight.SpanId, Assert.Single(join.Links).Context.SpanId);
            Assert.Equal(true, join.GetTagItem("singleflight.shared"));
            Assert.Equal(request.SpanId, join.ParentSpanId);
        });
    }

    [Fact]
    public async Task Without_listeners_no_activity_is_created()
    {
        var group = new SingleFlightGroup<int, Activity?> { Name = "untraced" };
        Assert.False(SingleFlightTelemetry.ActivitySource.HasListeners());
        var parent = new Activity("parent").Start();
        try
        {
            var seen = await group.DoAsync(1, async _ =>
            {
                await Task.Yield();
                return Activity.Current;
            });

            Assert.Same(parent, seen);
            Assert.Same(parent, Activity.Current);
        }
        finally
        {
            parent.Stop();
        }
    }
}

/// <summary>A listener that throws must not break flights.</summary>
[Collection(nameof(TelemetryCollection))]
public sealed class ThrowingListenerTests
{
    [Fact]
    public async Task A_throwing_meter_listener_neither_fails_calls_nor_wedges_the_key()
    {
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
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => throw new InvalidOperationException("listener bug"));
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => throw new InvalidOperationException("listener bug"));
        listener.Start();

        var group = new SingleFlightGroup<int, int> { Name = "throwing-listener" };
        var work = new GatedWork<int>();
        var leader = group.DoAsync(1, work.RunAsync);
        var joiner = group.DoAsync(1, work.RunAsync);
        work.Gate.SetResult(4);

        Assert.Equal(4, await Bounded.Wait(leader));
        Assert.Equal(4, await Bounded.Wait(joiner));
        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(5, group.Do(1, () => 5));
        Assert.Equal(6, await Bounded.Wait(group.DoAsync(1, _ => new ValueTask<int>(6))));
    }
}
