using System.Collections.Concurrent;

namespace SingleFlight.Runtime.Tests;

/// <summary>
/// Many keys, many tasks, random cancellations and faults for a bounded time. The invariants are checked on
/// every call; only the mix of events is random.
/// </summary>
public class StressTests
{
    private const int Keys = 8;

    private sealed record Execution(int Id, int Key, int StartIndex, CancellationToken Token);

    private sealed class ExecutionFailure(Execution execution) : Exception("work failed")
    {
        public Execution Execution { get; } = execution;
    }

    [Fact]
    public async Task Random_load_keeps_every_invariant_and_leaves_the_group_empty()
    {
        var group = new SingleFlightGroup<int, Execution>();
        var starts = new int[Keys];
        var live = Enumerable.Range(0, Keys).Select(_ => new ConcurrentDictionary<int, Execution>()).ToArray();
        var errorsByExecution = new ConcurrentDictionary<int, Exception>();
        var violations = new ConcurrentQueue<string>();
        var overlaps = new ConcurrentQueue<(Execution Starting, Execution Live)>();
        var runningWork = 0;
        var executionIds = 0;
        var outcomes = new int[3]; // value, cancelled, fault

        async ValueTask<Execution> Work(int key, int mode, CancellationToken token)
        {
            Interlocked.Increment(ref runningWork);
            try
            {
                var execution = new Execution(Interlocked.Increment(ref executionIds), key, Interlocked.Increment(ref starts[key]), token);
                CheckNoOtherLiveExecution(execution);
                live[key][execution.Id] = execution;
                try
                {
                    switch (mode)
                    {
                        case 0:
                            return execution;
                        case 1:
                            throw new ExecutionFailure(execution);
                        case 2:
                            await Task.Yield();
                            return execution;
                        case 3:
                            await Task.Delay(1, token);
                            return execution;
                        default:
                            await Task.Delay(2, token);
                            throw new ExecutionFailure(execution);
                    }
                }
                finally
                {
                    live[key].TryRemove(execution.Id, out _);
                }
            }
            finally
            {
                Interlocked.Decrement(ref runningWork);
            }
        }

        void CheckNoOtherLiveExecution(Execution starting)
        {
            foreach (var other in live[starting.Key].Values)
            {
                // Only an abandoned flight (every caller cancelled) may still be running when a new one for its
                // key starts (rule 1). Its token is cancelled by the last caller to leave, right after the flight
                // leaves the map, so it may not be cancelled yet at this instant: judge it once every caller is
                // done. A flight that completed normally never has its token cancelled.
                if (!other.Token.IsCancellationRequested)
                {
                    overlaps.Enqueue((starting, other));
                }
            }
        }

        Func<int, int, CancellationToken, ValueTask<Execution>> work = Work;

        async Task Caller(int seed, DateTime until)
        {
            var random = new Random(seed);
            while (DateTime.UtcNow < until)
            {
                var key = random.Next(Keys);
                var mode = random.Next(5);
                using var cts = random.Next(3) == 0 ? null : new CancellationTokenSource();
                var token = cts?.Token ?? CancellationToken.None;
                if (cts is not null)
                {
                    switch (random.Next(3))
                    {
                        case 0: cts.CancelAfter(random.Next(0, 3)); break;
                        case 1: _ = Task.Run(cts.Cancel); break;
                        default: break;
                    }
                }

                var startIndex = Volatile.Read(ref starts[key]);
                try
                {
                    var execution = await group.DoAsync(key, (key, mode, work), static (s, ct) => s.work(s.key, s.mode, ct), token);
                    Interlocked.Increment(ref outcomes[0]);
                    CheckReceived(execution, key, startIndex, "value");
                }
                catch (ExecutionFailure failure)
                {
                    Interlocked.Increment(ref outcomes[2]);
                    CheckReceived(failure.Execution, key, startIndex, "fault");
                    var first = errorsByExecution.GetOrAdd(failure.Execution.Id, failure);
                    if (!ReferenceEquals(first, failure))
                    {
                        violations.Enqueue($"execution {failure.Execution.Id}: callers got different exception objects");
                    }
                }
                catch (OperationCanceledException ex)
                {
                    Interlocked.Increment(ref outcomes[1]);
                    if (!token.IsCancellationRequested)
                    {
                        violations.Enqueue($"key {key}: a caller whose token was not cancelled got {ex.GetType().Name}");
                    }
                }
            }
        }

        void CheckReceived(Execution execution, int key, int startIndexAtCall, string what)
        {
            if (execution.Key != key)
            {
                violations.Enqueue($"a caller for key {key} got the {what} of key {execution.Key}");
            }

            // A newer execution of this key had started before this caller called: an older result would be
            // a cached one.
            if (execution.StartIndex < startIndexAtCall)
            {
                violations.Enqueue($"key {key}: a caller got the {what} of execution #{execution.StartIndex}, older than #{startIndexAtCall}");
            }
        }

        var until = DateTime.UtcNow.AddSeconds(2);
        var callers = Enumerable.Range(0, 16).Select(i => Task.Run(() => Caller(i, until))).ToArray();
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));

        Bounded.Until(() => Volatile.Read(ref runningWork) == 0, "abandoned work to wind down");
        foreach (var (starting, other) in overlaps)
        {
            if (!other.Token.IsCancellationRequested)
            {
                violations.Enqueue($"key {starting.Key}: execution {starting.Id} started while {other.Id} was live, and {other.Id} was never abandoned");
            }
        }

        Assert.True(violations.IsEmpty, string.Join(Environment.NewLine, violations));
        Assert.Equal(0, group.InFlightCount);
        Assert.All(outcomes, count => Assert.True(count > 0, "every outcome should occur: " + string.Join(",", outcomes)));
    }
}
