using Microsoft.Extensions.Time.Testing;

namespace SingleFlight.Runtime.Tests;

/// <summary>
/// The deadline and the share window (docs/semantics.md, rules 10 and 11), on a virtual clock: time moves only when a
/// test advances the <see cref="FakeTimeProvider"/>, whose timers fire inside <c>Advance</c>.
/// </summary>
public sealed class LifetimeTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static SingleFlightGroup<int, int> Group(FakeTimeProvider clock, TimeSpan? deadline = null, TimeSpan? shareFor = null)
        => new() { Name = "lifetime-tests", TimeProvider = clock, Deadline = deadline, ShareFor = shareFor };

    // ---- Deadline ----

    [Fact]
    public async Task A_hung_flight_frees_its_key_at_the_deadline_and_the_next_callers_fresh_flight_completes()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, deadline: 5 * Second);
        var joins = new JoinCounter<int>(group);
        var hung = new GatedWork<int>();
        using var cts = new CancellationTokenSource();

        var leader = group.DoAsync(42, hung.RunAsync);
        var joiner = group.DoAsync(42, hung.RunAsync, cts.Token);
        await Bounded.Wait(hung.Started);
        joins.WaitFor(1);

        clock.Advance(5 * Second - TimeSpan.FromTicks(1));
        Assert.False(leader.IsCompleted);
        Assert.Equal(1, group.InFlightCount);

        clock.Advance(TimeSpan.FromTicks(1));
        var leaderError = await Assert.ThrowsAsync<SingleFlightDeadlineExceededException>(() => Bounded.Wait(leader));
        var joinerError = await Assert.ThrowsAsync<SingleFlightDeadlineExceededException>(() => Bounded.Wait(joiner));
        Assert.Same(leaderError, joinerError);
        Assert.IsAssignableFrom<TimeoutException>(leaderError);
        Assert.Equal("lifetime-tests", leaderError.Operation);
        Assert.Equal(5 * Second, leaderError.Deadline);
        Assert.Contains("lifetime-tests", leaderError.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("42", leaderError.Message, StringComparison.Ordinal);
        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(0, group.EntryCount);

        // Nobody waits for the hung work any more: its token is cancelled.
        Assert.True(hung.LastToken.IsCancellationRequested);

        var fresh = new GatedWork<int>();
        var next = group.DoAsync(42, fresh.RunAsync);
        await Bounded.Wait(fresh.Started);
        fresh.Gate.SetResult(7);
        Assert.Equal(7, await Bounded.Wait(next));
        Assert.Equal(1, fresh.Executions);

        // The old work ending late touches nothing.
        hung.Gate.SetResult(1);
        Assert.Equal(0, group.EntryCount);
    }

    [Fact]
    public async Task The_work_token_is_cancelled_at_the_deadline_even_when_no_caller_could_cancel()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, deadline: Second);
        var hung = new GatedWork<int>();

        var leader = group.DoAsync(1, hung.RunAsync, CancellationToken.None);
        await Bounded.Wait(hung.Started);
        Assert.True(hung.LastToken.CanBeCanceled);
        Assert.False(hung.LastToken.IsCancellationRequested);

        clock.Advance(Second);
        await Assert.ThrowsAsync<SingleFlightDeadlineExceededException>(() => Bounded.Wait(leader));
        Assert.True(hung.LastToken.IsCancellationRequested);
    }

    [Fact]
    public async Task A_flight_that_ends_before_its_deadline_is_not_touched_by_it()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, deadline: Second);
        var work = new GatedWork<int>();

        var leader = group.DoAsync(1, work.RunAsync);
        await Bounded.Wait(work.Started);
        work.Gate.SetResult(3);
        Assert.Equal(3, await Bounded.Wait(leader));

        clock.Advance(10 * Second);
        Assert.False(work.LastToken.IsCancellationRequested);
        Assert.Equal(0, group.EntryCount);
        Assert.Equal(4, await Bounded.Wait(group.DoAsync(1, _ => new ValueTask<int>(4))));
    }

    [Fact]
    public async Task Work_that_fails_after_its_deadline_changes_nothing_for_the_callers()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, deadline: Second);
        var hung = new GatedWork<int>();

        var leader = group.DoWithResultAsync(1, hung, static (w, ct) => w.RunAsync(ct));
        await Bounded.Wait(hung.Started);
        clock.Advance(Second);
        var error = await Assert.ThrowsAsync<SingleFlightDeadlineExceededException>(() => Bounded.Wait(leader));

        hung.Gate.SetException(new InvalidOperationException("late"));
        Assert.Same(error, await Assert.ThrowsAsync<SingleFlightDeadlineExceededException>(() => Bounded.Wait(leader)));
        Assert.Equal(TaskStatus.Faulted, leader.AsTask().Status);
    }

    [Fact]
    public void A_blocking_flight_releases_its_joiners_at_the_deadline_and_its_leader_gets_the_same_exception()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, deadline: Second);
        var joins = new JoinCounter<int>(group);
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var executions = 0;
        int Work()
        {
            Interlocked.Increment(ref executions);
            started.Set();
            release.Wait(Bounded.Timeout);
            return 1;
        }

        var leader = Task.Factory.StartNew(() => group.Do(9, Work), TaskCreationOptions.LongRunning);
        Assert.True(started.Wait(Bounded.Timeout));
        var joiner = Task.Factory.StartNew(() => group.Do(9, Work), TaskCreationOptions.LongRunning);
        joins.WaitFor(1);

        clock.Advance(Second);
        var joinerError = Assert.Throws<AggregateException>(() => joiner.Wait(Bounded.Timeout)).InnerException;
        Assert.IsType<SingleFlightDeadlineExceededException>(joinerError);
        Assert.Equal(0, group.EntryCount);

        // A fresh flight for the key runs while the old leader's thread is still busy.
        Assert.Equal(2, group.Do(9, () => 2));

        release.Set();
        var leaderError = Assert.Throws<AggregateException>(() => leader.Wait(Bounded.Timeout)).InnerException;
        Assert.Same(joinerError, leaderError);
        Assert.Equal(1, executions);
    }

    // ---- Share window ----

    [Fact]
    public async Task Callers_within_the_share_window_run_the_work_zero_more_times_and_the_entry_leaves_when_it_ends()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, shareFor: 2 * Second);
        var executions = 0;
        ValueTask<int> Work(CancellationToken _) => new(Interlocked.Increment(ref executions) * 10);

        Assert.Equal(10, await Bounded.Wait(group.DoAsync(5, Work)));
        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(1, group.EntryCount);

        clock.Advance(2 * Second - TimeSpan.FromTicks(1));
        for (var i = 0; i < 20; i++)
        {
            var result = await Bounded.Wait(group.DoWithResultAsync(5, 0, (_, ct) => Work(ct)));
            Assert.Equal(10, result.Value);
            Assert.True(result.Shared);
            Assert.Equal(10, group.Do(5, () => Interlocked.Increment(ref executions) * 10));
        }

        Assert.Equal(1, executions);

        // The window ends with nobody calling: the entry is gone.
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(0, group.EntryCount);
        Assert.Equal(20, await Bounded.Wait(group.DoAsync(5, Work)));
        Assert.Equal(2, executions);
    }

    [Fact]
    public async Task A_value_from_an_asynchronous_flight_is_kept_for_joiners_and_later_callers_alike()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, shareFor: Second);
        var joins = new JoinCounter<int>(group);
        var work = new GatedWork<int>();
        using var cts = new CancellationTokenSource();

        var leader = group.DoAsync(1, work.RunAsync, cts.Token);
        var joiner = group.DoAsync(1, work.RunAsync, cts.Token);
        joins.WaitFor(1);
        work.Gate.SetResult(8);
        Assert.Equal(8, await Bounded.Wait(leader));
        Assert.Equal(8, await Bounded.Wait(joiner));

        var later = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => group.DoAsync(1, work.RunAsync).AsTask())));
        Assert.All(later, v => Assert.Equal(8, v));
        Assert.Equal(1, work.Executions);

        clock.Advance(Second);
        Assert.Equal(0, group.EntryCount);
    }

    [Fact]
    public async Task Faults_are_never_kept_past_completion()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, shareFor: 10 * Second);
        var executions = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(group.DoAsync(1, _ =>
        {
            Interlocked.Increment(ref executions);
            return new ValueTask<int>(Task.FromException<int>(new InvalidOperationException("boom")));
        })));
        Assert.Equal(0, group.EntryCount);
        Assert.Throws<InvalidOperationException>(() => group.Do(1, () =>
        {
            Interlocked.Increment(ref executions);
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal(0, group.EntryCount);

        Assert.Equal(5, await Bounded.Wait(group.DoAsync(1, _ => new ValueTask<int>(5))));
        Assert.Equal(2, executions);
    }

    [Fact]
    public async Task An_abandoned_flight_is_not_kept_even_when_its_work_later_succeeds()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, shareFor: 10 * Second);
        var work = new GatedWork<int>();
        using var cts = new CancellationTokenSource();

        var only = group.DoAsync(1, work.RunAsync, cts.Token);
        await Bounded.Wait(work.Started);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(only));

        work.Gate.SetResult(1);
        Assert.Equal(0, group.EntryCount);
        Assert.Equal(2, await Bounded.Wait(group.DoAsync(1, _ => new ValueTask<int>(2))));
    }

    [Fact]
    public async Task Forget_drops_a_kept_value()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, shareFor: 10 * Second);
        Assert.Equal(1, await Bounded.Wait(group.DoAsync(1, _ => new ValueTask<int>(1))));

        Assert.True(group.Forget(1));
        Assert.Equal(0, group.EntryCount);
        Assert.Equal(2, await Bounded.Wait(group.DoAsync(1, _ => new ValueTask<int>(2))));
    }

    [Fact]
    public async Task With_a_deadline_and_a_window_a_value_in_time_is_kept_and_the_deadline_never_fires()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, deadline: 3 * Second, shareFor: 5 * Second);
        var work = new GatedWork<int>();

        var leader = group.DoAsync(1, work.RunAsync);
        await Bounded.Wait(work.Started);
        clock.Advance(2 * Second);
        work.Gate.SetResult(6);
        Assert.Equal(6, await Bounded.Wait(leader));

        // Past the deadline's time, within the window (5 s from completion).
        clock.Advance(2 * Second);
        Assert.Equal(6, await Bounded.Wait(group.DoAsync(1, _ => new ValueTask<int>(-1))));
        Assert.False(work.LastToken.IsCancellationRequested);

        clock.Advance(3 * Second);
        Assert.Equal(0, group.EntryCount);
        Assert.Equal(-1, await Bounded.Wait(group.DoAsync(1, _ => new ValueTask<int>(-1))));
    }

    [Fact]
    public async Task A_flight_that_outlives_its_deadline_is_not_kept()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, deadline: Second, shareFor: 10 * Second);
        var hung = new GatedWork<int>();

        var leader = group.DoAsync(1, hung.RunAsync);
        await Bounded.Wait(hung.Started);
        clock.Advance(Second);
        await Assert.ThrowsAsync<SingleFlightDeadlineExceededException>(() => Bounded.Wait(leader));
        hung.Gate.SetResult(1);

        Assert.Equal(0, group.EntryCount);
        Assert.Equal(2, await Bounded.Wait(group.DoAsync(1, _ => new ValueTask<int>(2))));
    }

    [Fact]
    public async Task Many_keys_kept_for_a_window_all_leave_when_it_ends()
    {
        var clock = new FakeTimeProvider();
        var group = Group(clock, shareFor: Second);
        for (var key = 0; key < 200; key++)
        {
            Assert.Equal(key, await Bounded.Wait(group.DoAsync(key, key, static (k, _) => new ValueTask<int>(k))));
        }

        Assert.Equal(200, group.EntryCount);
        Assert.Equal(0, group.InFlightCount);
        clock.Advance(Second);
        Assert.Equal(0, group.EntryCount);
    }

    // ---- Options ----

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData((long)int.MaxValue + 1)]
    public void Options_outside_their_range_are_refused(long milliseconds)
    {
        var group = new SingleFlightGroup<int, int>();
        var value = TimeSpan.FromMilliseconds(milliseconds);
        Assert.Throws<ArgumentOutOfRangeException>(() => group.Deadline = value);
        Assert.Throws<ArgumentOutOfRangeException>(() => group.ShareFor = value);
        Assert.Throws<ArgumentNullException>(() => group.TimeProvider = null!);
        Assert.Null(group.Deadline);
        Assert.Null(group.ShareFor);
        Assert.Same(TimeProvider.System, group.TimeProvider);

        group.Deadline = SingleFlightGroup<int, int>.MaxLifetimeOption;
        group.Deadline = null;
        Assert.Null(group.Deadline);
    }

    [Fact]
    public async Task Without_options_the_group_never_reads_its_clock()
    {
        var group = new SingleFlightGroup<int, int> { TimeProvider = new UnusableClock() };
        var work = new GatedWork<int>();
        var leader = group.DoAsync(1, work.RunAsync);
        var joiner = group.DoAsync(1, work.RunAsync);
        work.Gate.SetResult(1);
        Assert.Equal(1, await Bounded.Wait(leader));
        Assert.Equal(1, await Bounded.Wait(joiner));
        Assert.Equal(2, group.Do(1, () => 2));
        Assert.Equal(0, group.EntryCount);

        // Turning an option on and off again leaves the group as it was.
        group.ShareFor = Second;
        group.ShareFor = null;
        Assert.Equal(3, group.Do(1, () => 3));
    }

    private sealed class UnusableClock : TimeProvider
    {
        public override long GetTimestamp() => throw new InvalidOperationException("read the clock");

        public override DateTimeOffset GetUtcNow() => throw new InvalidOperationException("read the clock");

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
            => throw new InvalidOperationException("created a timer");
    }
}

/// <summary>
/// The table under random load with the options on, the clock advanced by a thread of its own so that windows end and
/// deadlines pass while callers race.
/// </summary>
public sealed class LifetimeStressTests
{
    private const int Keys = 64;

    [Fact]
    public async Task With_a_share_window_two_executions_of_a_key_never_overlap_and_the_group_ends_empty()
    {
        var clock = new FakeTimeProvider();
        var group = new SingleFlightGroup<int, int> { TimeProvider = clock, ShareFor = TimeSpan.FromMilliseconds(20) };
        var (calls, violations) = await RunAsync(group, clock, modes: 3, forget: false);

        Assert.True(calls > 1_000, $"only {calls} calls");
        Assert.Equal(0, violations);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, group.EntryCount);
    }

    /// <summary>
    /// With deadlines and Forget, a detached flight may still be winding down when the next one starts (rule 1's
    /// exception), so overlap is allowed here: what must hold is that every caller gets its key's value, a fault or the
    /// deadline, nobody hangs, and nothing is left once every deadline and window has passed.
    /// </summary>
    [Fact]
    public async Task With_deadlines_windows_and_Forget_every_call_ends_and_the_group_ends_empty()
    {
        var clock = new FakeTimeProvider();
        var group = new SingleFlightGroup<int, int>
        {
            TimeProvider = clock,
            Deadline = TimeSpan.FromMilliseconds(50),
            ShareFor = TimeSpan.FromMilliseconds(20),
        };
        var (calls, _) = await RunAsync(group, clock, modes: 4, forget: true);

        // A quarter of the calls hang until the ticker has moved the clock past their deadline (8 ticks), and a loaded
        // machine makes that slow: no throughput is asked of this test, only that every call ended.
        Assert.True(calls > 0, "no calls");
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(0, group.EntryCount);
    }

    private static async Task<(int Calls, int Violations)> RunAsync(SingleFlightGroup<int, int> group, FakeTimeProvider clock, int modes, bool forget)
    {
        var live = new int[Keys];
        var violations = 0;
        var calls = 0;
        using var stop = new CancellationTokenSource();
        var tickerErrors = new System.Collections.Concurrent.ConcurrentQueue<string>();

        async ValueTask<int> Work(int key, int mode, CancellationToken token)
        {
            if (Interlocked.Increment(ref live[key]) != 1)
            {
                Interlocked.Increment(ref violations);
            }

            try
            {
                switch (mode)
                {
                    case 0:
                        return key + 1;
                    case 1:
                        await Task.Yield();
                        return key + 1;
                    case 2:
                        throw new InvalidOperationException("fault");
                    default:
                        // Hangs until its deadline cancels its token.
                        await Task.Delay(Timeout.Infinite, token);
                        return -1;
                }
            }
            finally
            {
                Interlocked.Decrement(ref live[key]);
            }
        }

        // On a thread of its own: on a loaded machine a ticker on the thread pool waits behind the workers, and calls
        // that hang until their deadline wait with it. The pause only paces the clock; no ordering depends on it.
        var ticker = Task.Factory.StartNew(
            () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        clock.Advance(TimeSpan.FromMilliseconds(7));
                    }
                    catch (Exception ex)
                    {
                        tickerErrors.Enqueue(ex.ToString());
                    }

                    Thread.Sleep(1);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        var current = new string?[4];
        var workers = Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(1.5);
            while (DateTime.UtcNow < until)
            {
                var key = random.Next(Keys);
                var mode = random.Next(modes);
                current[worker] = $"key {key} mode {mode} at {clock.GetUtcNow():HH:mm:ss.fff}";
                Interlocked.Increment(ref calls);
                if (forget && random.Next(50) == 0)
                {
                    group.Forget(key);
                }

                try
                {
                    var value = await group.DoAsync(key, (key, mode), (s, ct) => Work(s.key, s.mode, ct)).ConfigureAwait(false);
                    Assert.Equal(key + 1, value);
                }
                catch (InvalidOperationException ex) when (ex.Message == "fault")
                {
                }
                catch (SingleFlightDeadlineExceededException)
                {
                }

                current[worker] = null;
            }
        })));

        try
        {
            await Bounded.Wait(workers);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"calls {calls}, clock {clock.GetUtcNow():HH:mm:ss.fff}, ticker {(ticker.IsCompleted ? "ended: " + ticker.Exception?.InnerException : "running")}, in flight {group.InFlightCount}, entries {group.EntryCount}; "
                + string.Join("; ", current.Select((c, i) => $"worker {i}: {c ?? "idle"}")));
        }

        stop.Cancel();
        await Bounded.Wait(ticker);
        Assert.True(tickerErrors.IsEmpty, string.Join("\n", tickerErrors.Take(3)));
        return (calls, violations);
    }
}
