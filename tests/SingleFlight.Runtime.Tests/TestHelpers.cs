using SingleFlight;

namespace SingleFlight.Runtime.Tests;

/// <summary>Bounds every wait so that a broken rule fails a test instead of hanging the run.</summary>
internal static class Bounded
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static Task<T> Wait<T>(ValueTask<T> pending) => pending.AsTask().WaitAsync(Timeout);

    public static Task<T> Wait<T>(Task<T> pending) => pending.WaitAsync(Timeout);

    public static Task Wait(Task pending) => pending.WaitAsync(Timeout);

    public static void Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        var spinner = default(SpinWait);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Timed out waiting for: " + what);
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
}

/// <summary>
/// Work whose executions the test controls: each execution is counted, announces that it started, and then
/// waits for the test to open the gate.
/// </summary>
internal sealed class GatedWork<T>
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _executions;

    public TaskCompletionSource<T> Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Executions => Volatile.Read(ref _executions);

    public CancellationToken LastToken { get; private set; }

    public Task Started => _started.Task;

    public async ValueTask<T> RunAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _executions);
        LastToken = cancellationToken;
        _started.TrySetResult();
        return await Gate.Task.ConfigureAwait(false);
    }
}

/// <summary>Counts callers that joined a flight, through the group's test seam.</summary>
internal sealed class JoinCounter<TKey>
    where TKey : notnull
{
    private int _joined;

    public JoinCounter(SingleFlightGroup<TKey, int> group) => group.JoinedHook = _ => Interlocked.Increment(ref _joined);

    public int Joined => Volatile.Read(ref _joined);

    public void WaitFor(int count) => Bounded.Until(() => Joined >= count, $"{count} joiners");
}
