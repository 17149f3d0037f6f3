using Microsoft.Extensions.Internal;
using Microsoft.Extensions.Options;
using SingleFlight;

namespace Contoso.Shop.Pricing;

public sealed class TaxOptions
{
    public decimal StandardRate { get; set; }

    public decimal ReducedRate { get; set; }
}

public sealed record TaxRate(string Country, decimal Standard, decimal Reduced, DateTimeOffset AsOf);

/// <summary>Named options per country (IOptionsMonitor.Get) and the older ISystemClock abstraction.</summary>
public sealed partial class TaxRateService(IOptionsMonitor<TaxOptions> options, ISystemClock clock)
{
    // expect: none
    [SingleFlight]
    public partial Task<TaxRate> GetRateAsync(string country);

    private Task<TaxRate> GetRateCoreAsync(string country)
    {
        var named = options.Get(country);
        return Task.FromResult(new TaxRate(country, named.StandardRate, named.ReducedRate, clock.UtcNow));
    }
}
