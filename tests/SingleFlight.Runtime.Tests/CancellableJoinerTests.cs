namespace SingleFlight.Runtime.Tests;

/// <summary>
/// Joiners whose token can cancel each have a task of their own that the flight completes. These tests hold
/// many of them at once, cancel some, and race others with the flight's completion.
/// </summary>
public class CancellableJoinerTests
{
    [Fact]
    public async Task A_thousand_cancellable_joiners_half_cancel_the_rest_get_the_result()
    {
        var group = new SingleFlightGroup<string, int>();
        var work = new GatedWork<int>();
        var sources = Enumerable.Range(0, 1_000).Select(_ => new CancellationTokenSource()).ToArray();
        var joins = new JoinCounter<string>(group);

        var calls = sources.Select(s => group.DoAsync("k", work.RunAsync, s.Token).AsTask()).ToArray();
        joins.WaitFor(calls.Length - 1);
        for (var i = 0; i < sources.Length; i += 2)
        {
            sources[i].Cancel();
        }

        for (var i = 0; i < calls.Length; i += 2)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(calls[i]));
        }

        Assert.False(work.LastToken.IsCancellationRequested);
        work.Gate.SetResult(42);
        for (var i = 1; i < calls.Length; i += 2)
        {
            Assert.Equal(42, await Bounded.Wait(calls[i]));
        }

        Assert.Equal(1, work.Executions);
        Assert.Equal(0, group.InFlightCount);
        foreach (var source in sources)
        {
            source.Dispose();
        }
    }

    [Fact]
    public async Task Cancellable_joiners_racing_with_the_flight_completing_all_get_a_result()
    {
        var group = new SingleFlightGroup<int, int>();
        using var never = new CancellationTokenSource();

        for (var round = 0; round < 200; round++)
        {
            var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var leader = group.DoAsync(round, gate, static (g, _) => new ValueTask<int>(g.Task), never.Token).AsTask();
            var start = new ManualResetEventSlim();
            var joiners = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            {
                start.Wait();
                return group.DoAsync(
                    round,
                    0,
                    // Arrived after the flight ended: a new flight, which answers at once.
                    static (_, _) => new ValueTask<int>(7),
                    never.Token).AsTask();
            })).ToArray();

            start.Set();
            gate.SetResult(7);

            Assert.Equal(7, await Bounded.Wait(leader));
            foreach (var joiner in joiners)
            {
                Assert.Equal(7, await Bounded.Wait(joiner));
            }
        }

        Assert.Equal(0, group.InFlightCount);
    }
}
