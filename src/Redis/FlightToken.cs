using System.Security.Cryptography;

namespace SingleFlight.Redis;

/// <summary>
/// The token that names one flight's leader in Redis (the lock's value, and part of its result and interest keys):
/// 96 random bits from the operating system's cryptographic generator, written as 16 characters of base64url
/// (<c>A–Z a–z 0–9 - _</c>, no padding).
/// </summary>
/// <remarks>
/// Tokens only need to differ between the flights of one key that overlap in time, and 96 bits make a repeat among
/// even 2^32 flights a one-in-2^33 event. The token used to be a GUID in hex (32 characters, 122 random bits): the
/// shorter one saves 64 bytes per flight (the token and the two keys that contain it). Followers match an announcement
/// by the holder's own length, so tokens of either length are understood.
/// </remarks>
internal static class FlightToken
{
    /// <summary>The length of a token made by this version.</summary>
    internal const int Length = 16;

    private const int RandomBytes = 12;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#if NETSTANDARD2_0
    private static readonly RandomNumberGenerator Generator = RandomNumberGenerator.Create();
#endif

    /// <summary>A fresh token.</summary>
    internal static string New()
    {
#if NETSTANDARD2_0
        var random = new byte[RandomBytes];
        Generator.GetBytes(random);
        var text = new char[Length];
#else
        System.Span<byte> random = stackalloc byte[RandomBytes];
        RandomNumberGenerator.Fill(random);
        System.Span<char> text = stackalloc char[Length];
#endif

        // Every 3 bytes are 4 characters of 6 bits each.
        for (int i = 0, j = 0; i < RandomBytes; i += 3, j += 4)
        {
            var bits = (random[i] << 16) | (random[i + 1] << 8) | random[i + 2];
            text[j] = Alphabet[(bits >> 18) & 63];
            text[j + 1] = Alphabet[(bits >> 12) & 63];
            text[j + 2] = Alphabet[(bits >> 6) & 63];
            text[j + 3] = Alphabet[bits & 63];
        }

        return new string(text);
    }
}
