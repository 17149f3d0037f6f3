using System.Runtime.CompilerServices;

namespace SingleFlight.Runtime.Tests;

/// <summary>The cases of Go's x/sync/singleflight test suite, in C#.</summary>
public class GoParityTests
{
    [Fact]
    public async Task Do_returns_the_value()
    {
        var group = new SingleFlightGroup<string, string>();

        var value = await group.DoAsync("key", _ => new ValueTask<string>("bar"));

        Assert.Equal("bar", value);
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public void Blocking_do_returns_the_value()
    {
        var group = new SingleFlightGroup<string, string>();

        Assert.Equal("bar", group.Do("key", () => "bar"));
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task Do_returns_the_error()
    {
        var group = new SingleFlightGroup<string, string>();
        var someError = new InvalidOperationException("Some error");

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(
            () => group.DoAsync("key", _ => ValueTask.FromException<string>(someError)).AsTask());

        Assert.Same(someError, thrown);
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task Duplicate_calls_are_suppressed_and_joiners_are_told_they_shared()
    {
        const int callers = 10;
        var group = new SingleFlightGroup<string, int>();
        var joins = new JoinCounter<string>(group);
        var work = new GatedWork<int>();

        using var start = new Barrier(callers);
        var calls = Enumerable.Range(0, callers)
            .Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                return group.DoWithResultAsync("key", work, static (w, ct) => w.RunAsync(ct)).AsTask();
            }))
            .ToArray();

        await Bounded.Wait(work.Started);
        joins.WaitFor(callers - 1);
        work.Gate.SetResult(42);
        var results = await Bounded.Wait(Task.WhenAll(calls));

        Assert.Equal(1, work.Executions);
        Assert.All(results, r => Assert.Equal(42, r.Value));
        Assert.Single(results, r => !r.Shared);
        Assert.Equal(callers - 1, results.Count(r => r.Shared));
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task Forget_starts_a_new_flight_while_the_old_callers_still_get_the_old_result()
    {
        var group = new SingleFlightGroup<string, int>();
        var first = new GatedWork<int>();
        var second = new GatedWork<int>();
        var third = new GatedWork<int>();

        var firstLeader = group.DoAsync("key", first.RunAsync);
        var firstJoiner = group.DoAsync("key", third.RunAsync);
        await Bounded.Wait(first.Started);

        Assert.True(group.Forget("key"));
        Assert.False(group.Forget("key"));

        var secondLeader = group.DoAsync("key", second.RunAsync);
        var secondJoiner = group.DoAsync("key", third.RunAsync);
        await Bounded.Wait(second.Started);

        second.Gate.SetResult(2);
        Assert.Equal(2, await Bounded.Wait(secondLeader));
        Assert.Equal(2, await Bounded.Wait(secondJoiner));
        Assert.False(firstLeader.IsCompleted);

        first.Gate.SetResult(1);
        Assert.Equal(1, await Bounded.Wait(firstLeader));
        Assert.Equal(1, await Bounded.Wait(firstJoiner));

        Assert.Equal(1, first.Executions);
        Assert.Equal(1, second.Executions);
        Assert.Equal(0, third.Executions);
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public async Task A_thrown_exception_reaches_every_caller_and_is_not_remembered()
    {
        var group = new SingleFlightGroup<string, int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var executions = 0;

        async ValueTask<int> Failing(CancellationToken ct)
        {
            Interlocked.Increment(ref executions);
            await gate.Task;
            throw new InvalidOperationException("boom");
        }

        var calls = Enumerable.Range(0, 5).Select(_ => group.DoAsync("key", Failing).AsTask()).ToArray();
        gate.SetResult();

        var errors = new List<Exception>();
        foreach (var call in calls)
        {
            errors.Add(await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(call)));
        }

        Assert.Equal(1, executions);
        Assert.All(errors, e => Assert.Same(errors[0], e));

        var next = await Bounded.Wait(group.DoAsync("key", _ => new ValueTask<int>(7)));
        Assert.Equal(7, next);
        Assert.Equal(0, group.InFlightCount);
    }

    [Fact]
    public void Null_arguments_are_rejected()
    {
        var group = new SingleFlightGroup<string, int>();

        Assert.Throws<ArgumentNullException>("key", () => group.DoAsync(null!, _ => default));
        Assert.Throws<ArgumentNullException>("work", () => group.DoAsync("k", (Func<CancellationToken, ValueTask<int>>)null!));
        Assert.Throws<ArgumentNullException>("work", () => group.DoAsync("k", 1, (Func<int, CancellationToken, ValueTask<int>>)null!));
        Assert.Throws<ArgumentNullException>("key", () => group.Do(null!, () => 1));
        Assert.Throws<ArgumentNullException>("work", () => group.Do("k", (Func<int>)null!));
        Assert.Throws<ArgumentNullException>("key", () => group.Forget(null!));
    }

    [Fact]
    public async Task A_custom_comparer_decides_which_keys_share()
    {
        var group = new SingleFlightGroup<string, int>(StringComparer.OrdinalIgnoreCase);
        var work = new GatedWork<int>();

        var upper = group.DoAsync("KEY", work.RunAsync);
        var lower = group.DoAsync("key", work.RunAsync);
        work.Gate.SetResult(3);

        Assert.Equal(3, await Bounded.Wait(upper));
        Assert.Equal(3, await Bounded.Wait(lower));
        Assert.Equal(1, work.Executions);
    }
}

public class ResultTypeTests
{
    [Fact]
    public void Results_compare_by_value_and_shared_flag()
    {
        var a = new SingleFlightResult<string>("x", shared: true);

        Assert.True(a == new SingleFlightResult<string>("x", shared: true));
        Assert.True(a != new SingleFlightResult<string>("x", shared: false));
        Assert.True(a != new SingleFlightResult<string>("y", shared: true));
        Assert.Equal(a.GetHashCode(), new SingleFlightResult<string>("x", true).GetHashCode());
        Assert.Equal(Unit.Value, default(Unit));
    }
}
