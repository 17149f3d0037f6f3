namespace SingleFlight.Runtime.Tests;

/// <summary>
/// Rule 9: every caller of a flight observes the same outcome kind, whatever tokens the callers passed. The case
/// that tells: work that throws OperationCanceledException on its own (its token was never cancelled), which is a
/// fault of the flight for every caller, the leader included. Each case runs with and without a metrics listener
/// (callers' waits are observed only while one listens), so these tests share the telemetry tests' solitary collection.
/// </summary>
[Collection(nameof(TelemetryCollection))]
public class OutcomeKindTests
{
    public enum Path
    {
        DoAsync,
        DoWithResultAsync,

        // What a generated Task-returning wrapper does: DoAsync(...).AsTask().
        GeneratedAsTask,
    }

    public static TheoryData<Path, bool, bool, bool> Cases()
    {
        var data = new TheoryData<Path, bool, bool, bool>();
        foreach (var path in Enum.GetValues<Path>())
        {
            foreach (var leaderToken in new[] { false, true })
            {
                foreach (var joinerTokens in new[] { false, true })
                {
                    foreach (var observed in new[] { false, true })
                    {
                        data.Add(path, leaderToken, joinerTokens, observed);
                    }
                }
            }
        }

        return data;
    }

    /// <summary>Listens to the runtime's call counter, which makes every caller's wait observed.</summary>
    private static IDisposable? Listen(bool observed)
    {
        if (!observed)
        {
            return null;
        }

        var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == SingleFlightTelemetry.Name && instrument.Name == "singleflight.calls")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.Start();
        return listener;
    }

    private static Task<int> Call(
        SingleFlightGroup<string, int> group, Path path, Func<CancellationToken, ValueTask<int>> work, CancellationToken token)
        => path switch
        {
            Path.DoAsync => AsIs(group.DoAsync("k", work, token)),
            _ => group.DoAsync("k", work, token).AsTask(),
        };

    // ValueTask.AsTask() returns the backing task itself, so its status is the ValueTask's.
    private static Task<int> AsIs(ValueTask<int> pending)
    {
        Assert.False(pending.IsCompleted);
        return pending.AsTask();
    }

    private static async Task<Task<SingleFlightResult<int>>> Settled(Task<SingleFlightResult<int>> task)
    {
        await ((Task)task).ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(Bounded.Timeout);
        return task;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Rule9_work_that_throws_OperationCanceledException_on_its_own_faults_every_caller(Path path, bool leaderToken, bool joinerTokens, bool observed)
    {
        using var listening = Listen(observed);
        var group = new SingleFlightGroup<string, int>();
        var joins = new JoinCounter<string>(group);
        var thrown = new OperationCanceledException("the work gave up by itself");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async ValueTask<int> Work(CancellationToken ct)
        {
            started.TrySetResult();
            await gate.Task;
            throw thrown;
        }

        using var sources = new CancellationTokenSourceList();
        if (path == Path.DoWithResultAsync)
        {
            // The status of DoWithResultAsync's own task is what its callers see: check it directly.
            var results = new List<Task<SingleFlightResult<int>>>
            {
                group.DoWithResultAsync("k", (Func<CancellationToken, ValueTask<int>>)Work, static (w, ct) => w(ct), sources.Token(leaderToken)).AsTask(),
            };
            await Bounded.Wait(started.Task);
            for (var i = 0; i < 3; i++)
            {
                results.Add(group.DoWithResultAsync("k", (Func<CancellationToken, ValueTask<int>>)Work, static (w, ct) => w(ct), sources.Token(joinerTokens)).AsTask());
            }

            joins.WaitFor(3);
            gate.SetResult();
            foreach (var result in results)
            {
                var settled = await Settled(result);
                Assert.Equal(TaskStatus.Faulted, settled.Status);
                Assert.Same(thrown, settled.Exception!.InnerException);
            }

            return;
        }

        var calls = new List<Task<int>> { Call(group, path, Work, sources.Token(leaderToken)) };
        await Bounded.Wait(started.Task);
        for (var i = 0; i < 3; i++)
        {
            calls.Add(Call(group, path, Work, sources.Token(joinerTokens)));
        }

        joins.WaitFor(3);
        gate.SetResult();
        for (var i = 0; i < calls.Count; i++)
        {
            var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(calls[i]));
            Assert.Same(thrown, error);
            Assert.True(calls[i].IsFaulted, $"caller {i} ({(i == 0 ? "leader" : "joiner")}) saw {calls[i].Status}");
            Assert.False(calls[i].IsCanceled);
        }

        Assert.Equal(0, group.InFlightCount);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Rule9_a_lone_leader_gets_the_same_outcome_kind_with_or_without_a_token(bool leaderToken, bool observed)
    {
        using var listening = Listen(observed);
        var group = new SingleFlightGroup<string, int>();
        using var source = new CancellationTokenSource();
        var thrown = new OperationCanceledException("by itself");

        // After an await, before the first one (synchronously), and as an already-cancelled task the work returns.
        var asynchronous = group.DoAsync("a", async _ => { await Task.Yield(); throw thrown; }, leaderToken ? source.Token : default);
        var synchronous = group.DoAsync("s", new Func<CancellationToken, ValueTask<int>>(_ => throw thrown), leaderToken ? source.Token : default);
        var returned = group.DoAsync("r", _ => new ValueTask<int>(Task.FromException<int>(thrown)), leaderToken ? source.Token : default);

        foreach (var pending in new[] { asynchronous, synchronous, returned })
        {
            var task = pending.AsTask();
            Assert.Same(thrown, await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(task)));
            Assert.True(task.IsFaulted, $"saw {task.Status}");
        }
    }

    [Fact]
    public async Task Rule9_the_blocking_path_throws_the_same_exception_to_the_leader_and_every_joiner()
    {
        var group = new SingleFlightGroup<string, int>();
        var joins = new JoinCounter<string>(group);
        var thrown = new OperationCanceledException("by itself");
        using var gate = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        int Work()
        {
            started.Set();
            gate.Wait(Bounded.Timeout);
            throw thrown;
        }

        var leader = Task.Run(() => group.Do("k", Work));
        Assert.True(started.Wait(Bounded.Timeout));
        var joiners = Enumerable.Range(0, 3).Select(_ => Task.Run(() => group.Do("k", Work))).ToArray();
        joins.WaitFor(3);
        gate.Set();

        foreach (var call in joiners.Prepend(leader))
        {
            Assert.Same(thrown, await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(call)));
        }
    }

    /// <summary>Cancellable tokens that are never cancelled: they only make the callers take the cancellable paths.</summary>
    private sealed class CancellationTokenSourceList : IDisposable
    {
        private readonly List<CancellationTokenSource> _sources = [];

        public CancellationToken Token(bool cancellable)
        {
            if (!cancellable)
            {
                return default;
            }

            var source = new CancellationTokenSource();
            _sources.Add(source);
            return source.Token;
        }

        public void Dispose() => _sources.ForEach(s => s.Dispose());
    }
}
