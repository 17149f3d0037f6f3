namespace SingleFlight.Runtime.Tests;

/// <summary>Regressions found in the review of issue 18's batch group.</summary>
public sealed class BatchReviewTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(10);

    /// <summary>A comparer that throws from GetHashCode for negative keys (a key the user's code cannot hash).</summary>
    private sealed class RefusingComparer : IEqualityComparer<int>
    {
        public bool Equals(int x, int y) => x == y;

        public int GetHashCode(int obj) => obj < 0 ? throw new InvalidOperationException("cannot hash") : obj;
    }

    [Fact]
    public async Task A_key_the_comparer_cannot_hash_leaves_no_open_batch_behind_on_a_new_group()
    {
        var clock = new CountingClock();
        var group = new SingleFlightBatchGroup<int, string>(new RefusingComparer()) { TimeProvider = clock, BatchWindow = Window };
        var work = new GatedBatch<int>();

        // The group has never held a key: the comparer first runs when the key is added to the table.
        var refused = Record.Exception(() => group.DoAsync(-1, work.Work).AsTask().GetAwaiter().GetResult());
        Assert.IsType<InvalidOperationException>(refused);
        Assert.Equal(0, group.InFlightCount);

        // The next call opens a batch of its own, with a window that ends.
        var pending = group.DoAsync(2, work.Work);
        Assert.Equal(1, clock.AliveTimers);
        clock.Advance(Window);
        var call = work.Single();
        Assert.Equal([2], call.Keys);
        call.Answer();
        Assert.Equal("v2", await Bounded.Wait(pending));
        Assert.Equal(0, group.InFlightCount);
    }
    [Fact]
    public async Task A_batch_keeps_the_MaxBatchSize_it_was_opened_with()
    {
        var clock = new CountingClock();
        var group = new SingleFlightBatchGroup<int, string> { TimeProvider = clock, BatchWindow = Window, MaxBatchSize = 3 };
        var work = new GatedBatch<int>();

        // Raised to "no limit" while the batch is open: the work of that batch was promised at most 3 keys
        // (batching.md: options are read when a batch opens), so it is sent at its third key.
        var first = group.DoAsync(1, work.Work);
        group.MaxBatchSize = 0;
        var second = group.DoAsync(2, work.Work);
        var third = group.DoAsync(3, work.Work);
        var fourth = group.DoAsync(4, work.Work);
        var sent = work.Single();
        Assert.Equal([1, 2, 3], sent.Keys);

        // The next batch was opened with no limit, and waits for its window.
        clock.Advance(Window);
        Assert.Equal([4], work.Calls[1].Keys);
        foreach (var call in work.Calls)
        {
            call.Answer();
        }

        Assert.Equal("v1", await Bounded.Wait(first));
        Assert.Equal("v2", await Bounded.Wait(second));
        Assert.Equal("v3", await Bounded.Wait(third));
        Assert.Equal("v4", await Bounded.Wait(fourth));
        Assert.Equal(0, clock.AliveTimers);
    }
    /// <summary>A clock whose timers fire like <see cref="CountingClock"/>'s but throw when disposed.</summary>
    private sealed class ThrowingDisposeClock : TimeProvider
    {
        public CountingClock Inner { get; } = new();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
            => new Throwing(Inner.CreateTimer(callback, state, dueTime, period));

        private sealed class Throwing(ITimer inner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                inner.Dispose();
                throw new ObjectDisposedException("clock");
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return default;
            }
        }
    }

    [Fact]
    public async Task A_timer_that_throws_when_disposed_neither_stops_a_batch_nor_strands_its_callers()
    {
        var clock = new ThrowingDisposeClock();
        var group = new SingleFlightBatchGroup<int, string> { TimeProvider = clock, BatchWindow = Window, MaxBatchSize = 2 };
        var work = new GatedBatch<int>();

        // Sent by DoManyAsync joining it.
        var one = group.DoAsync(1, work.Work);
        var many = group.DoManyAsync([1, 5], work.Work);
        Assert.Equal([[1], [5]], work.Calls.Select(c => c.Keys));

        // Sent by the call that filled it.
        var two = group.DoAsync(2, work.Work);
        var three = group.DoAsync(3, work.Work);
        Assert.Equal([2, 3], work.Calls[2].Keys);

        // Sent by its window.
        var four = group.DoAsync(4, work.Work);
        clock.Inner.Advance(Window);
        Assert.Equal([4], work.Calls[3].Keys);

        // Abandoned by its only caller.
        using var leave = new CancellationTokenSource();
        var six = group.DoAsync(6, work.Work, leave.Token);
        leave.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(six));

        foreach (var call in work.Calls)
        {
            call.Answer();
        }

        Assert.Equal("v1", await Bounded.Wait(one));
        Assert.Equal(["v1", "v5"], (await Bounded.Wait(many)).OrderBy(p => p.Key).Select(p => p.Value));
        Assert.Equal("v2", await Bounded.Wait(two));
        Assert.Equal("v3", await Bounded.Wait(three));
        Assert.Equal("v4", await Bounded.Wait(four));
        Assert.Equal(0, group.InFlightCount);
        Assert.Equal(0, clock.Inner.AliveTimers);
    }
    /// <summary>A work's answer whose lookups throw for one key.</summary>
    private sealed class ThrowingAnswer(IReadOnlyDictionary<int, string> inner, int refused) : IReadOnlyDictionary<int, string>
    {
        public string this[int key] => key == refused ? throw new FormatException("lookup") : inner[key];

        public IEnumerable<int> Keys => inner.Keys;

        public IEnumerable<string> Values => inner.Values;

        public int Count => inner.Count;

        public bool ContainsKey(int key) => key == refused ? throw new FormatException("lookup") : inner.ContainsKey(key);

        public bool TryGetValue(int key, out string value)
            => key == refused ? throw new FormatException("lookup") : inner.TryGetValue(key, out value!);

        public IEnumerator<KeyValuePair<int, string>> GetEnumerator() => inner.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public async Task A_works_answer_that_throws_from_its_lookup_fails_only_the_callers_of_that_key_and_leaves_the_group_empty()
    {
        var group = new SingleFlightBatchGroup<int, string>();
        var gate = new TaskCompletionSource<IReadOnlyDictionary<int, string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        SingleFlightBatchWork<int, string> work = async (keys, _) => new ThrowingAnswer(await gate.Task, refused: 2);

        var many = group.DoManyAsync([1, 2, 3], work);
        var two = group.DoAsync(2, work);
        var three = group.DoAsync(3, work);
        var twoOrDefault = group.DoOrDefaultAsync(2, work, new CancellationTokenSource().Token);
        gate.SetResult(new Dictionary<int, string> { [1] = "v1", [2] = "v2", [3] = "v3" });

        // Each caller's own lookup threw: its own exception (not one shared fault of the call, as for the work's).
        await Assert.ThrowsAsync<FormatException>(() => Bounded.Wait(many));
        await Assert.ThrowsAsync<FormatException>(() => Bounded.Wait(two));
        await Assert.ThrowsAsync<FormatException>(() => Bounded.Wait(twoOrDefault));
        Assert.Equal("v3", await Bounded.Wait(three));
        Assert.Equal(0, group.InFlightCount);

        // Nothing is left behind: the keys load again.
        Assert.Equal("x2", await Bounded.Wait(group.DoAsync(2, static (keys, _) => new ValueTask<IReadOnlyDictionary<int, string>>(keys.ToDictionary(k => k, k => "x" + k)))));
    }

    [Fact]
    public async Task A_batch_sent_by_the_call_that_fills_it_or_by_a_call_for_many_keys_runs_in_the_context_of_its_opener()
    {
        var clock = new CountingClock();
        var group = new SingleFlightBatchGroup<int, string> { TimeProvider = clock, BatchWindow = Window, MaxBatchSize = 2 };
        var local = new AsyncLocal<string>();
        var seen = new List<string?>();
        SingleFlightBatchWork<int, string> work = (keys, _) =>
        {
            lock (seen)
            {
                seen.Add(local.Value);
            }

            return new ValueTask<IReadOnlyDictionary<int, string>>(keys.ToDictionary(k => k, k => "v" + k));
        };

        ValueTask<string> Open(int key)
        {
            local.Value = "opener" + key;
            return group.DoAsync(key, work);
        }

        ValueTask<string> first = default, second = default;
        await Task.Run(() => { first = Open(1); });
        local.Value = "filler";
        var filler = group.DoAsync(2, work);
        await Task.Run(() => { second = Open(3); });
        local.Value = "many";
        var many = group.DoManyAsync([3], work);

        Assert.Equal("v1", await Bounded.Wait(first));
        Assert.Equal("v2", await Bounded.Wait(filler));
        Assert.Equal("v3", await Bounded.Wait(second));
        Assert.Equal("v3", (await Bounded.Wait(many))[3]);
        Assert.Equal(["opener1", "opener3"], seen);
        Assert.Equal("many", local.Value);
        Assert.Equal(0, clock.AliveTimers);
    }
}
