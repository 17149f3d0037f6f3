using System;

namespace SingleFlight.Redis;

/// <summary>
/// The work of a flight led by another process failed. Carries the original exception's type name and message;
/// the original exception object (and its stack trace) stays in the process that ran the work.
/// </summary>
public sealed class DistributedSingleFlightException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="remoteExceptionType">The full name of the type of the exception the leader's work threw.</param>
    /// <param name="message">That exception's message.</param>
    public DistributedSingleFlightException(string remoteExceptionType, string message)
        : base(message)
    {
        RemoteExceptionType = remoteExceptionType;
    }

    /// <summary>The full name of the type of the exception the leader's work threw, e.g. <c>System.InvalidOperationException</c>.</summary>
    public string RemoteExceptionType { get; }
}
