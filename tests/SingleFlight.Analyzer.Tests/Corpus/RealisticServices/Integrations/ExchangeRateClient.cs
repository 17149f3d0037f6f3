using System.Globalization;
using SingleFlight;

namespace Contoso.Shop.Integrations;

/// <summary>An old-style client with one static HttpClient for the process (the pre-factory advice).</summary>
public sealed partial class ExchangeRateClient : IExchangeRateApi
{
    private static readonly HttpClient s_http = new() { BaseAddress = new Uri("https://rates.example.com/"), Timeout = TimeSpan.FromSeconds(10) };

    private const string Format = "0.######";

    // A static disposable shared by the whole process: no caller owns it.
    // expect: none
    [SingleFlight]
    public partial Task<decimal> GetRateAsync(string from, string to, CancellationToken cancellationToken = default);

    private async Task<decimal> GetRateCoreAsync(string from, string to, CancellationToken cancellationToken)
    {
        var text = await s_http.GetStringAsync($"latest/{from}/{to}", cancellationToken);
        return decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);
    }

    public static string Describe(decimal rate) => rate.ToString(Format, CultureInfo.InvariantCulture);
}
