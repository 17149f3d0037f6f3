// A frozen copy of src/Runtime as it was on main before issue 19's hot-path work (the group, its telemetry hooks
// and helpers, renamed). It runs side by side with the current runtime in the same BenchmarkDotNet run, so before and
// after are measured under one machine load. Not maintained: benchmark use only.
using System;
using System.Diagnostics.CodeAnalysis;

namespace SingleFlight.Benchmarks.Contenders.BeforeHotPath;

internal static class ThrowHelper
{
    internal static void ThrowIfNull([NotNull] object? argument, string paramName)
    {
        if (argument is null)
        {
            Throw(paramName);
        }
    }

    [DoesNotReturn]
    private static void Throw(string paramName) => throw new ArgumentNullException(paramName);
}
