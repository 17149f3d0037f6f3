using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using SingleFlight;

namespace Contoso.Shop.Integrations;

public sealed record Forecast(string City, double TemperatureC, string Summary);

/// <summary>A client that creates a named HttpClient per call from IHttpClientFactory; configuration copied out of the options.</summary>
public sealed partial class WeatherApiClient
{
    private readonly IHttpClientFactory _clients;
    private readonly string _apiKey;
    private readonly Uri _baseAddress;

    public WeatherApiClient(IHttpClientFactory clients, IOptions<WeatherApiOptions> options)
    {
        _clients = clients;
        _apiKey = options.Value.ApiKey;
        _baseAddress = new Uri(options.Value.BaseUrl);
    }

    // The factory is a singleton made to be shared, the client is made (and owned) by the core, the readonly
    // string and Uri are configuration set once in the constructor.
    // expect: none
    [SingleFlight(KeyFrom = "city")]
    public partial Task<Forecast?> GetForecastAsync(string city, CancellationToken cancellationToken = default);

    private async Task<Forecast?> GetForecastCoreAsync(string city, CancellationToken cancellationToken)
    {
        using var client = _clients.CreateClient("weather");
        client.BaseAddress = _baseAddress;
        return await client.GetFromJsonAsync<Forecast>($"forecast?city={Uri.EscapeDataString(city)}&key={_apiKey}", cancellationToken);
    }
}
