using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Benchmarks.Contenders;

/// <summary>
/// The "database" behind every contender. Each scenario plugs in its own store; every contender calls the
/// same store through the same virtual call, so the store's cost cancels out of the ratios.
/// </summary>
public abstract class UserStore
{
    private int _executions;

    /// <summary>How many times the work really ran since the last <see cref="ResetExecutions"/>.</summary>
    public int Executions => Volatile.Read(ref _executions);

    public void ResetExecutions() => Volatile.Write(ref _executions, 0);

    public abstract ValueTask<int> LoadAsync(int id, CancellationToken cancellationToken);

    public virtual int Load(int id) => throw new System.NotSupportedException();

    protected void CountExecution() => Interlocked.Increment(ref _executions);

    /// <summary>The value every contender must return for <paramref name="id"/>.</summary>
    public static int Expected(int id) => (id * 2) + 1;
}

/// <summary>Work that completes synchronously: the cost measured is the contender's own.</summary>
public sealed class SyncStore : UserStore
{
    public override ValueTask<int> LoadAsync(int id, CancellationToken cancellationToken)
        => new(Expected(id));

    public override int Load(int id) => Expected(id);
}

/// <summary>Work that completes asynchronously after one hop through the thread pool.</summary>
public sealed class YieldingStore : UserStore
{
    public override async ValueTask<int> LoadAsync(int id, CancellationToken cancellationToken)
    {
        await Task.Yield();
        return Expected(id);
    }
}

/// <summary>
/// Counts executions and holds every execution until <see cref="Open"/> is called, then takes about
/// <see cref="DelayMilliseconds"/> more: a deterministic stampede, since every caller is known to have
/// arrived before any work can finish.
/// </summary>
public sealed class GatedStore : UserStore
{
    private TaskCompletionSource _gate = new();

    public int DelayMilliseconds { get; set; } = 1;

    /// <summary>Closes the gate for the next round. Call only when no work is pending.</summary>
    public void Close()
    {
        _gate = new TaskCompletionSource();
        ResetExecutions();
    }

    public void Open() => _gate.TrySetResult();

    public override async ValueTask<int> LoadAsync(int id, CancellationToken cancellationToken)
    {
        CountExecution();
        await _gate.Task.ConfigureAwait(false);
        if (DelayMilliseconds > 0)
        {
            await Task.Delay(DelayMilliseconds, CancellationToken.None).ConfigureAwait(false);
        }

        return Expected(id);
    }
}

/// <summary>Synchronous work that spins for <see cref="WorkMicroseconds"/> (timed, not counted) and counts executions.</summary>
public sealed class SpinningStore : UserStore
{
    public int WorkMicroseconds { get; set; } = 1;

    public override ValueTask<int> LoadAsync(int id, CancellationToken cancellationToken) => new(Load(id));

    public override int Load(int id)
    {
        CountExecution();
        var until = System.Diagnostics.Stopwatch.GetTimestamp()
            + (WorkMicroseconds * System.Diagnostics.Stopwatch.Frequency / 1_000_000);
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(1);
        }

        return Expected(id);
    }
}

/// <summary>Synchronous work that counts executions (for the many-keys scenario).</summary>
public sealed class CountingSyncStore : UserStore
{
    public override ValueTask<int> LoadAsync(int id, CancellationToken cancellationToken)
    {
        CountExecution();
        return new(Expected(id));
    }
}
