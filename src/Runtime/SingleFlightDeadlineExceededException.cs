using System;

namespace SingleFlight;

/// <summary>
/// Thrown to every caller of a flight that did not end within its group's
/// <see cref="SingleFlightGroup{TKey, TValue}.Deadline"/> (or a <c>[SingleFlight(DeadlineMilliseconds = ...)]</c>
/// method's deadline). The flight was detached when the deadline passed: the next call for the key starts a fresh one.
/// </summary>
/// <remarks>
/// Every caller of the flight receives the same exception object, as with any fault of a flight. Its message names the
/// operation (<see cref="SingleFlightGroup{TKey, TValue}.Name"/>), never the key.
/// </remarks>
public sealed class SingleFlightDeadlineExceededException : TimeoutException
{
    /// <summary>Creates the exception for a flight of <paramref name="operation"/> that outlived <paramref name="deadline"/>.</summary>
    /// <param name="operation">The group's name, or <see langword="null"/> for an unnamed group.</param>
    /// <param name="deadline">The deadline that passed.</param>
    public SingleFlightDeadlineExceededException(string? operation, TimeSpan deadline)
        : base(CreateMessage(operation, deadline))
    {
        Operation = operation;
        Deadline = deadline;
    }

    /// <summary>The operation whose flight timed out (the group's <see cref="SingleFlightGroup{TKey, TValue}.Name"/>), or <see langword="null"/>.</summary>
    public string? Operation { get; }

    /// <summary>The deadline that passed.</summary>
    public TimeSpan Deadline { get; }

    private static string CreateMessage(string? operation, TimeSpan deadline)
        => "The single-flight operation '" + (operation ?? SingleFlightTelemetry.UnnamedOperation) + "' did not complete within its deadline of "
            + ((long)deadline.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)
            + " ms. The flight was detached; the next call starts a new one.";
}
