using System.Collections.Frozen;
using SingleFlight;

namespace Contoso.Shop.Catalog;

public sealed record Country(string Code, string Name, string Currency);

/// <summary>Reference data: constants, static tables and a readonly record of defaults.</summary>
public sealed partial class CountryCatalog(IExchangeRateApi rates)
{
    private const string BaseCurrency = "EUR";
    private const int MaxCountries = 250;

    private static readonly FrozenDictionary<string, Country> s_countries = new Dictionary<string, Country>
    {
        ["FR"] = new("FR", "France", "EUR"),
        ["GB"] = new("GB", "United Kingdom", "GBP"),
        ["US"] = new("US", "United States", "USD"),
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly Country _fallback = new("XX", "Unknown", BaseCurrency);

    // expect: none
    [SingleFlight]
    public partial Task<(Country Country, decimal Rate)> GetWithRateAsync(string code, CancellationToken cancellationToken = default);

    private async Task<(Country Country, decimal Rate)> GetWithRateCoreAsync(string code, CancellationToken cancellationToken)
    {
        var country = s_countries.GetValueOrDefault(code) ?? _fallback;
        var rate = country.Currency == BaseCurrency ? 1m : await rates.GetRateAsync(BaseCurrency, country.Currency, cancellationToken);
        return (country, rate);
    }

    // A static method over static data.
    // expect: SF0014
    [SingleFlight]
    public static partial Task<Country[]> ListAsync(string prefix);

    private static Task<Country[]> ListCoreAsync(string prefix)
        => Task.FromResult(s_countries.Values.Where(c => c.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Take(MaxCountries).ToArray());
}
