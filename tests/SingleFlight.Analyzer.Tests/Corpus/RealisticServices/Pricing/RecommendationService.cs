using Microsoft.Extensions.Options;
using SingleFlight;

namespace Contoso.Shop.Pricing;

public sealed record Recommendation(string Sku, double Score);

/// <summary>A scoped service that reads options through IOptionsSnapshot (configuration as of this request).</summary>
public sealed partial class RecommendationService(IOptionsSnapshot<FeatureOptions> features, IExchangeRateApi rates)
{
    // The snapshot is per request, but it is the same configuration for every caller (not caller data).
    // expect: SF0014
    [SingleFlight]
    public partial Task<Recommendation[]> GetRecommendationsAsync(string sku, CancellationToken cancellationToken = default);

    private async Task<Recommendation[]> GetRecommendationsCoreAsync(string sku, CancellationToken cancellationToken)
    {
        var count = features.Value.RecommendationCount;
        var rate = await rates.GetRateAsync("EUR", "USD", cancellationToken);
        return Enumerable.Range(1, count).Select(i => new Recommendation($"{sku}-{i}", (double)rate / i)).ToArray();
    }
}
