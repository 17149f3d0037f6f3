using System.Collections.Concurrent;

namespace SingleFlight.Runtime.Tests;

/// <summary>
/// Aimed at the group's map: thousands of keys in flight at once (the table grows while calls go on), keys
/// whose hash codes collide (long chains, removals from the middle of a chain), and Forget racing with
/// completions. Bounded in time; the invariants are checked on every call.
/// </summary>
public class TableStressTests
{
    /// <summary>Equal keys stay equal, but there are only 8 distinct hash codes, so chains get long.</summary>
    private sealed class CollidingComparer : IEqualityComparer<int>
    {
        public bool Equals(int x, int y) => x == y;

        public int GetHashCode(int obj) => obj & 7;
    }

    private static SingleFlightGroup<int, int> NewGroup(bool colliding)
        => new(colliding ? new CollidingComparer() : null);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Thousands_of_flights_at_once_each_run_once_and_the_group_ends_empty(bool colliding)
    {
        const int Keys = 2_000;
        const int Workers = 4;
        var group = NewGroup(colliding);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var executions = new int[Keys];

        async ValueTask<int> Work(int key)
        {
            Interlocked.Increment(ref executions[key]);
            await gate.Task.ConfigureAwait(false);
            return key * 3;
        }

        // Every key gets a caller from each worker, in two opposite orders, so inserts race with each other,
        // with joins and with the table's growth.
        var pending = new ConcurrentBag<(int Key, Task<int> Call)>();
        await Bounded.Wait(Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(() =>
        {
            for (var i = 0; i < Keys; i++)
            {
                var key = worker % 2 == 0 ? i : Keys - 1 - i;
                pending.Add((key, group.DoAsync(key, key, (k, _) => Work(k)).AsTask()));
            }
        }))));

        Assert.Equal(Keys, group.InFlightCount);
        Assert.All(executions, count => Assert.Equal(1, count));

        gate.SetResult();
        foreach (var (key, call) in pending)
        {
            Assert.Equal(key * 3, await Bounded.Wait(call));
        }

        Assert.All(executions, count => Assert.Equal(1, count));
        Assert.Equal(0, group.InFlightCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Random_load_on_many_keys_never_runs_two_executions_of_a_key_at_once(bool colliding)
    {
        const int Keys = 256;
        var group = NewGroup(colliding);
        var live = new int[Keys];
        var violations = 0;
        var calls = 0;

        async ValueTask<int> Work(int key, int mode)
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
                        await Task.Yield();
                        throw new InvalidOperationException("fault");
                }
            }
            finally
            {
                Interlocked.Decrement(ref live[key]);
            }
        }

        await Bounded.Wait(Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            // Each worker's time starts when it does: on a loaded machine the pool may start a worker late.
            var random = new Random(worker);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(1.5);
            while (DateTime.UtcNow < deadline)
            {
                var key = random.Next(Keys);
                var mode = random.Next(4);
                Interlocked.Increment(ref calls);
                try
                {
                    var value = await group.DoAsync(key, (key, mode), (s, _) => Work(s.key, s.mode)).ConfigureAwait(false);
                    Assert.Equal(key + 1, value);
                }
                catch (InvalidOperationException ex) when (ex.Message == "fault")
                {
                }
            }
        }))));

        Assert.True(calls > 1_000, $"only {calls} calls");
        Assert.Equal(0, violations);
        Assert.Equal(0, group.InFlightCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Forget_racing_with_calls_and_completions_loses_no_caller_and_leaves_the_group_empty(bool colliding)
    {
        const int Keys = 64;
        var group = NewGroup(colliding);
        var calls = 0;
        var forgotten = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(1.5);

        static async ValueTask<int> Work(int key)
        {
            await Task.Yield();
            return -key;
        }

        var callers = Enumerable.Range(0, 3).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            while (DateTime.UtcNow < deadline)
            {
                var key = random.Next(Keys);
                Interlocked.Increment(ref calls);
                Assert.Equal(-key, await group.DoAsync(key, key, static (k, _) => Work(k)).ConfigureAwait(false));
            }
        }));
        var forgetter = Task.Run(() =>
        {
            var random = new Random(99);
            while (DateTime.UtcNow < deadline)
            {
                if (group.Forget(random.Next(Keys)))
                {
                    Interlocked.Increment(ref forgotten);
                }
            }
        });

        await Bounded.Wait(Task.WhenAll(callers.Append(forgetter)));

        Assert.True(calls > 1_000, $"only {calls} calls");
        Assert.Equal(0, group.InFlightCount);
        Assert.False(group.Forget(0));
    }
}
