using System;

namespace SingleFlight;

/// <summary>
/// The single value of a type with no information: the result type of flights for methods that return
/// <see cref="System.Threading.Tasks.Task"/>, <see cref="System.Threading.Tasks.ValueTask"/> or
/// <see langword="void"/>, and the key of methods whose key has no parts.
/// </summary>
/// <remarks>Support for generated code; it can be used by hand too.</remarks>
public readonly struct Unit : IEquatable<Unit>
{
    /// <summary>The only value of <see cref="Unit"/>.</summary>
    public static Unit Value => default;

    /// <summary>Always <see langword="true"/>: all <see cref="Unit"/> values are equal.</summary>
    /// <param name="other">Another value.</param>
    public bool Equals(Unit other) => true;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Unit;

    /// <inheritdoc/>
    public override int GetHashCode() => 0;

    /// <inheritdoc/>
    public override string ToString() => "()";

    /// <summary>Always <see langword="true"/>.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator ==(Unit left, Unit right) => true;

    /// <summary>Always <see langword="false"/>.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator !=(Unit left, Unit right) => false;
}
