namespace SingleFlight.Runtime.Tests;

/// <summary>
/// Batching of single-key calls (<see cref="SingleFlightBatchGroup{TKey, TValue}.BatchWindow"/>,
/// <see cref="SingleFlightBatchGroup{TKey, TValue}.MaxBatchSize"/>) on a virtual clock whose timers fire inside
/// <c>Advance</c>, on the test's thread.
/// </summary>
public sealed class BatchWindowTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(10);

    private static SingleFlightBatchGroup<int, string> Group(CountingClock clock, int maxBatchSize = 0)
        => new() { Name = "batch-window-tests", TimeProvider = clock, BatchWindow = Window, MaxBatchSize = maxBatchSize };

    [Fact]
    public async Task Hundred_concurrent_single_key_calls_over_ten_keys_are_served_by_one_call_of_ten_keys()
    {
        var clock = new CountingClock();
        var group = Group(clock);
        var work = new GatedBatch<int>();

        // 100 callers on pool threads; each signals once DoAsync has returned (its wait is registered by then).
        using var arrived = new CountdownEvent(100);
        var callers = Enumerable.Range(0, 100)
            .Select(i => Task.Run(() =>
            {
                var pending = group.DoAsync(i % 10, work.Work).AsTask();
                arrived.Signal();
                return pending;
            }))
            .ToArray();
        Bounded.Until(() => arrived.IsSet, "100 callers in the open batch");
        Assert.Equal(10, group.InFlightCount);
        Assert.Empty(work.Calls);

        clock.Advance(Window);
        var call = work.Single();
        Assert.Equal(Enumerable.Range(0, 10), call.Keys.OrderBy(k => k));
        call.Answer();
        var values = await Bounded.Wait(Task.WhenAll(callers));
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal("v" + (i % 10), values[i]);
        }

        Assert.Single(work.Calls);
        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(1, clock.CreatedTimers);
        Assert.Equal(0, clock.AliveTimers);
    }

    [Fact]
    public async Task The_first_call_is_not_delayed_beyond_the_window()
    {
        var clock = new CountingClock();
        var group = Group(clock);
        var work = new GatedBatch<int>();

        var first = group.DoAsync(1, work.Work);
        clock.Advance(Window / 2);
        var second = group.DoAsync(2, work.Work);
        clock.Advance(Window / 2 - TimeSpan.FromTicks(1));
        Assert.Empty(work.Calls);

        clock.Advance(TimeSpan.FromTicks(1));
        var call = work.Single();
        Assert.Equal([1, 2], call.Keys);
        call.Answer();
        Assert.Equal("v1", await Bounded.Wait(first));
        Assert.Equal("v2", await Bounded.Wait(second));
    }

    [Fact]
    public async Task No_timer_exists_while_no_batch_is_open()
    {
        var clock = new CountingClock();
        var group = Group(clock);
        var work = new GatedBatch<int>();
        Assert.Equal(0, clock.CreatedTimers);

        var pending = group.DoAsync(1, work.Work);
        var joiner = group.DoAsync(2, work.Work);
        Assert.Equal(1, clock.AliveTimers);
        clock.Advance(Window);
        Assert.Equal(0, clock.AliveTimers);

        // A running call holds no timer; calls for many keys never open a window.
        var many = group.DoManyAsync([3, 4], work.Work);
        Assert.Equal(0, clock.AliveTimers);
        foreach (var call in work.Calls)
        {
            call.Answer();
        }

        await Bounded.Wait(pending);
        await Bounded.Wait(joiner);
        await Bounded.Wait(many);
        Assert.Equal(1, clock.CreatedTimers);

        // Without a window, single-key calls send their key alone and create no timer.
        group.BatchWindow = TimeSpan.Zero;
        var alone = group.DoAsync(5, work.Work);
        Assert.Equal([5], work.Calls.Last().Keys);
        work.Calls.Last().Answer();
        Assert.Equal("v5", await Bounded.Wait(alone));
        Assert.Equal(1, clock.CreatedTimers);
    }

    [Fact]
    public async Task A_batch_is_sent_as_soon_as_it_holds_MaxBatchSize_keys_and_its_timer_is_disposed()
    {
        var clock = new CountingClock();
        var group = Group(clock, maxBatchSize: 4);
        var work = new GatedBatch<int>();

        var callers = Enumerable.Range(1, 10).Select(k => group.DoAsync(k, work.Work)).ToArray();
        var joiner = group.DoAsync(9, work.Work);

        // Two full batches went at once; the third (2 keys) waits for its window.
        Assert.Equal([[1, 2, 3, 4], [5, 6, 7, 8]], work.Calls.Select(c => c.Keys));
        Assert.Equal(1, clock.AliveTimers);
        clock.Advance(Window);
        Assert.Equal([9, 10], work.Calls[2].Keys);
        Assert.Equal(0, clock.AliveTimers);

        foreach (var call in work.Calls)
        {
            call.Answer();
        }

        for (var k = 1; k <= 10; k++)
        {
            Assert.Equal("v" + k, await Bounded.Wait(callers[k - 1]));
        }

        Assert.Equal("v9", await Bounded.Wait(joiner));
    }

    [Fact]
    public async Task Equal_keys_in_a_batch_share_one_flight_and_a_batch_uses_the_work_of_the_call_that_opened_it()
    {
        var clock = new CountingClock();
        var group = Group(clock);
        var opener = new GatedBatch<int>();
        var later = new GatedBatch<int>();

        var a = group.DoAsync(1, opener.Work);
        var b = group.DoAsync(1, later.Work);
        var c = group.DoAsync(2, later.Work);
        clock.Advance(Window);

        Assert.Empty(later.Calls);
        var call = opener.Single();
        Assert.Equal([1, 2], call.Keys);
        call.Answer();
        Assert.Equal("v1", await Bounded.Wait(a));
        Assert.Equal("v1", await Bounded.Wait(b));
        Assert.Equal("v2", await Bounded.Wait(c));
    }

    [Fact]
    public async Task A_call_for_many_keys_that_joins_an_open_batch_sends_it_at_once()
    {
        var clock = new CountingClock();
        var group = Group(clock);
        var work = new GatedBatch<int>();

        var one = group.DoAsync(1, work.Work);
        var many = group.DoManyAsync([1, 2], work.Work);
        Assert.Equal([[1], [2]], work.Calls.Select(c => c.Keys));
        Assert.Equal(0, clock.AliveTimers);
        foreach (var call in work.Calls)
        {
            call.Answer();
        }

        Assert.Equal("v1", await Bounded.Wait(one));
        Assert.Equal(["v1", "v2"], (await Bounded.Wait(many)).OrderBy(p => p.Key).Select(p => p.Value));
    }

    [Fact]
    public async Task An_open_batch_whose_callers_all_cancel_is_never_sent_and_its_timer_is_disposed()
    {
        var clock = new CountingClock();
        var group = Group(clock);
        var work = new GatedBatch<int>();
        using var cts = new CancellationTokenSource();

        var a = group.DoAsync(1, work.Work, cts.Token);
        var b = group.DoOrDefaultAsync(2, work.Work, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(a));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(b));
        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(0, clock.AliveTimers);
        clock.Advance(Window);
        Assert.Empty(work.Calls);

        // The next call opens a new batch.
        var next = group.DoAsync(1, work.Work);
        clock.Advance(Window);
        work.Single().Answer();
        Assert.Equal("v1", await Bounded.Wait(next));
    }

    [Fact]
    public async Task The_work_of_a_batch_sent_by_its_timer_runs_in_the_execution_context_of_the_call_that_opened_it()
    {
        var clock = new CountingClock();
        var group = Group(clock);
        var local = new AsyncLocal<string>();
        string? seen = null;

        ValueTask<string> Open()
        {
            local.Value = "opener";
            return group.DoAsync(1, (keys, _) =>
            {
                seen = local.Value;
                return new ValueTask<IReadOnlyDictionary<int, string>>(keys.ToDictionary(k => k, k => "v" + k));
            });
        }

        // Opened on a pool thread, whose AsyncLocal values do not flow back here.
        ValueTask<string> pending = default;
        await Task.Run(() => { pending = Open(); });
        Assert.Null(local.Value);
        clock.Advance(Window);
        Assert.Equal("v1", await Bounded.Wait(pending));
        Assert.Equal("opener", seen);
    }
}
