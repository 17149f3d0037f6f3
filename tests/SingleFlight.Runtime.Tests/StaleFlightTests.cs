namespace SingleFlight.Runtime.Tests;

/// <summary>
/// A caller can find a flight in the map just before that flight ends. These tests freeze such a caller
/// between finding the flight and joining it (inside the key comparer, which the map calls during the
/// lookup), end the flight, then let the caller go on.
/// </summary>
public class StaleFlightTests
{
    /// <summary>Blocks the next <see cref="Equals(string, string)"/> call after <see cref="Arm"/>.</summary>
    private sealed class PausingComparer : IEqualityComparer<string>
    {
        private readonly ManualResetEventSlim _resume = new();
        private readonly ManualResetEventSlim _paused = new();
        private int _armed;

        public void Arm() => Volatile.Write(ref _armed, 1);

        public void WaitUntilPaused() => Assert.True(_paused.Wait(Bounded.Timeout));

        public void Resume() => _resume.Set();

        public bool Equals(string? x, string? y)
        {
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                _paused.Set();
                Assert.True(_resume.Wait(Bounded.Timeout));
            }

            return string.Equals(x, y, StringComparison.Ordinal);
        }

        public int GetHashCode(string obj) => StringComparer.Ordinal.GetHashCode(obj);
    }

    [Fact]
    public async Task A_caller_holding_a_completed_flight_starts_a_new_one_instead_of_joining_it()
    {
        var comparer = new PausingComparer();
        var group = new SingleFlightGroup<string, int>(comparer);
        var first = new GatedWork<int>();
        var second = new GatedWork<int>();

        var leader = group.DoAsync("k", first.RunAsync);
        comparer.Arm();
        var late = Task.Run(() => group.DoAsync("k", second.RunAsync).AsTask());
        comparer.WaitUntilPaused();

        first.Gate.SetResult(1);
        Assert.Equal(1, await Bounded.Wait(leader));
        Assert.Equal(0, group.InFlightCount);

        comparer.Resume();
        await Bounded.Wait(second.Started);
        second.Gate.SetResult(2);

        Assert.Equal(2, await Bounded.Wait(late));
        Assert.Equal(1, first.Executions);
        Assert.Equal(1, second.Executions);
    }

    [Fact]
    public async Task A_caller_holding_an_abandoned_flight_starts_a_new_one_instead_of_joining_it()
    {
        var comparer = new PausingComparer();
        var group = new SingleFlightGroup<string, int>(comparer);
        var abandoned = new GatedWork<int>();
        var fresh = new GatedWork<int>();
        using var cts = new CancellationTokenSource();

        var leaver = group.DoAsync("k", abandoned.RunAsync, cts.Token);
        comparer.Arm();
        var late = Task.Run(() => group.DoAsync("k", fresh.RunAsync).AsTask());
        comparer.WaitUntilPaused();

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(leaver));
        Assert.True(abandoned.LastToken.IsCancellationRequested);

        comparer.Resume();
        await Bounded.Wait(fresh.Started);
        fresh.Gate.SetResult(5);

        Assert.Equal(5, await Bounded.Wait(late));
        Assert.False(fresh.LastToken.IsCancellationRequested);
    }

    [Fact]
    public void A_blocking_caller_holding_a_completed_flight_runs_the_work_again()
    {
        var comparer = new PausingComparer();
        var group = new SingleFlightGroup<string, int>(comparer);
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();

        var leaderResult = 0;
        var leader = new Thread(() => leaderResult = group.Do("k", () =>
        {
            inside.Set();
            Assert.True(release.Wait(Bounded.Timeout));
            return 1;
        }));
        leader.Start();
        Assert.True(inside.Wait(Bounded.Timeout));

        comparer.Arm();
        var lateResult = 0;
        var late = new Thread(() => lateResult = group.Do("k", () => 2));
        late.Start();
        comparer.WaitUntilPaused();

        release.Set();
        Assert.True(leader.Join(Bounded.Timeout));
        comparer.Resume();
        Assert.True(late.Join(Bounded.Timeout));

        Assert.Equal(1, leaderResult);
        Assert.Equal(2, lateResult);
        Assert.Equal(0, group.InFlightCount);
    }
}
