namespace SingleFlight.Redis.Tests;

/// <summary>The leader's token: 96 random bits as 16 characters of base64url, never the same twice in practice.</summary>
public sealed class FlightTokenTests
{
    [Fact]
    public void A_token_is_16_base64url_characters()
    {
        for (var i = 0; i < 1000; i++)
        {
            var token = FlightToken.New();
            Assert.Equal(FlightToken.Length, token.Length);
            Assert.Matches("^[A-Za-z0-9_-]{16}$", token);
        }
    }

    [Fact]
    public void Tokens_do_not_repeat_and_use_every_character()
    {
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        var characters = new HashSet<char>();
        for (var i = 0; i < 100_000; i++)
        {
            var token = FlightToken.New();
            Assert.True(tokens.Add(token), "a token repeated: " + token);
            characters.UnionWith(token);
        }

        // Every 6-bit value shows up at every position over this many tokens: the 96 bits are all used.
        Assert.Equal(64, characters.Count);
    }
}
