using Microsoft.Extensions.Time.Testing;

namespace SingleFlight.Runtime.Tests;

/// <summary>
/// Issue 19: the O(1) <see cref="SingleFlightGroup{TKey, TValue}.InFlightCount"/>, the table that shrinks after a burst,
/// and the synchronous leader that ends its flight without closing it (a joiner then relies on the done flag).
/// Every ordering is made by gates; nothing sleeps.
/// </summary>
public class HotPathTests
{
    [Fact]
    public async Task InFlightCount_is_exact_under_concurrent_starts_joins_forgets_abandonment_and_completion()
    {
        const int Threads = 4;
        const int KeysPerThread = 250;
        const int Keys = Threads * KeysPerThread;
        var group = new SingleFlightGroup<int, int>();
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var leaders = new ValueTask<int>[Keys];
        var tokens = new CancellationTokenSource[Keys];
        using var start = new Barrier(Threads);

        // Leaders on four threads at once, released together by the barrier: every key is in flight afterwards.
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = t * KeysPerThread; i < (t + 1) * KeysPerThread; i++)
            {
                tokens[i] = new CancellationTokenSource();
                leaders[i] = group.DoAsync(i, _ => new ValueTask<int>(gate.Task), tokens[i].Token);
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        Assert.Equal(Keys, group.InFlightCount);
        Assert.Equal(Keys, group.CountByScan(includeKept: false));

        // Joiners change nothing.
        var joiners = Enumerable.Range(0, Keys).Select(i => group.DoAsync(i, _ => throw new InvalidOperationException("joined, never run"))).ToArray();
        Assert.Equal(Keys, group.InFlightCount);

        // Forget detaches 100 flights (they keep running for their callers); their callers stay.
        for (var i = 0; i < 100; i++)
        {
            Assert.True(group.Forget(i));
        }

        Assert.Equal(Keys - 100, group.InFlightCount);
        Assert.Equal(Keys - 100, group.CountByScan(includeKept: false));

        // A flight whose only caller cancels is abandoned: it leaves at once.
        var lone = new CancellationTokenSource();
        var abandoned = group.DoAsync(-1, _ => new ValueTask<int>(gate.Task), lone.Token);
        Assert.Equal(Keys - 99, group.InFlightCount);
        lone.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(abandoned));
        Assert.Equal(Keys - 100, group.InFlightCount);

        gate.SetResult(7);
        foreach (var pending in leaders.Concat(joiners))
        {
            Assert.Equal(7, await Bounded.Wait(pending));
        }

        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(0, group.EntryCount);
        Assert.Equal(0, group.CountByScan(includeKept: true));
    }

    [Fact]
    public async Task InFlightCount_leaves_out_kept_values_and_EntryCount_keeps_them_until_their_window_ends()
    {
        var clock = new FakeTimeProvider();
        var group = new SingleFlightGroup<int, int> { TimeProvider = clock, ShareFor = TimeSpan.FromSeconds(10) };
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = Enumerable.Range(0, 10).Select(i => group.DoAsync(i, _ => new ValueTask<int>(gate.Task))).ToArray();
        for (var i = 10; i < 20; i++)
        {
            Assert.Equal(i, await group.DoAsync(i, k => new ValueTask<int>(i)));
        }

        Assert.Equal(10, group.InFlightCount);
        Assert.Equal(20, group.EntryCount);
        Assert.Equal(10, group.CountByScan(includeKept: false));

        // Forget drops a kept value, and a forgotten running flight is never kept afterwards.
        Assert.True(group.Forget(10));
        Assert.True(group.Forget(0));
        Assert.Equal(9, group.InFlightCount);
        Assert.Equal(18, group.EntryCount);

        gate.SetResult(1);
        foreach (var pending in running)
        {
            Assert.Equal(1, await Bounded.Wait(pending));
        }

        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(18, group.EntryCount);
        Assert.Equal(18, group.CountByScan(includeKept: true));

        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(0, group.EntryCount);
        Assert.Equal(0, group.CountByScan(includeKept: true));
    }

    [Fact]
    public async Task The_table_shrinks_when_most_flights_end_and_the_keys_still_in_flight_stay_joinable()
    {
        const int Keys = 20_000;
        const int Remaining = 50;
        var group = new SingleFlightGroup<int, int>();
        var most = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var few = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var executions = new int[Keys];
        ValueTask<int> Work(int key)
        {
            Interlocked.Increment(ref executions[key]);
            return new ValueTask<int>((key < Remaining ? few : most).Task);
        }

        var leaders = new ValueTask<int>[Keys];
        for (var i = 0; i < Keys; i++)
        {
            var key = i;
            leaders[i] = group.DoAsync(key, _ => Work(key));
        }

        var peak = group.BucketCount;
        Assert.True(peak >= 8_192, $"the table grew to {peak} buckets only");

        most.SetResult(1);
        for (var i = Remaining; i < Keys; i++)
        {
            Assert.Equal(1, await Bounded.Wait(leaders[i]));
        }

        Assert.Equal(Remaining, group.InFlightCount);
        Assert.True(group.BucketCount <= peak / 8, $"{group.BucketCount} buckets left of {peak} for {Remaining} flights");

        // Every key still in flight is found in the smaller table: a new caller joins it instead of running the work.
        var joiners = new ValueTask<int>[Remaining];
        for (var i = 0; i < Remaining; i++)
        {
            var key = i;
            joiners[i] = group.DoAsync(key, _ => Work(key));
            Assert.False(joiners[i].IsCompleted);
        }

        Assert.All(executions.Take(Remaining), count => Assert.Equal(1, count));

        few.SetResult(2);
        for (var i = 0; i < Remaining; i++)
        {
            Assert.Equal(2, await Bounded.Wait(leaders[i]));
            Assert.Equal(2, await Bounded.Wait(joiners[i]));
        }

        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(SingleFlightGroup<int, int>.InitialBucketCount, group.BucketCount);
        Assert.All(executions, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task A_caller_that_found_a_flight_which_then_completed_at_once_never_receives_the_next_flights_value()
    {
        // The caller for key A finds A's flight, and is held before it joins. A's work completes synchronously with no
        // joiner (the case a pool of flights would recycle), and the same thread leads a flight for B, which stays in
        // its work. A naive pool would hand A's flight object to B: the held caller would join B's flight and receive
        // B's value. Without the done check, it would join A's ended flight and wait forever.
        var group = new SingleFlightGroup<string, string>();
        using var inA = new ManualResetEventSlim();
        using var releaseA = new ManualResetEventSlim();
        using var inB = new ManualResetEventSlim();
        using var releaseB = new ManualResetEventSlim();
        using var found = new ManualResetEventSlim();
        using var releaseCaller = new ManualResetEventSlim();
        var executionsOfA = 0;

        ValueTask<string> Blocking(string value, ManualResetEventSlim entered, ManualResetEventSlim release)
        {
            if (value == "a")
            {
                Interlocked.Increment(ref executionsOfA);
            }

            entered.Set();
            Assert.True(release.Wait(Bounded.Timeout));
            return new ValueTask<string>(value);
        }

        Task<string>? b = null;
        var leader = new Thread(() =>
        {
            var a = group.DoAsync("A", _ => Blocking("a", inA, releaseA));
            Assert.Equal("a", a.Result);
            b = group.DoAsync("B", _ => Blocking("b", inB, releaseB)).AsTask();
        });
        leader.Start();
        Assert.True(inA.Wait(Bounded.Timeout));

        group.FoundHook = key =>
        {
            if (key == "A")
            {
                group.FoundHook = null;
                found.Set();
                Assert.True(releaseCaller.Wait(Bounded.Timeout));
            }
        };

        string? callerValue = null;
        var caller = new Thread(() => callerValue = group.DoAsync("A", _ => new ValueTask<string>("a again")).AsTask().Result);
        caller.Start();
        Assert.True(found.Wait(Bounded.Timeout));

        // A completes with nobody joined; B starts and stays in its work.
        releaseA.Set();
        Assert.True(inB.Wait(Bounded.Timeout));

        releaseCaller.Set();
        Assert.True(caller.Join(Bounded.Timeout));
        Assert.Equal("a again", callerValue);
        Assert.Equal(1, executionsOfA);

        releaseB.Set();
        Assert.True(leader.Join(Bounded.Timeout));
        Assert.Equal("b", await Bounded.Wait(b!));
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task Callers_racing_with_leaders_whose_work_completes_at_once_always_receive_their_own_keys_value()
    {
        // Many short flights over few keys on all cores: joiners arrive while leaders end their flights without closing
        // them (SucceedAtOnce). Every caller must receive its own key's value, and nothing is left in the group.
        const int Threads = 4;
        const int Calls = 50_000;
        var group = new SingleFlightGroup<int, int>();
        using var start = new Barrier(Threads);
        var failures = 0;
        var workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(async () =>
        {
            start.SignalAndWait();
            for (var i = 0; i < Calls; i++)
            {
                var key = (i + t) % 3;
                var token = (i & 1) == 0 ? CancellationToken.None : new CancellationTokenSource().Token;
                var value = await group.DoAsync(key, key, static (k, _) => new ValueTask<int>(k * 1000), token).ConfigureAwait(false);
                if (value != key * 1000)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToArray();

        await Bounded.Wait(Task.WhenAll(workers));
        Assert.Equal(0, failures);
        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(0, group.CountByScan(includeKept: true));
    }
}
