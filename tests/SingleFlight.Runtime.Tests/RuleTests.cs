using System.Diagnostics;

namespace SingleFlight.Runtime.Tests;

/// <summary>One or more tests per rule of the runtime semantics (SPEC.md §3).</summary>
public class RuleTests
{
    // Rule 1: at most one live execution per key; different keys never wait for each other.

    [Fact]
    public async Task Rule1_concurrent_callers_with_equal_keys_share_one_execution()
    {
        var group = new SingleFlightGroup<int, int>();
        var joins = new JoinCounter<int>(group);
        var work = new GatedWork<int>();

        var calls = Enumerable.Range(0, 100).Select(_ => Task.Run(() => group.DoAsync(1, work.RunAsync).AsTask())).ToArray();
        joins.WaitFor(99);
        work.Gate.SetResult(5);

        Assert.All(await Bounded.Wait(Task.WhenAll(calls)), v => Assert.Equal(5, v));
        Assert.Equal(1, work.Executions);
    }

    [Fact]
    public async Task Rule1_different_keys_do_not_wait_for_each_other()
    {
        var group = new SingleFlightGroup<int, int>();
        var blocked = new GatedWork<int>();

        var slow = group.DoAsync(1, blocked.RunAsync);
        await Bounded.Wait(blocked.Started);

        var other = await Bounded.Wait(group.DoAsync(2, _ => new ValueTask<int>(2)));
        var blocking = group.Do(3, () => 3);

        Assert.Equal(2, other);
        Assert.Equal(3, blocking);
        Assert.False(slow.IsCompleted);
        Assert.Equal(1, group.InFlightCount);

        blocked.Gate.SetResult(1);
        Assert.Equal(1, await Bounded.Wait(slow));
    }

    // Rule 2: no caching; a finished flight leaves the map at once.

    [Fact]
    public async Task Rule2_sequential_calls_each_execute()
    {
        var group = new SingleFlightGroup<string, int>();
        var executions = 0;

        for (var i = 1; i <= 3; i++)
        {
            var value = await group.DoAsync("k", _ => new ValueTask<int>(Interlocked.Increment(ref executions)));
            Assert.Equal(i, value);
            Assert.Equal(0, group.InFlightCount);
        }

        for (var i = 4; i <= 6; i++)
        {
            Assert.Equal(i, group.Do("k", () => Interlocked.Increment(ref executions)));
            Assert.Equal(0, group.InFlightCount);
        }
    }

    [Fact]
    public async Task Rule2_an_asynchronous_flight_leaves_the_map_before_its_callers_resume()
    {
        var group = new SingleFlightGroup<string, int>();
        var work = new GatedWork<int>();

        var leader = group.DoAsync("k", work.RunAsync);
        var joiner = group.DoAsync("k", work.RunAsync);
        Assert.Equal(1, group.InFlightCount);

        work.Gate.SetResult(1);
        await Bounded.Wait(leader);
        Assert.Equal(0, group.InFlightCount);
        await Bounded.Wait(joiner);
        Assert.Equal(0, group.InFlightCount);

        var again = await Bounded.Wait(group.DoAsync("k", _ => new ValueTask<int>(2)));
        Assert.Equal(2, again);
    }

    [Fact]
    public async Task Rule2_faulted_and_cancelled_flights_leave_the_map()
    {
        var group = new SingleFlightGroup<string, int>();

        await Assert.ThrowsAsync<InvalidOperationException>(
            () => group.DoAsync("k", async _ => { await Task.Yield(); throw new InvalidOperationException(); }).AsTask());
        Assert.Equal(0, group.InFlightCount);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => group.DoAsync("k", async _ => { await Task.Yield(); throw new OperationCanceledException(); }).AsTask());
        Assert.Equal(0, group.InFlightCount);

        Assert.Throws<InvalidOperationException>(() => group.Do("k", () => throw new InvalidOperationException()));
        Assert.Equal(0, group.InFlightCount);
    }

    // Rule 3: exceptions are shared, with their stack trace, and not cached.

    [Fact]
    public async Task Rule3_every_caller_gets_the_same_exception_with_its_original_stack_trace()
    {
        var group = new SingleFlightGroup<string, int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var calls = Enumerable.Range(0, 4).Select(_ => group.DoAsync("k", ct => ThrowsAfterGate(gate.Task)).AsTask()).ToArray();
        gate.SetResult();

        foreach (var call in calls)
        {
            var error = await Assert.ThrowsAsync<FormatException>(() => Bounded.Wait(call));
            Assert.Contains(nameof(ThrowsAfterGate), error.StackTrace);
        }

        Assert.Equal(9, await group.DoAsync("k", _ => new ValueTask<int>(9)));
    }

    [Fact]
    public void Rule3_blocking_joiners_get_the_leaders_exception()
    {
        var group = new SingleFlightGroup<string, int>();
        var joins = new JoinCounter<string>(group);
        using var gate = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var errors = new Exception?[4];

        var threads = new Thread[4];
        threads[0] = new Thread(() => errors[0] = Record(() => group.Do("k", () =>
        {
            started.Set();
            gate.Wait();
            throw new FormatException("shared");
        })));
        threads[0].Start();
        Assert.True(started.Wait(Bounded.Timeout));
        for (var i = 1; i < threads.Length; i++)
        {
            var slot = i;
            threads[i] = new Thread(() => errors[slot] = Record(() => group.Do("k", () => 0)));
            threads[i].Start();
        }

        joins.WaitFor(3);
        gate.Set();
        Assert.All(threads, t => Assert.True(t.Join(Bounded.Timeout)));

        Assert.IsType<FormatException>(errors[0]);
        Assert.All(errors, e => Assert.Same(errors[0], e));
        Assert.Equal(0, group.InFlightCount);

        static Exception? Record(Action action)
        {
            try
            {
                action();
                return null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        }
    }

    // Rule 4: cancellation is per caller; the work's token is cancelled only when every caller left.

    [Fact]
    public async Task Rule4_a_joiner_that_cancels_leaves_alone_and_the_work_goes_on()
    {
        var group = new SingleFlightGroup<string, int>();
        var work = new GatedWork<int>();
        using var leaderCts = new CancellationTokenSource();
        using var joinerCts = new CancellationTokenSource();

        var leader = group.DoAsync("k", work.RunAsync, leaderCts.Token);
        var joiner = group.DoAsync("k", work.RunAsync, joinerCts.Token);
        var other = group.DoAsync("k", work.RunAsync);

        joinerCts.Cancel();
        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(joiner));
        Assert.Equal(joinerCts.Token, cancelled.CancellationToken);
        Assert.False(work.LastToken.IsCancellationRequested);

        work.Gate.SetResult(8);
        Assert.Equal(8, await Bounded.Wait(leader));
        Assert.Equal(8, await Bounded.Wait(other));
        Assert.False(work.LastToken.IsCancellationRequested);
        Assert.Equal(1, work.Executions);
    }

    [Fact]
    public async Task Rule4_a_leader_that_cancels_leaves_alone_and_joiners_still_get_the_value()
    {
        var group = new SingleFlightGroup<string, int>();
        var work = new GatedWork<int>();
        using var leaderCts = new CancellationTokenSource();
        using var joinerCts = new CancellationTokenSource();

        var leader = group.DoAsync("k", work.RunAsync, leaderCts.Token);
        var joiner = group.DoAsync("k", work.RunAsync, joinerCts.Token);

        leaderCts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(leader));
        Assert.False(work.LastToken.IsCancellationRequested);
        Assert.Equal(1, group.InFlightCount);

        work.Gate.SetResult(4);
        Assert.Equal(4, await Bounded.Wait(joiner));
        Assert.False(work.LastToken.IsCancellationRequested);
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task Rule4_when_every_caller_cancels_the_work_is_cancelled_and_the_key_is_free()
    {
        var group = new SingleFlightGroup<string, int>();
        var workCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var executions = 0;

        async ValueTask<int> Work(CancellationToken ct)
        {
            var n = Interlocked.Increment(ref executions);
            if (n == 1)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                finally
                {
                    if (ct.IsCancellationRequested)
                    {
                        workCancelled.TrySetResult();
                    }
                }
            }

            return n;
        }

        using var a = new CancellationTokenSource();
        using var b = new CancellationTokenSource();
        var first = group.DoAsync("k", Work, a.Token);
        var second = group.DoAsync("k", Work, b.Token);

        a.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(first));
        Assert.False(workCancelled.Task.IsCompleted);
        Assert.Equal(1, group.InFlightCount);

        b.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(second));
        await Bounded.Wait(workCancelled.Task);
        Assert.Equal(0, group.InFlightCount);

        Assert.Equal(2, await Bounded.Wait(group.DoAsync("k", Work)));
        Assert.Equal(2, executions);
    }

    [Fact]
    public async Task Rule4_a_new_caller_after_abandonment_starts_a_new_flight_while_the_old_work_winds_down()
    {
        var group = new SingleFlightGroup<string, int>();
        var oldWorkMayFinish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var oldWorkSawCancel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        using var cts = new CancellationTokenSource();
        var abandoned = group.DoAsync("k", async ct =>
        {
            ct.Register(() => oldWorkSawCancel.TrySetResult());
            await oldWorkMayFinish.Task;
            return 1;
        }, cts.Token);

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(abandoned));
        await Bounded.Wait(oldWorkSawCancel.Task);

        var fresh = new GatedWork<int>();
        var next = group.DoAsync("k", fresh.RunAsync);
        Assert.Equal(1, fresh.Executions);

        // The old work finishing late must not take the new flight out of the map or complete it.
        oldWorkMayFinish.SetResult();
        await Task.Yield();
        Assert.Equal(1, group.InFlightCount);
        Assert.False(next.IsCompleted);

        fresh.Gate.SetResult(2);
        Assert.Equal(2, await Bounded.Wait(next));
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task Rule4_a_caller_that_cannot_cancel_keeps_the_work_alive()
    {
        var group = new SingleFlightGroup<string, int>();
        var work = new GatedWork<int>();
        using var cts = new CancellationTokenSource();

        var pinned = group.DoAsync("k", work.RunAsync);
        var joiner = group.DoAsync("k", work.RunAsync, cts.Token);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(joiner));
        Assert.False(work.LastToken.CanBeCanceled && work.LastToken.IsCancellationRequested);

        work.Gate.SetResult(6);
        Assert.Equal(6, await Bounded.Wait(pinned));
    }

    [Fact]
    public async Task Rule4_an_already_cancelled_token_never_starts_the_work()
    {
        var group = new SingleFlightGroup<string, int>();
        var executions = 0;

        var call = group.DoAsync("k", _ => new ValueTask<int>(++executions), new CancellationToken(canceled: true));

        Assert.True(call.IsCanceled);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.AsTask());
        Assert.Equal(0, executions);
        Assert.Equal(0, group.InFlightCount);
    }

    // Rule 5: the work runs outside any lock; a synchronous throw is handled like an asynchronous one.

    [Fact]
    public async Task Rule5_the_group_stays_usable_while_work_runs()
    {
        var group = new SingleFlightGroup<string, int>();
        var inside = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        var outer = group.DoAsync("outer", _ =>
        {
            // From inside the work, on the same thread: other keys, the count and Forget all work.
            var nested = group.Do("nested", () => 11);
            Assert.Equal(1, group.InFlightCount);
            var otherThread = 0;
            var thread = new Thread(() => otherThread = group.Do("other", () => 12));
            thread.Start();
            Assert.True(thread.Join(Bounded.Timeout));
            inside.SetResult(nested + otherThread);
            return new ValueTask<int>(inside.Task);
        });

        Assert.Equal(23, await Bounded.Wait(outer));
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task Rule5_a_synchronous_throw_is_returned_in_the_task_and_shared()
    {
        var group = new SingleFlightGroup<string, int>();
        var executions = 0;

        ValueTask<int> Throws(CancellationToken ct)
        {
            Interlocked.Increment(ref executions);
            throw new ArithmeticException("sync");
        }

        var call = group.DoAsync("k", Throws);
        Assert.True(call.IsFaulted);
        var error = await Assert.ThrowsAsync<ArithmeticException>(() => call.AsTask());
        Assert.Contains(nameof(Throws), error.StackTrace);
        Assert.Equal(0, group.InFlightCount);

        await Assert.ThrowsAsync<ArithmeticException>(() => group.DoAsync("k", Throws).AsTask());
        Assert.Equal(2, executions);
    }

    // Rule 6: execution context flows from the leader into the work.

    private static readonly AsyncLocal<string?> Ambient = new();

    [Fact]
    public async Task Rule6_async_local_and_activity_flow_into_the_work()
    {
        var group = new SingleFlightGroup<string, string>();
        using var activity = new Activity("leader").Start();
        Ambient.Value = "from-leader";

        var seen = await group.DoAsync("k", async _ =>
        {
            await Task.Yield();
            return $"{Ambient.Value}|{Activity.Current?.Id}";
        });

        Assert.Equal($"from-leader|{activity.Id}", seen);
        Assert.Equal("from-leader", group.Do("k2", () => Ambient.Value));
    }

    // Rule 7: a same-key reentrant call fails fast.

    [Fact]
    public async Task Rule7_a_same_key_call_from_inside_async_work_fails_fast()
    {
        var group = new SingleFlightGroup<string, int>();

        var call = group.DoAsync("k", async ct => await group.DoAsync("k", _ => new ValueTask<int>(1), ct));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(call));
        Assert.Contains("'k'", error.Message);
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task Rule7_a_same_key_call_from_inside_blocking_work_fails_fast()
    {
        var group = new SingleFlightGroup<string, int>();

        // On its own thread, so that a regression hangs that thread and fails the bounded wait, not the run.
        var reentrant = Task.Factory.StartNew(
            () => group.Do("k", () => group.Do("k", () => 1)),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(reentrant));

        Assert.Contains("'k'", error.Message);
        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(2, group.Do("k", () => group.Do("other", () => 2)));
    }

    // Rule 8 and the blocking path under many threads.

    [Fact]
    public void Rule8_blocking_do_under_many_threads_runs_once()
    {
        const int threads = 32;
        var group = new SingleFlightGroup<int, int>();
        var joins = new JoinCounter<int>(group);
        using var gate = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var executions = 0;

        int Work()
        {
            Interlocked.Increment(ref executions);
            started.Set();
            Assert.True(gate.Wait(Bounded.Timeout));
            return 99;
        }

        var leader = new Thread(() => group.Do(7, Work));
        leader.Start();
        Assert.True(started.Wait(Bounded.Timeout));

        var results = new int[threads];
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() => results[i] = group.Do(7, Work))).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        joins.WaitFor(threads);
        gate.Set();
        foreach (var worker in workers.Append(leader))
        {
            Assert.True(worker.Join(Bounded.Timeout));
        }

        Assert.Equal(1, executions);
        Assert.All(results, r => Assert.Equal(99, r));
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task Rule8_in_flight_count_returns_to_zero_after_many_keys()
    {
        var group = new SingleFlightGroup<int, int>();
        var gates = Enumerable.Range(0, 50).Select(_ => new GatedWork<int>()).ToArray();

        var calls = gates.Select((g, i) => group.DoAsync(i, g.RunAsync).AsTask()).ToArray();
        Assert.Equal(50, group.InFlightCount);

        for (var i = 0; i < gates.Length; i++)
        {
            gates[i].Gate.SetResult(i);
        }

        Assert.Equal(Enumerable.Range(0, 50), await Bounded.Wait(Task.WhenAll(calls)));
        Assert.Equal(0, group.InFlightCount);
    }

    private static async ValueTask<int> ThrowsAfterGate(Task gate)
    {
        await gate;
        throw new FormatException("shared failure");
    }
}
