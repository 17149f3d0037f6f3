using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SingleFlight.Redis;

/// <summary>
/// Argument and state checks. On .NET they forward to the framework's throw helpers; on netstandard2.0, which has
/// none, they throw the same exceptions with the same parameter and object names.
/// </summary>
internal static class Guard
{
    /// <summary>Throws an <see cref="ArgumentNullException"/> for <paramref name="paramName"/> if <paramref name="argument"/> is null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void NotNull([NotNull] object? argument, string paramName)
    {
#if NETSTANDARD2_0
        if (argument is null)
        {
            ThrowArgumentNull(paramName);
        }
#else
        ArgumentNullException.ThrowIfNull(argument, paramName);
#endif
    }

    /// <summary>Throws an <see cref="ObjectDisposedException"/> naming the type of <paramref name="instance"/> if <paramref name="disposed"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void NotDisposed([DoesNotReturnIf(true)] bool disposed, object instance)
    {
#if NETSTANDARD2_0
        if (disposed)
        {
            ThrowDisposed(instance);
        }
#else
        ObjectDisposedException.ThrowIf(disposed, instance);
#endif
    }

#if NETSTANDARD2_0
    [DoesNotReturn]
    private static void ThrowArgumentNull(string paramName) => throw new ArgumentNullException(paramName);

    // The object name .NET's ObjectDisposedException.ThrowIf uses.
    [DoesNotReturn]
    private static void ThrowDisposed(object instance) => throw new ObjectDisposedException(instance.GetType().FullName);
#endif
}
