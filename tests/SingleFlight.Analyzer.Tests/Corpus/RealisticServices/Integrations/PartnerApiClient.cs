using System.Net.Http.Json;
using SingleFlight;

namespace Contoso.Shop.Integrations;

public sealed record PartnerStock(string Sku, int Available);

/// <summary>A typed client whose flights are per instance: the HttpClient it uses is its own instance's.</summary>
public sealed partial class PartnerApiClient(HttpClient http)
{
    // expect: none
    [SingleFlight(Scope = SingleFlightScope.Instance, KeyFrom = "sku")]
    public partial Task<PartnerStock?> GetStockAsync(string sku, CancellationToken cancellationToken = default);

    private Task<PartnerStock?> GetStockCoreAsync(string sku, CancellationToken cancellationToken)
        => http.GetFromJsonAsync<PartnerStock>("stock/" + Uri.EscapeDataString(sku), cancellationToken);
}
