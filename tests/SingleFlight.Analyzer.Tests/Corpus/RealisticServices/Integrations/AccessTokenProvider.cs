using System.Net.Http.Json;
using Microsoft.Extensions.Internal;
using Microsoft.Extensions.Options;
using SingleFlight;

namespace Contoso.Shop.Integrations;

public sealed class OAuthOptions
{
    public string TokenUrl { get; set; } = "";

    public string ClientId { get; set; } = "";

    public string ClientSecret { get; set; } = "";
}

public sealed record AccessToken(string Value, DateTimeOffset ExpiresAt);

/// <summary>
/// A singleton that fetches and caches the app's client-credentials token. The cached token is a mutable field
/// read and written by the core, but it is the same for every caller: a cache, not a caller's data.
/// </summary>
public sealed partial class AccessTokenProvider(IHttpClientFactory clients, ISystemClock clock, IOptions<OAuthOptions> options)
{
    private AccessToken? _current;

    // expect: none
    [SingleFlight]
    public partial Task<AccessToken> GetTokenAsync(CancellationToken cancellationToken = default);

    private async Task<AccessToken> GetTokenCoreAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current && current.ExpiresAt > clock.UtcNow.AddMinutes(1))
        {
            return current;
        }

        var settings = options.Value;
        var client = clients.CreateClient("oauth");
        using var response = await client.PostAsync(
            settings.TokenUrl,
            new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = settings.ClientId,
                ["client_secret"] = settings.ClientSecret,
            }),
            cancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken) ?? throw new InvalidOperationException("empty token response");
        _current = new AccessToken(body.AccessToken, clock.UtcNow.AddSeconds(body.ExpiresIn));
        return _current;
    }

    private sealed record TokenResponse(string AccessToken, int ExpiresIn);
}
