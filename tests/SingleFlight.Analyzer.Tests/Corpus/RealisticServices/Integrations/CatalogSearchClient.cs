using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using SingleFlight;

namespace Contoso.Shop.Integrations;

public sealed record SearchHit(string Sku, string Title, double Score);

/// <summary>Search through an external engine; the HttpClient is created from the factory inside the core.</summary>
public sealed partial class CatalogSearchClient(IHttpClientFactory httpClientFactory, ILogger<CatalogSearchClient> logger)
{
    // expect: SF0014
    [SingleFlight]
    public partial Task<SearchHit[]> SearchAsync(string query, int page, CancellationToken cancellationToken = default);

    private async Task<SearchHit[]> SearchCoreAsync(string query, int page, CancellationToken cancellationToken)
    {
        var client = httpClientFactory.CreateClient("search");
        var hits = await client.GetFromJsonAsync<SearchHit[]>($"search?q={Uri.EscapeDataString(query)}&page={page}", cancellationToken);
        logger.LogDebug("{Count} hits for {Query}", hits?.Length ?? 0, query);
        return hits ?? [];
    }
}
