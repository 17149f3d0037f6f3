// Shared by every matrix scenario: deterministic gates for concurrent callers. Compiled together with the
// scenarios (not part of the test assembly).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Matrix;

public static class Harness
{
    public const int Callers = 8;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Starts <paramref name="callers"/> callers at once. A call of a generated async method returns only after
    /// it leads or has joined a flight, so once every call has returned, every caller is in a flight; only
    /// then is <paramref name="release"/> called to let the core methods finish.
    /// </summary>
    public static async Task<T[]> Async<T>(int callers, Func<int, Task<T>> call, Action release)
    {
        using var barrier = new Barrier(callers);
        var started = new Task<Task<T>>[callers];
        for (var i = 0; i < callers; i++)
        {
            var index = i;
            started[i] = Task.Factory.StartNew(
                () =>
                {
                    barrier.SignalAndWait(Timeout);
                    return call(index);
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }

        var pending = await Task.WhenAll(started).WaitAsync(Timeout);
        foreach (var task in pending)
        {
            Check.True(!task.IsCompleted, "a caller finished before the gate opened");
        }

        release();
        return await Task.WhenAll(pending).WaitAsync(Timeout);
    }

    /// <summary>
    /// Runs <paramref name="callers"/> blocking callers on their own threads. Opens the gate only when
    /// <paramref name="leaders"/> core calls have started and every thread is blocked (the leaders on the gate,
    /// the others on their flight), so every caller is in a flight before any flight can end.
    /// </summary>
    public static T[] Blocking<T>(int callers, Func<int, T> call, Func<int> entered, int leaders, Action release)
    {
        var results = new T[callers];
        var errors = new Exception?[callers];
        var threads = new Thread[callers];
        var ready = 0;
        for (var i = 0; i < callers; i++)
        {
            var index = i;
            threads[i] = new Thread(() =>
            {
                Interlocked.Increment(ref ready);
                try
                {
                    results[index] = call(index);
                }
                catch (Exception ex)
                {
                    errors[index] = ex;
                }
            })
            { IsBackground = true };
            threads[i].Start();
        }

        var clock = Stopwatch.StartNew();
        var spinner = new SpinWait();
        while (!(Volatile.Read(ref ready) == callers
                 && entered() == leaders
                 && threads.All(static t => (t.ThreadState & System.Threading.ThreadState.WaitSleepJoin) != 0)))
        {
            Check.True(clock.Elapsed < Timeout, "callers did not all block in time");
            Check.True(threads.All(static t => t.IsAlive), "a caller finished before the gate opened");
            spinner.SpinOnce();
        }

        release();
        foreach (var thread in threads)
        {
            Check.True(thread.Join(Timeout), "a caller did not finish");
        }

        foreach (var error in errors)
        {
            if (error is not null)
            {
                throw new InvalidOperationException("a caller failed", error);
            }
        }

        return results;
    }
}

public static class Check
{
    public static void True(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Check failed: " + what);
        }
    }

    public static void Equal<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            throw new InvalidOperationException($"Check failed: {what}: expected <{expected}>, got <{actual}>");
        }
    }

    public static void All<T>(IEnumerable<T> values, T expected, string what)
    {
        foreach (var value in values)
        {
            Equal(expected, value, what);
        }
    }
}

/// <summary>A gate the core methods wait on, and a count of core executions.</summary>
public sealed class Gate
{
    private TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _executions;

    public int Executions => Volatile.Read(ref _executions);

    public void Enter() => Interlocked.Increment(ref _executions);

    public Task WaitAsync() => _open.Task;

    public void Wait() => _open.Task.Wait();

    public void Open() => _open.TrySetResult();

    public void Reset()
    {
        _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _executions, 0);
    }
}

/// <summary>Common scenario shapes: callers on two keys, run twice (nothing is cached between rounds).</summary>
public static class Run
{
    public static async Task TwoKeysAsync<T>(Gate gate, Func<int, Task<T>> call, Func<int, T> expected)
    {
        for (var round = 0; round < 2; round++)
        {
            gate.Reset();
            var results = await Harness.Async(Harness.Callers, i => call(i % 2), gate.Open);
            Check.Equal(2, gate.Executions, "core executions in round " + round + " (one per key)");
            for (var i = 0; i < results.Length; i++)
            {
                Check.Equal(expected(i % 2), results[i], "result of caller " + i);
            }
        }
    }

    public static Task TwoKeysAsync(Gate gate, Func<int, Task> call)
        => TwoKeysAsync(gate, async i => { await call(i); return 0; }, static _ => 0);

    public static async Task OneKeyAsync<T>(Gate gate, Func<int, Task<T>> call, T expected)
    {
        gate.Reset();
        var results = await Harness.Async(Harness.Callers, call, gate.Open);
        Check.Equal(1, gate.Executions, "core executions (one flight)");
        Check.All(results, expected, "results");
    }

    public static async Task SeparateFlightsAsync<T>(Gate gate, int flights, Func<int, Task<T>> call, Func<int, T> expected)
    {
        gate.Reset();
        var results = await Harness.Async(flights * 3, i => call(i % flights), gate.Open);
        Check.Equal(flights, gate.Executions, "core executions (one per flight)");
        for (var i = 0; i < results.Length; i++)
        {
            Check.Equal(expected(i % flights), results[i], "result of caller " + i);
        }
    }

    public static void TwoKeysBlocking<T>(Gate gate, Func<int, T> call, Func<int, T> expected)
    {
        // Warm-up with the gate open: JIT and type initializers run now, so that under the gate a thread is
        // blocked only because it waits for a flight (Harness.Blocking relies on that).
        gate.Reset();
        gate.Open();
        Check.Equal(expected(0), call(0), "warm-up result");

        for (var round = 0; round < 2; round++)
        {
            gate.Reset();
            var results = Harness.Blocking(Harness.Callers, i => call(i % 2), () => gate.Executions, 2, gate.Open);
            Check.Equal(2, gate.Executions, "core executions in round " + round + " (one per key)");
            for (var i = 0; i < results.Length; i++)
            {
                Check.Equal(expected(i % 2), results[i], "result of caller " + i);
            }
        }
    }
}
