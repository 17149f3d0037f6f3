using System.Globalization;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SingleFlight;
using WebApi;

// Run:        dotnet run --project samples/WebApi [-- --metrics]
// Load mode:  dotnet run --project samples/WebApi -- --load [--requests N] [--cities N] [--metrics]
// --metrics exports the SingleFlight meter (and, without --load, its spans) to the console.
var load = args.Contains("--load");
var metrics = args.Contains("--metrics");
var builder = WebApplication.CreateBuilder(args.Where(a => a is not "--load" and not "--metrics").ToArray());
builder.Logging.SetMinimumLevel(load ? LogLevel.Warning : LogLevel.Information);
builder.Services.AddSingleton<ForecastBackend>();
builder.Services.AddScoped<ForecastSession>();
builder.Services.AddScoped<ForecastService>();
if (metrics)
{
    var telemetry = builder.Services.AddOpenTelemetry()
        .WithMetrics(m => m.AddMeter(SingleFlightTelemetry.Name).AddConsoleExporter());
    if (!load)
    {
        telemetry.WithTracing(t => t.AddSource(SingleFlightTelemetry.Name).AddConsoleExporter());
    }
}

var app = builder.Build();
app.MapGet("/forecast/{city}", (string city, ForecastService forecasts, CancellationToken cancellationToken)
    => forecasts.GetForecastAsync(city, cancellationToken));
app.MapGet("/stats", (ForecastBackend backend) => new { backendExecutions = backend.Executions });

if (!load)
{
    app.Run();
    return 0;
}

var requests = ReadOption("--requests", 500);
var cities = ReadOption("--cities", 5);
app.Urls.Clear();
app.Urls.Add("http://127.0.0.1:0");
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
var backend = app.Services.GetRequiredService<ForecastBackend>();
Console.WriteLine($"Listening on {address}; firing {requests:N0} concurrent requests over {cities} cities...");

using var client = new HttpClient { BaseAddress = new Uri(address) };
var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
var calls = Enumerable.Range(0, requests).Select(async i =>
{
    await go.Task;
    return await client.GetFromJsonAsync<Forecast>($"/forecast/city-{i % cities}");
}).ToArray();
go.SetResult();
var forecasts = await Task.WhenAll(calls);
if (metrics)
{
    // Export now rather than on the exporter's timer, so the numbers print before the summary.
    app.Services.GetRequiredService<MeterProvider>().ForceFlush();
}

await app.StopAsync();

var failed = forecasts.Count(f => f is null);
Console.WriteLine($"requests:            {requests:N0} ({failed} failed)");
Console.WriteLine($"backend executions:  {backend.Executions:N0}");
Console.WriteLine($"distinct results:    {forecasts.Where(f => f is not null).Select(f => f!.Execution).Distinct().Count()}");
Console.WriteLine(backend.Executions < requests
    ? $"Each scoped ForecastService was a new instance, yet {requests:N0} requests needed only {backend.Executions} backend calls."
    : "No calls were collapsed.");
return failed == 0 ? 0 : 1;

int ReadOption(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
        ? value
        : fallback;
}
