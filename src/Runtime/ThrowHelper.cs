using System;
using System.Diagnostics.CodeAnalysis;

namespace SingleFlight;

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

    [DoesNotReturn]
    internal static void ThrowNullElement(string paramName)
        => throw new ArgumentNullException(paramName, "The keys must not contain null.");

    /// <summary>A batch group's work answered a call with no dictionary. Names the operation, never a key.</summary>
    internal static InvalidOperationException BatchNullResult(string? operation)
        => new($"The batch work of '{operation ?? SingleFlightTelemetry.UnnamedOperation}' returned null instead of a dictionary of values.");

    /// <summary>The call of the work that loaded a key did not return it. Names the operation, never the key (keys may be personal data).</summary>
    internal static System.Collections.Generic.KeyNotFoundException BatchKeyNotFound(string? operation)
        => new($"The batch work of '{operation ?? SingleFlightTelemetry.UnnamedOperation}' did not return a value for the requested key.");

    /// <summary>A call for a key made from inside the synchronous part of the work that loads that key.</summary>
    internal static InvalidOperationException BatchReentrancy(string? operation)
        => new(
            $"A call to the batch group '{operation ?? SingleFlightTelemetry.UnnamedOperation}' asked for a key from inside the work that is loading that key. " +
            "It would wait for its own result forever. Call the work directly, or ask for other keys.");
}
