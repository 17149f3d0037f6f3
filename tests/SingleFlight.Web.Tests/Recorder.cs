using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;

// One test at a time: the recorder and the join listener are process-wide.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace SingleFlight.Web.Tests;

/// <summary>
/// What the app did, in order, and the gates that hold its work: the work waits on <see cref="ReleaseWork"/> after
/// telling <see cref="WorkStartedTask"/>; joins are counted as the runtime starts a joiner's span.
/// </summary>
public static class Recorder
{
    private static readonly ActivityListener s_listener = CreateListener();
    private static State s_state = new();

    public sealed record ContextUse(AppDb Context, DbContextId Id, int Sequence);

    private sealed class State
    {
        public readonly TaskCompletionSource WorkStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource OtherGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource<DbContextId> OtherLeased = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource FirstScopeDisposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly ConcurrentQueue<ContextUse> Uses = new();
        public readonly ConcurrentQueue<(AppDb Context, int Sequence)> Disposals = new();
        public int Executions;
        public int Joins;
        public int Sequence;
        public int Scopes;
        public TaskCompletionSource JoinsReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int JoinsWanted = int.MaxValue;
    }

    /// <summary>Starts a test: new gates, nothing recorded.</summary>
    public static void Reset()
    {
        GC.KeepAlive(s_listener);
        s_state = new State();
    }

    public static int Executions => Volatile.Read(ref s_state.Executions);

    public static Task WorkStartedTask => s_state.WorkStarted.Task;

    public static Task FirstScopeDisposed => s_state.FirstScopeDisposed.Task;

    public static Task<DbContextId> OtherLeased => s_state.OtherLeased.Task;

    public static IReadOnlyList<ContextUse> Uses => s_state.Uses.ToArray();

    public static IReadOnlyList<(AppDb Context, int Sequence)> Disposals => s_state.Disposals.ToArray();

    /// <summary>Completes once <paramref name="count"/> callers have joined a flight since <see cref="Reset"/>.</summary>
    public static Task JoinsAsync(int count)
    {
        var state = s_state;
        state.JoinsWanted = count;
        if (Volatile.Read(ref state.Joins) >= count)
        {
            state.JoinsReached.TrySetResult();
        }

        return state.JoinsReached.Task;
    }

    public static void ReleaseWork() => s_state.Gate.TrySetResult();

    public static void ReleaseOther() => s_state.OtherGate.TrySetResult();

    /// <summary>The work has started: count it, tell the test, wait for the gate.</summary>
    public static async Task WorkStartedAsync(CancellationToken cancellationToken)
    {
        var state = s_state;
        Interlocked.Increment(ref state.Executions);
        state.WorkStarted.TrySetResult();
        await state.Gate.Task.WaitAsync(cancellationToken);
    }

    /// <summary>The blocking work has started: count it, tell the test, block until the gate opens.</summary>
    public static void WorkStarted()
    {
        var state = s_state;
        Interlocked.Increment(ref state.Executions);
        state.WorkStarted.TrySetResult();
        state.Gate.Task.Wait(TimeSpan.FromSeconds(30));
    }

    /// <summary>The work used <paramref name="db"/> (its lease id at that moment).</summary>
    public static void WorkUsed(AppDb db)
        => s_state.Uses.Enqueue(new ContextUse(db, db.ContextId, Interlocked.Increment(ref s_state.Sequence)));

    public static void ContextDisposed(AppDb db)
        => s_state.Disposals.Enqueue((db, Interlocked.Increment(ref s_state.Sequence)));

    /// <summary>Another request leased <paramref name="id"/> and now waits for the test.</summary>
    public static Task OtherRequestAsync(DbContextId id)
    {
        s_state.OtherLeased.TrySetResult(id);
        return s_state.OtherGate.Task;
    }

    /// <summary>A request scope (or a scope made by hand) was created; the first one is the leader's.</summary>
    public static int ScopeCreated() => Interlocked.Increment(ref s_state.Scopes);

    public static void ScopeDisposed(int number)
    {
        if (number == 1)
        {
            s_state.FirstScopeDisposed.TrySetResult();
        }
    }

    private static ActivityListener CreateListener()
    {
        var listener = new ActivityListener
        {
            // ASP.NET Core starts a request activity once its source has a listener: joiners then have a current
            // activity, under which the runtime starts their join span.
            ShouldListenTo = static source => source.Name is "SingleFlight" or "Microsoft.AspNetCore",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStarted = static activity =>
            {
                if (activity.OperationName == "singleflight.join")
                {
                    var state = s_state;
                    if (Interlocked.Increment(ref state.Joins) >= state.JoinsWanted)
                    {
                        state.JoinsReached.TrySetResult();
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}

/// <summary>Scoped: numbers the scopes it is created in and tells the recorder when one is disposed.</summary>
public sealed class ScopeMarker : IDisposable
{
    public int Number { get; } = Recorder.ScopeCreated();

    public void Dispose() => Recorder.ScopeDisposed(Number);
}
