using System;
using System.Collections.Generic;

namespace SingleFlight;

/// <summary>
/// The value a caller received from a <see cref="SingleFlightGroup{TKey, TValue}"/>, and whether it was
/// computed by a flight that another caller started.
/// </summary>
/// <typeparam name="TValue">The type of the value.</typeparam>
public readonly struct SingleFlightResult<TValue> : IEquatable<SingleFlightResult<TValue>>
{
    /// <summary>Creates a result.</summary>
    /// <param name="value">The value the flight produced.</param>
    /// <param name="shared">
    /// <see langword="true"/> when the caller joined a flight led by another caller.
    /// </param>
    public SingleFlightResult(TValue value, bool shared)
    {
        Value = value;
        Shared = shared;
    }

    /// <summary>The value the flight produced.</summary>
    public TValue Value { get; }

    /// <summary>
    /// <see langword="true"/> when this caller did not run the work but joined a flight that another caller
    /// led, and received that flight's result; <see langword="false"/> for the caller that ran the work.
    /// </summary>
    public bool Shared { get; }

    /// <inheritdoc/>
    public bool Equals(SingleFlightResult<TValue> other)
        => Shared == other.Shared && EqualityComparer<TValue>.Default.Equals(Value, other.Value);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SingleFlightResult<TValue> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
        => (Value is null ? 0 : EqualityComparer<TValue>.Default.GetHashCode(Value)) * 31 + (Shared ? 1 : 0);

    /// <inheritdoc/>
    public override string ToString() => $"{Value} (shared: {Shared})";

    /// <summary>Whether two results have equal values and the same <see cref="Shared"/> flag.</summary>
    /// <param name="left">A result.</param>
    /// <param name="right">Another result.</param>
    public static bool operator ==(SingleFlightResult<TValue> left, SingleFlightResult<TValue> right) => left.Equals(right);

    /// <summary>Whether two results differ in value or in their <see cref="Shared"/> flag.</summary>
    /// <param name="left">A result.</param>
    /// <param name="right">Another result.</param>
    public static bool operator !=(SingleFlightResult<TValue> left, SingleFlightResult<TValue> right) => !left.Equals(right);
}
