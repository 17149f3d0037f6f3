namespace SingleFlight.Runtime.Tests;

/// <summary>Regressions found by reviewing the lock-free runtime: each failed (crash, wedge or hang) before its fix.</summary>
public class ReviewRegressionTests
{
    [Fact]
    public async Task A_leaders_value_task_used_twice_neither_breaks_it_nor_wedges_the_key()
    {
        var group = new SingleFlightGroup<int, int>();
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        var leader = group.DoAsync(1, gate, static (g, _) => new ValueTask<int>(g.Task));
        var first = leader.AsTask();
        var second = leader.AsTask();
        gate.SetResult(5);

        Assert.Equal(5, await Bounded.Wait(first));
        Assert.Equal(5, await Bounded.Wait(second));
        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(9, await Bounded.Wait(group.DoAsync(1, 0, static (_, _) => new ValueTask<int>(9))));
    }

    [Fact]
    public void Finishing_the_work_never_waits_for_a_cancellation_callback_running_elsewhere()
    {
        // T2 finishes the work while holding a lock; T1 cancels the last caller at the same moment, which
        // cancels the work's token, whose callback needs that lock. The thread finishing the work must not
        // wait for T1's callback, or the two threads deadlock.
        var group = new SingleFlightGroup<int, int>();
        var gate = new object();
        var inner = new TaskCompletionSource<int>(); // inline continuations, as many I/O libraries complete
        using var callbackEntered = new ManualResetEventSlim();
        using var t2HoldsLock = new ManualResetEventSlim();
        using var leaderCts = new CancellationTokenSource();
        using var joinerCts = new CancellationTokenSource();

        async ValueTask<int> Work(CancellationToken ct)
        {
            ct.Register(() =>
            {
                callbackEntered.Set();
                lock (gate)
                {
                    inner.TrySetCanceled();
                }
            });
            return await inner.Task.ConfigureAwait(false);
        }

        var leader = group.DoAsync(7, Work, leaderCts.Token).AsTask();
        var joiner = group.DoAsync(7, Work, joinerCts.Token).AsTask();
        leaderCts.Cancel();
        Assert.True(leader.IsCanceled);

        var t2 = new Thread(() =>
        {
            lock (gate)
            {
                t2HoldsLock.Set();
                callbackEntered.Wait(Bounded.Timeout);
                inner.TrySetResult(1);
            }
        }) { IsBackground = true };
        var t1 = new Thread(() =>
        {
            t2HoldsLock.Wait(Bounded.Timeout);
            joinerCts.Cancel();
        }) { IsBackground = true };
        t2.Start();
        t1.Start();

        Assert.True(t1.Join(Bounded.Timeout) & t2.Join(Bounded.Timeout), "the two threads deadlocked");
        Assert.True(joiner.IsCompleted);
    }
}
