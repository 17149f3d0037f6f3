using SingleFlight;

namespace WebApi;

public sealed record Forecast(string City, int TemperatureC, string Summary, int Execution);

/// <summary>A slow downstream dependency (another HTTP API, a database). Singleton: it counts every call.</summary>
public sealed class ForecastBackend
{
    private static readonly string[] Summaries = ["Freezing", "Chilly", "Mild", "Warm", "Hot"];
    private int _executions;

    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(200);

    public int Executions => Volatile.Read(ref _executions);

    public async Task<Forecast> FetchAsync(string city, CancellationToken cancellationToken)
    {
        var execution = Interlocked.Increment(ref _executions);
        await Task.Delay(Latency, cancellationToken);
        var seed = StringComparer.Ordinal.GetHashCode(city);
        return new Forecast(city, Math.Abs(seed % 40) - 5, Summaries[Math.Abs(seed % Summaries.Length)], execution);
    }
}

/// <summary>
/// A scoped connection to the backend, like a DbContext or a unit of work: one per scope, unusable once its scope is
/// disposed.
/// </summary>
public sealed class ForecastSession(ForecastBackend backend) : IDisposable
{
    private bool _disposed;

    public Task<Forecast> FetchAsync(string city, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return backend.FetchAsync(city, cancellationToken);
    }

    public void Dispose() => _disposed = true;
}

/// <summary>
/// A scoped service: ASP.NET Core creates one per request. The generated group is static (one per method and
/// type), so concurrent requests — each with its own instance — still share one flight per city. The flight's work
/// runs on a <see cref="ForecastSession"/> of the flight's own scope, not on the session of the request that
/// started it: when that request ends first (its client gives up), the others still get their forecast.
/// </summary>
public sealed partial class ForecastService(IServiceScopeFactory scopes)
{
    [SingleFlight(KeyFrom = "city")]
    public partial Task<Forecast> GetForecastAsync(string city, CancellationToken cancellationToken = default);

    private static Task<Forecast> GetForecastCoreAsync(string city, [FromFlightScope] ForecastSession session, CancellationToken cancellationToken)
        => session.FetchAsync(city, cancellationToken);
}
