using System.Net.Http.Json;
using SingleFlight;

namespace Contoso.Shop.Integrations;

public sealed record ShippingQuote(string Carrier, decimal Price, int Days);

public sealed class SavedQuote
{
    public long Id { get; set; }

    public string Postcode { get; set; } = "";

    public decimal Price { get; set; }
}

/// <summary>
/// The coalesced part (asking the carrier) uses only the factory; the request's DbContext is used by the
/// non-coalesced method that stores the quote, outside the flight.
/// </summary>
public sealed partial class ShippingQuoteService(IHttpClientFactory clients, ShopDb db)
{
    // `db` appears only in SaveQuoteAsync, which runs on each caller's own instance.
    // expect: none
    [SingleFlight]
    public partial Task<ShippingQuote?> QuoteAsync(string postcode, decimal weightKg, CancellationToken cancellationToken = default);

    private async Task<ShippingQuote?> QuoteCoreAsync(string postcode, decimal weightKg, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient("carrier");
        using var response = await client.PostAsJsonAsync("quotes", new { postcode, weightKg }, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<ShippingQuote>(cancellationToken);
    }

    public async Task<ShippingQuote?> QuoteAndSaveAsync(string postcode, decimal weightKg, CancellationToken cancellationToken = default)
    {
        var quote = await QuoteAsync(postcode, weightKg, cancellationToken);
        if (quote is not null)
        {
            await SaveQuoteAsync(postcode, quote, cancellationToken);
        }

        return quote;
    }

    private async Task SaveQuoteAsync(string postcode, ShippingQuote quote, CancellationToken cancellationToken)
    {
        db.Set<SavedQuote>().Add(new SavedQuote { Postcode = postcode, Price = quote.Price });
        await db.SaveChangesAsync(cancellationToken);
    }
}
