using Microsoft.Extensions.Options;
using SingleFlight;

namespace Contoso.Shop.Pricing;

public sealed record PriceQuote(int ProductId, Money Net, Money Gross, DateTimeOffset ValidUntil);

/// <summary>Prices from the exchange-rate API, VAT from options copied into readonly fields, time from TimeProvider.</summary>
public sealed partial class PricingService
{
    private readonly IExchangeRateApi _rates;
    private readonly TimeProvider _clock;
    private readonly decimal _vatRate;
    private readonly string _currency;
    private readonly TimeSpan _quoteLifetime;

    public PricingService(IExchangeRateApi rates, TimeProvider clock, IOptions<PricingOptions> options)
    {
        _rates = rates;
        _clock = clock;
        _vatRate = options.Value.VatRate;
        _currency = options.Value.Currency;
        _quoteLifetime = options.Value.QuoteLifetime;
    }

    // Readonly configuration (decimal, string, TimeSpan set in the constructor) and a clock.
    // expect: none
    [SingleFlight(KeyFrom = "productId, currency")]
    public partial Task<PriceQuote> QuoteAsync(int productId, decimal basePrice, string currency, CancellationToken cancellationToken = default);

    private async Task<PriceQuote> QuoteCoreAsync(int productId, decimal basePrice, string currency, CancellationToken cancellationToken)
    {
        var rate = currency == _currency ? 1m : await _rates.GetRateAsync(_currency, currency, cancellationToken);
        var net = basePrice * rate;
        return new PriceQuote(productId, new Money(net, currency), new Money(net * (1 + _vatRate), currency), _clock.GetUtcNow() + _quoteLifetime);
    }
}
