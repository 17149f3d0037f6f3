using Microsoft.Extensions.Time.Testing;

namespace SingleFlight.Runtime.Tests;

/// <summary>
/// Review of issue 19's hot path: the entry and kept-value counters behind <see cref="SingleFlightGroup{TKey, TValue}.InFlightCount"/>
/// under every way an entry can leave the map at once (Forget, the deadline, the end of the share window, abandonment,
/// completion at once and later), and the leader that completes at once while <c>Forget</c> already took its flight out.
/// </summary>
public class HotPathReviewTests
{
    [Fact]
    public async Task Counters_stay_exact_when_Forget_deadlines_windows_abandonment_and_completions_race()
    {
        // InFlightCount is clamped at zero, so a leaked kept-value count (or entry count) shows only once flights run
        // again: the check at the end holds K flights open and expects InFlightCount to be exactly K.
        const int Threads = 4;
        const int Calls = 40_000;
        const int Keys = 6;
        var clock = new FakeTimeProvider();
        var group = new SingleFlightGroup<int, int>
        {
            TimeProvider = clock,
            Deadline = TimeSpan.FromMilliseconds(40),
            ShareFor = TimeSpan.FromMilliseconds(15),
        };
        var hung = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var wrong = 0;
        var running = Threads;
        using var start = new Barrier(Threads + 1);

        var callers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(async () =>
        {
            var random = new Random(t * 7919 + 1);
            start.SignalAndWait();
            for (var i = 0; i < Calls; i++)
            {
                var key = random.Next(Keys);
                var kind = random.Next(5);
                using var cts = random.Next(3) == 0 ? new CancellationTokenSource() : null;
                var pending = group.DoAsync(key, (kind, key, hung), static async (s, token) =>
                {
                    switch (s.kind)
                    {
                        case 0:
                            return s.key;
                        case 1:
                            await Task.Yield();
                            return s.key;
                        case 2:
                            throw new InvalidOperationException("fault");
                        default:
                            // Held until the deadline (its token) or the end of the test.
                            return await s.hung.Task.WaitAsync(token).ConfigureAwait(false) + s.key;
                    }
                }, cts?.Token ?? CancellationToken.None);
                if (cts is not null && random.Next(2) == 0)
                {
                    cts.Cancel();
                }

                try
                {
                    if (await Bounded.Wait(pending).ConfigureAwait(false) != key)
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
                catch (InvalidOperationException)
                {
                }
                catch (OperationCanceledException)
                {
                }
                catch (SingleFlightDeadlineExceededException)
                {
                }
            }

            Interlocked.Decrement(ref running);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToArray();

        // One thread moves the clock (deadlines fire, windows end) and forgets keys, running or kept.
        var disturber = Task.Factory.StartNew(() =>
        {
            var random = new Random(42);
            start.SignalAndWait();
            while (Volatile.Read(ref running) > 0)
            {
                if (random.Next(2) == 0)
                {
                    clock.Advance(TimeSpan.FromMilliseconds(random.Next(1, 8)));
                }
                else
                {
                    group.Forget(random.Next(Keys));
                }

                Thread.Yield();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        // A caller that never completes fails its own Bounded.Wait above (15 s per call). The whole run is bounded more
        // loosely: its length grows with the machine's load (1 s alone, 9 s beside two busy loops, over 15 s once in CI
        // next to the other test assemblies), since held calls wait for the disturber to move the clock.
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromMinutes(3));
        await disturber.WaitAsync(TimeSpan.FromMinutes(3));

        // Let every flight still held end at its deadline, every kept value at the end of its window.
        for (var i = 0; i < 10; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(50));
        }

        hung.SetResult(0);
        Bounded.Until(() => group.CountByScan(includeKept: true) == 0, "the group to empty");
        clock.Advance(TimeSpan.FromMilliseconds(50));

        Assert.Equal(0, wrong);
        Assert.Equal(0, group.EntryCount);
        Assert.Equal(0, group.InFlightCount);

        // The counters have not drifted: K flights held open are counted exactly K.
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = Enumerable.Range(0, Keys).Select(k => group.DoAsync(k, _ => new ValueTask<int>(gate.Task))).ToArray();
        Assert.Equal(Keys, group.CountByScan(includeKept: false));
        Assert.Equal(Keys, group.InFlightCount);
        Assert.Equal(Keys, group.EntryCount);
        gate.SetResult(3);
        foreach (var pending in held)
        {
            Assert.Equal(3, await Bounded.Wait(pending));
        }
    }

    [Fact]
    public async Task Keys_in_flight_stay_joinable_while_bursts_grow_and_shrink_the_table_under_them()
    {
        // Resident keys run for the whole test. Other threads start bursts of keys (the table grows), end them (it shrinks
        // back) and call the resident keys all along: a resident flight lost by a resize would run a second time.
        const int Resident = 32;
        const int Churners = 2;
        const int Rounds = 30;
        const int Burst = 3_000;
        var group = new SingleFlightGroup<int, int>();
        var residentGate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var executions = new int[Resident];
        var residents = new ValueTask<int>[Resident];
        for (var i = 0; i < Resident; i++)
        {
            var key = i;
            residents[i] = group.DoAsync(key, _ =>
            {
                Interlocked.Increment(ref executions[key]);
                return new ValueTask<int>(residentGate.Task);
            });
        }

        var shrinks = 0;
        var joined = new List<ValueTask<int>>[Churners + 1];
        using var start = new Barrier(Churners + 1);
        var workers = Enumerable.Range(0, Churners + 1).Select(t => Task.Factory.StartNew(() =>
        {
            var mine = joined[t] = new List<ValueTask<int>>();
            start.SignalAndWait();
            if (t == Churners)
            {
                // The caller of resident keys: joins them while the churners resize the table.
                var random = new Random(5);
                while (Volatile.Read(ref shrinks) < Rounds * Churners)
                {
                    var key = random.Next(Resident);
                    var pending = group.DoAsync(key, _ =>
                    {
                        Interlocked.Increment(ref executions[key]);
                        return new ValueTask<int>(-1);
                    });
                    if (pending.IsCompleted)
                    {
                        mine.Add(pending);
                        break;
                    }

                    if (mine.Count < 10_000)
                    {
                        mine.Add(pending);
                    }
                }

                return;
            }

            for (var round = 0; round < Rounds; round++)
            {
                var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                var burst = new ValueTask<int>[Burst];
                var offset = 1_000_000 * (t + 1) + round * Burst;
                for (var i = 0; i < Burst; i++)
                {
                    burst[i] = group.DoAsync(offset + i, _ => new ValueTask<int>(gate.Task));
                }

                gate.SetResult(1);
                foreach (var pending in burst)
                {
                    pending.AsTask().Wait(Bounded.Timeout);
                }

                Interlocked.Increment(ref shrinks);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        await Bounded.Wait(Task.WhenAll(workers));
        Assert.All(executions, count => Assert.Equal(1, count));
        Assert.Equal(Resident, group.InFlightCount);
        Assert.Equal(Resident, group.CountByScan(includeKept: false));

        residentGate.SetResult(9);
        foreach (var pending in residents.Concat(joined[Churners]))
        {
            Assert.Equal(9, await Bounded.Wait(pending));
        }

        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(SingleFlightGroup<int, int>.InitialBucketCount, group.BucketCount);
    }

    [Fact]
    public async Task A_joiner_of_a_flight_forgotten_during_its_synchronous_work_receives_the_value_the_work_returns_at_once()
    {
        // The leader's work runs synchronously on its own thread. A joiner joins; then Forget takes the flight out of the
        // map; then the work returns at once. The leader's removal finds nothing to remove (the path on which its done
        // flag is ordered before its read of Waited by a fence of its own, not by the removal): the joiner must still
        // receive the value, and a caller after Forget runs a flight of its own.
        var group = new SingleFlightGroup<string, int>();
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var joined = new ManualResetEventSlim();
        group.JoinedHook = _ => joined.Set();

        ValueTask<int> leaderCall = default;
        var leader = new Thread(() => leaderCall = group.DoAsync("k", _ =>
        {
            entered.Set();
            Assert.True(release.Wait(Bounded.Timeout));
            return new ValueTask<int>(1);
        }));
        leader.Start();
        Assert.True(entered.Wait(Bounded.Timeout));

        var joiner = group.DoAsync("k", _ => new ValueTask<int>(-1), new CancellationTokenSource().Token);
        Assert.True(joined.Wait(Bounded.Timeout));
        Assert.True(group.Forget("k"));
        Assert.Equal(0, group.InFlightCount);

        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var next = group.DoAsync("k", _ => new ValueTask<int>(gate.Task));
        Assert.Equal(1, group.InFlightCount);

        release.Set();
        Assert.True(leader.Join(Bounded.Timeout));
        Assert.Equal(1, await Bounded.Wait(leaderCall));
        Assert.Equal(1, await Bounded.Wait(joiner));
        Assert.Equal(1, group.InFlightCount);

        gate.SetResult(2);
        Assert.Equal(2, await Bounded.Wait(next));
        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(0, group.CountByScan(includeKept: true));
    }
}
