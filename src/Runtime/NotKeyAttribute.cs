using System;

namespace SingleFlight;

/// <summary>
/// Declares that a parameter of a <see cref="SingleFlightAttribute"/> method is deliberately not part of the
/// flight key. Callers that differ only in this parameter share one flight and receive the same result.
/// </summary>
/// <remarks>
/// Without <see cref="SingleFlightAttribute.KeyFrom"/>, the parameter is left out of the default key. With
/// it, the attribute silences the analyzer's note (SF0008) that the parameter is not in the key.
/// </remarks>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class NotKeyAttribute : Attribute
{
}
