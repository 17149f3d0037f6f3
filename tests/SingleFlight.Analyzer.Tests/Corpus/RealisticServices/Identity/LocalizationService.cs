using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Memory;
using SingleFlight;

namespace Contoso.Shop.Identity;

public sealed record LocalizedText(string Key, string Culture, string Text);

/// <summary>Texts in the caller's language, read from the Accept-Language header through IHttpContextAccessor.</summary>
public sealed partial class LocalizationService(IHttpContextAccessor http, IMemoryCache cache)
{
    // The culture is not in the key: a French caller joining an English leader's flight gets English text.
    // expect: SF0013
    [SingleFlight]
    public partial Task<LocalizedText> GetTextAsync(string key, CancellationToken cancellationToken = default);

    private Task<LocalizedText> GetTextCoreAsync(string key, CancellationToken cancellationToken)
    {
        var culture = (string?)http.HttpContext?.Request.Headers["Accept-Language"] ?? "en";
        var text = cache.TryGetValue((key, culture), out string? cached) ? cached! : key.ToUpper(CultureInfo.InvariantCulture);
        return Task.FromResult(new LocalizedText(key, culture, text));
    }

    // The culture is a parameter, in the key; the header is read on the caller's side.
    // expect: none
    [SingleFlight]
    public partial Task<LocalizedText> GetTextInAsync(string key, string culture, CancellationToken cancellationToken = default);

    private Task<LocalizedText> GetTextInCoreAsync(string key, string culture, CancellationToken cancellationToken)
    {
        var text = cache.TryGetValue((key, culture), out string? cached) ? cached! : key.ToUpper(CultureInfo.InvariantCulture);
        return Task.FromResult(new LocalizedText(key, culture, text));
    }

    public Task<LocalizedText> GetForRequestAsync(string key, CancellationToken cancellationToken = default)
        => GetTextInAsync(key, (string?)http.HttpContext?.Request.Headers["Accept-Language"] ?? "en", cancellationToken);
}
