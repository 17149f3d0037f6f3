// A frozen copy of src/Runtime as it was on main before issue 19's hot-path work (the group, its telemetry hooks
// and helpers, renamed). It runs side by side with the current runtime in the same BenchmarkDotNet run, so before and
// after are measured under one machine load. Not maintained: benchmark use only.
using System;

namespace SingleFlight.Benchmarks.Contenders.BeforeHotPath;

/// <summary>
/// Remembers, per thread, the flight whose work is running synchronously on that thread, so that a call for
/// the same key from inside that work fails fast instead of waiting for itself forever.
/// </summary>
/// <remarks>
/// A thread-static slot costs two stores per flight. It only sees the synchronous part of the work: a
/// same-key call made after the work's first <c>await</c> runs on another thread and is not detected. See
/// docs/semantics.md, "Reentrant calls".
/// </remarks>
internal static class ReentrancyGuard
{
    [ThreadStatic]
    private static object? t_current;

    internal static object? Enter(object flight)
    {
        var outer = t_current;
        t_current = flight;
        return outer;
    }

    internal static void Exit(object? outer) => t_current = outer;

    internal static bool IsRunningOnThisThread(object flight) => ReferenceEquals(t_current, flight);

    internal static InvalidOperationException CreateException(object key)
        => new(
            $"A single-flight call for key '{key}' was made from inside the work of the flight for that same key. " +
            "It would wait for its own result forever. Call the core method directly, or use another key.");
}
