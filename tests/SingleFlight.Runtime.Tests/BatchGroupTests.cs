namespace SingleFlight.Runtime.Tests;

/// <summary>
/// <see cref="SingleFlightBatchGroup{TKey, TValue}"/>: per-key coalescing of calls for many keys (docs/batching.md).
/// Every call of the work runs synchronously up to its first await, so it has been recorded when the caller's call
/// returns; the test then answers it.
/// </summary>
public sealed class BatchGroupTests
{
    private static SingleFlightBatchGroup<int, string> Group() => new() { Name = "batch-tests" };

    private static void AssertValues(IReadOnlyDictionary<int, string> result, params int[] keys)
    {
        Assert.Equal(keys.OrderBy(k => k), result.Keys.OrderBy(k => k));
        foreach (var key in keys)
        {
            Assert.Equal("v" + key, result[key]);
        }
    }

    [Fact]
    public async Task Three_overlapping_calls_send_disjoint_key_sets_that_cover_every_key_and_each_caller_gets_exactly_its_keys()
    {
        var group = Group();
        var work = new GatedBatch<int>();

        var a = group.DoManyAsync([1, 2, 3], work.Work);
        var b = group.DoManyAsync([2, 3, 4], work.Work);
        var c = group.DoManyAsync([4, 5], work.Work);

        var calls = work.Calls;
        Assert.Equal(3, calls.Length);
        Assert.Equal([1, 2, 3], calls[0].Keys);
        Assert.Equal([4], calls[1].Keys);
        Assert.Equal([5], calls[2].Keys);
        var all = calls.SelectMany(call => call.Keys).ToArray();
        Assert.Equal(all.Length, all.Distinct().Count());
        Assert.Equal([1, 2, 3, 4, 5], all.OrderBy(k => k));
        Assert.Equal(5, group.InFlightCount);

        // Answered in reverse order: each caller completes when the last call it waits for does.
        calls[2].Answer();
        Assert.False(c.IsCompleted);
        calls[1].Answer();
        AssertValues(await Bounded.Wait(c), 4, 5);
        Assert.False(a.IsCompleted);
        Assert.False(b.IsCompleted);
        calls[0].Answer();
        AssertValues(await Bounded.Wait(a), 1, 2, 3);
        AssertValues(await Bounded.Wait(b), 2, 3, 4);
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task A_fault_reaches_exactly_the_callers_of_the_faulted_calls_keys_and_a_joiner_gets_the_fault_of_the_call_it_joined()
    {
        var group = Group();
        var work = new GatedBatch<int>();

        var a = group.DoManyAsync([1, 2], work.Work);        // call 0: {1, 2}
        var b = group.DoManyAsync([2, 3], work.Work);        // joins 2 (call 0); call 1: {3}
        var c = group.DoAsync(3, work.Work);                 // joins 3 (call 1)
        var d = group.DoManyAsync([4], work.Work);           // call 2: {4}
        var calls = work.Calls;
        Assert.Equal(3, calls.Length);

        var boom = new InvalidOperationException("boom");
        calls[0].Fail(boom);
        Assert.Same(boom, await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(a)));
        Assert.Same(boom, await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(b)));
        Assert.True(a.AsTask().IsFaulted);

        // c still waits for call 1 (b left it, c did not): its token is not cancelled.
        Assert.False(c.IsCompleted);
        Assert.False(calls[1].Token.IsCancellationRequested);
        Assert.False(d.IsCompleted);
        calls[1].Answer();
        calls[2].Answer();
        Assert.Equal("v3", await Bounded.Wait(c));
        AssertValues(await Bounded.Wait(d), 4);
        Assert.Equal(0, group.InFlightCount);

        // Nothing is cached, faults included.
        var again = group.DoManyAsync([1, 2], work.Work);
        work.Calls[3].Answer();
        AssertValues(await Bounded.Wait(again), 1, 2);
    }

    [Fact]
    public async Task A_missing_key_is_absent_for_exactly_its_callers_not_found_for_DoAsync_and_default_for_DoOrDefaultAsync()
    {
        var group = Group();
        var work = new GatedBatch<int>();

        var a = group.DoManyAsync([1, 2], work.Work);
        var b = group.DoManyAsync([2, 3], work.Work);
        var one = group.DoAsync(2, work.Work);
        var orDefault = group.DoOrDefaultAsync(2, work.Work);
        var other = group.DoAsync(1, work.Work);
        var calls = work.Calls;
        Assert.Equal(2, calls.Length);

        calls[0].Answer(without: 2);
        calls[1].Answer();
        AssertValues(await Bounded.Wait(a), 1);
        AssertValues(await Bounded.Wait(b), 3);
        var notFound = await Assert.ThrowsAsync<KeyNotFoundException>(() => Bounded.Wait(one));
        Assert.Contains("batch-tests", notFound.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("2", notFound.Message, StringComparison.Ordinal);
        Assert.Null(await Bounded.Wait(orDefault));
        Assert.Equal("v1", await Bounded.Wait(other));
    }

    [Fact]
    public async Task Keys_the_work_did_not_ask_for_are_ignored()
    {
        var group = Group();
        var result = await Bounded.Wait(group.DoManyAsync([1, 2], (keys, _) =>
            new ValueTask<IReadOnlyDictionary<int, string>>(new Dictionary<int, string> { [1] = "v1", [2] = "v2", [99] = "v99" })));
        AssertValues(result, 1, 2);
    }

    [Fact]
    public async Task Duplicate_keys_are_sent_once_and_appear_once()
    {
        var group = Group();
        var work = new GatedBatch<int>();
        var pending = group.DoManyAsync([1, 1, 2, 1, 2], work.Work);
        var call = work.Single();
        Assert.Equal([1, 2], call.Keys);
        call.Answer();
        AssertValues(await Bounded.Wait(pending), 1, 2);
    }

    [Fact]
    public async Task Empty_input_completes_synchronously_with_an_empty_dictionary_and_never_calls_the_work()
    {
        var group = Group();
        var calls = 0;
        var pending = group.DoManyAsync([], (_, _) =>
        {
            calls++;
            throw new InvalidOperationException("not called");
        });
        Assert.True(pending.IsCompletedSuccessfully);
        Assert.Empty(await pending);
        Assert.Equal(0, calls);
    }

    [Fact]
    public void Null_arguments_throw_ArgumentNullException_at_once()
    {
        var group = new SingleFlightBatchGroup<string, string>();
        var work = new GatedBatch<string>();
        Assert.Equal("keys", Assert.Throws<ArgumentNullException>(() => group.DoManyAsync(null!, work.Work)).ParamName);
        Assert.Equal("work", Assert.Throws<ArgumentNullException>(() => group.DoManyAsync(["a"], null!)).ParamName);
        Assert.Equal("keys", Assert.Throws<ArgumentNullException>(() => group.DoManyAsync(["a", null!], work.Work)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => group.DoAsync(null!, work.Work)).ParamName);
        Assert.Equal("work", Assert.Throws<ArgumentNullException>(() => group.DoAsync("a", null!)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => group.DoOrDefaultAsync(null!, work.Work)).ParamName);
        Assert.Equal("work", Assert.Throws<ArgumentNullException>(() => group.DoOrDefaultAsync("a", null!)).ParamName);

        // A null key among others changed nothing: no call, nothing in flight.
        Assert.Empty(work.Calls);
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public void Options_are_validated()
    {
        var group = Group();
        Assert.Throws<ArgumentOutOfRangeException>(() => group.BatchWindow = TimeSpan.FromTicks(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => group.BatchWindow = TimeSpan.FromMilliseconds(int.MaxValue) + TimeSpan.FromMilliseconds(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => group.MaxBatchSize = -1);
        Assert.Throws<ArgumentNullException>(() => group.TimeProvider = null!);
        group.BatchWindow = TimeSpan.Zero;
        group.MaxBatchSize = 0;
        Assert.Equal(TimeSpan.Zero, group.BatchWindow);
        Assert.Same(TimeProvider.System, group.TimeProvider);
    }

    [Fact]
    public async Task Work_that_throws_synchronously_faults_the_returned_task_of_every_caller_of_its_keys()
    {
        var group = Group();
        var boom = new InvalidOperationException("sync");
        var pending = group.DoManyAsync([1, 2], (_, _) => throw boom);
        Assert.Same(boom, await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(pending)));
        var one = group.DoAsync(3, (_, _) => throw boom);
        Assert.Same(boom, await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(one)));
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task Work_that_returns_null_fails_its_callers_with_an_InvalidOperationException_naming_the_operation()
    {
        var group = Group();
        var gate = new TaskCompletionSource<IReadOnlyDictionary<int, string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = group.DoManyAsync([1, 2], async (_, _) => await gate.Task);
        var b = group.DoAsync(2, (_, _) => throw new InvalidOperationException("not called"));
        gate.SetResult(null!);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(a));
        Assert.Same(error, await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(b)));
        Assert.Contains("batch-tests", error.Message, StringComparison.Ordinal);
        Assert.Contains("null", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Work_that_is_cancelled_by_a_token_of_its_own_is_a_fault_for_its_callers()
    {
        var group = Group();
        var work = new GatedBatch<int>();
        var a = group.DoManyAsync([1], work.Work);
        work.Single().Gate.SetCanceled();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(a));
        Assert.True(a.AsTask().IsFaulted);
    }

    [Fact]
    public async Task Keys_leave_the_group_when_their_call_completes_and_the_next_call_loads_them_again()
    {
        var group = Group();
        var work = new GatedBatch<int>();
        var first = group.DoManyAsync([1, 2], work.Work);
        Assert.Equal(2, group.InFlightCount);
        work.Single().Answer();
        await Bounded.Wait(first);
        Assert.Equal(0, group.InFlightCount);

        var second = group.DoManyAsync([1, 2], work.Work);
        Assert.Equal(2, work.Calls.Length);
        work.Calls[1].Answer();
        AssertValues(await Bounded.Wait(second), 1, 2);
    }

    [Fact]
    public async Task MaxBatchSize_splits_the_missing_keys_of_a_call_into_calls_of_at_most_that_many_keys()
    {
        var group = Group();
        group.MaxBatchSize = 4;
        var work = new GatedBatch<int>();
        var pending = group.DoManyAsync(Enumerable.Range(1, 10), work.Work);
        var calls = work.Calls;
        Assert.Equal([4, 4, 2], calls.Select(c => c.Keys.Length));
        Assert.Equal(Enumerable.Range(1, 10), calls.SelectMany(c => c.Keys));
        foreach (var call in calls)
        {
            Assert.False(pending.IsCompleted);
            call.Answer();
        }

        AssertValues(await Bounded.Wait(pending), Enumerable.Range(1, 10).ToArray());
    }

    [Fact]
    public async Task A_caller_that_cancels_leaves_alone_and_the_calls_token_is_cancelled_only_when_nobody_waits_for_any_of_its_keys()
    {
        var group = Group();
        var work = new GatedBatch<int>();
        using var ctsA = new CancellationTokenSource();
        using var ctsB = new CancellationTokenSource();

        var a = group.DoManyAsync([1, 2], work.Work, ctsA.Token);
        var b = group.DoAsync(2, work.Work, ctsB.Token);
        var call = work.Single();
        Assert.True(call.Token.CanBeCanceled);

        ctsA.Cancel();
        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(a));
        Assert.Equal(ctsA.Token, cancelled.CancellationToken);
        Assert.True(a.AsTask().IsCanceled);
        Assert.False(call.Token.IsCancellationRequested);
        Assert.Equal(2, group.InFlightCount);

        ctsB.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(b));
        Assert.True(call.Token.IsCancellationRequested);
        Assert.Equal(0, group.InFlightCount);

        // The abandoned call's keys are free: the next caller starts a new call, and the old answer reaches nobody.
        var next = group.DoAsync(1, work.Work);
        Assert.Equal(2, work.Calls.Length);
        call.Answer();
        work.Calls[1].Answer();
        Assert.Equal("v1", await Bounded.Wait(next));
    }

    [Fact]
    public async Task A_caller_without_a_token_keeps_the_call_alive_and_a_lone_such_caller_gives_the_work_CancellationToken_None()
    {
        var group = Group();
        var work = new GatedBatch<int>();
        using var cts = new CancellationTokenSource();
        var a = group.DoManyAsync([1], work.Work);
        Assert.False(work.Single().Token.CanBeCanceled);

        var b = group.DoAsync(1, work.Work, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(b));
        Assert.Equal(1, group.InFlightCount);
        work.Single().Answer();
        AssertValues(await Bounded.Wait(a), 1);
    }

    [Fact]
    public async Task A_token_cancelled_before_the_call_fails_at_once_and_never_starts_or_joins_a_call()
    {
        var group = Group();
        var work = new GatedBatch<int>();
        var cancelled = new CancellationToken(canceled: true);
        var many = group.DoManyAsync([1], work.Work, cancelled);
        var one = group.DoAsync(1, work.Work, cancelled);
        Assert.True(many.IsCanceled);
        Assert.True(one.IsCanceled);
        Assert.Empty(work.Calls);
        Assert.Equal(0, group.InFlightCount);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_call_for_a_key_from_inside_the_synchronous_part_of_the_work_loading_it_fails_fast_and_other_keys_work()
    {
        var group = Group();
        ValueTask<string>? same = null;
        ValueTask<IReadOnlyDictionary<int, string>>? sameMany = null;
        ValueTask<string>? other = null;
        var pending = group.DoManyAsync([1, 2], (keys, _) =>
        {
            same = group.DoAsync(1, (_, _) => throw new InvalidOperationException("not called"));
            sameMany = group.DoManyAsync([3, 2], (_, _) => throw new InvalidOperationException("not called"));
            other = group.DoAsync(5, (k, _) => new ValueTask<IReadOnlyDictionary<int, string>>(k.ToDictionary(x => x, x => "v" + x)));
            return new ValueTask<IReadOnlyDictionary<int, string>>(keys.ToDictionary(x => x, x => "v" + x));
        });

        AssertValues(await Bounded.Wait(pending), 1, 2);
        await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(same!.Value));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(sameMany!.Value));
        Assert.Equal("v5", await Bounded.Wait(other!.Value));
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task Keys_are_matched_by_the_groups_comparer_and_looked_up_in_the_works_answer_as_they_were_sent()
    {
        var group = new SingleFlightBatchGroup<string, string>(StringComparer.OrdinalIgnoreCase);
        var work = new GatedBatch<string>();
        var a = group.DoManyAsync(["A", "b"], work.Work);
        var b = group.DoAsync("a", work.Work);
        var c = group.DoManyAsync(["B", "c"], work.Work);
        Assert.Equal(["A", "b"], work.Calls[0].Keys);
        Assert.Equal(["c"], work.Calls[1].Keys);

        // The answers use the default (ordinal) comparer: "a" is found as "A", the form the work received.
        work.Calls[0].Answer();
        work.Calls[1].Answer();
        var first = await Bounded.Wait(a);
        Assert.Equal("vA", first["a"]);
        Assert.Equal("vA", await Bounded.Wait(b));
        var third = await Bounded.Wait(c);
        Assert.Equal(["B", "c"], third.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal("vb", third["B"]);
    }

    [Fact]
    public async Task Single_key_callers_that_cannot_leave_share_one_task_per_key_and_kind_and_still_get_their_own_outcome()
    {
        var group = Group();
        var work = new GatedBatch<int>();
        using var cts = new CancellationTokenSource();
        var a = group.DoAsync(1, work.Work);
        var b = group.DoAsync(1, work.Work);
        var orDefault = group.DoOrDefaultAsync(1, work.Work);
        var cancellable = group.DoAsync(1, work.Work, cts.Token);
        var missing = group.DoAsync(2, work.Work);
        var missingOrDefault = group.DoOrDefaultAsync(2, work.Work);

        // Without a metrics listener (whose per-caller outcome needs a waiter each), no allocation per such joiner.
        if (!SingleFlightTelemetry.Calls.Enabled)
        {
            Assert.Same(a.AsTask(), b.AsTask());
        }

        Assert.NotSame(a.AsTask(), orDefault.AsTask());
        Assert.NotSame(a.AsTask(), cancellable.AsTask());
        Assert.Equal(2, work.Calls.Length);
        work.Calls[0].Answer();
        work.Calls[1].Answer(without: 2);
        Assert.Equal("v1", await Bounded.Wait(a));
        Assert.Equal("v1", await Bounded.Wait(b));
        Assert.Equal("v1", await Bounded.Wait(orDefault));
        Assert.Equal("v1", await Bounded.Wait(cancellable));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Bounded.Wait(missing));
        Assert.Null(await Bounded.Wait(missingOrDefault));
    }

    [Fact]
    public async Task A_caller_failed_by_one_call_stops_waiting_for_its_others_and_a_call_left_without_waiters_is_abandoned()
    {
        var group = Group();
        var work = new GatedBatch<int>();
        var a = group.DoManyAsync([1], work.Work);       // call 0: {1}
        var b = group.DoManyAsync([1, 2], work.Work);    // joins 1; call 1: {2}, only b waits for it
        var calls = work.Calls;
        Assert.True(calls[1].Token.CanBeCanceled);

        var boom = new InvalidOperationException("boom");
        calls[0].Fail(boom);
        Assert.Same(boom, await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(a)));
        Assert.Same(boom, await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(b)));

        // Nobody waits for key 2 any more: its call is abandoned, and its key is free at once.
        Assert.True(calls[1].Token.IsCancellationRequested);
        Assert.Equal(0, group.InFlightCount);
        var next = group.DoAsync(2, work.Work);
        Assert.Equal(3, work.Calls.Length);
        calls[1].Answer();
        work.Calls[2].Answer();
        Assert.Equal("v2", await Bounded.Wait(next));
    }
}
