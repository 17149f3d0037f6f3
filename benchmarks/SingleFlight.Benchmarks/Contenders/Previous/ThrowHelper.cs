// Copy for PreviousSingleFlightGroup; see there.
using System;
using System.Diagnostics.CodeAnalysis;

namespace SingleFlight.Benchmarks.Contenders.Previous;

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
