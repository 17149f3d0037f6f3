using System.Text;
using StackExchange.Redis;

namespace SingleFlight.Redis;

/// <summary>
/// The Redis names of one key's flights. They share a stem that ends inside a Cluster hash tag, so every script
/// touches one slot; the result and interest keys are per leader token.
/// </summary>
/// <remarks>
/// Each name is the group's prefix (one array for the group's life) followed by the rest of the name, built per flight
/// as its UTF-8 bytes in one array of the exact length: a <see cref="RedisKey"/> made with
/// <see cref="RedisKey.Append(RedisKey)"/> keeps the two parts and StackExchange.Redis writes them one after the other,
/// so the same key costs a fraction of the string it was (two bytes per character, the whole prefix included).
/// </remarks>
internal readonly struct FlightKeys
{
    private static readonly byte[] LockSuffix = Encoding.UTF8.GetBytes("}:lock");
    private static readonly byte[] ResultInfix = Encoding.UTF8.GetBytes("}:result:");
    private static readonly byte[] InterestInfix = Encoding.UTF8.GetBytes("}:waiters:");

    // A name is prefix + encoded key + suffix (+ token); the encoded key's UTF-8 form is written into each name.
    // Arrays, not RedisKeys (two references each): the struct is copied into every flight's state.
    private readonly byte[] _prefix;
    private readonly string _encodedKey;
    private readonly int _encodedLength;
    private readonly byte[] _lock;

    /// <param name="prefix">The group's prefix in UTF-8, ending inside the opened hash tag.</param>
    /// <param name="encodedKey">The encoded key, which closes the hash tag's content.</param>
    public FlightKeys(byte[] prefix, string encodedKey)
    {
        _prefix = prefix;
        _encodedKey = encodedKey;
        _encodedLength = Encoding.UTF8.GetByteCount(encodedKey);
        _lock = Rest(LockSuffix, null);
    }

    public RedisKey Lock => ((RedisKey)_prefix).Append(_lock);

    public RedisKey Result(string leaderToken) => Name(ResultInfix, leaderToken);

    public RedisKey Interest(string leaderToken) => Name(InterestInfix, leaderToken);

    private RedisKey Name(byte[] infix, string token) => ((RedisKey)_prefix).Append(Rest(infix, token));

    private byte[] Rest(byte[] infix, string? token)
    {
        var tokenLength = token is null ? 0 : Encoding.UTF8.GetByteCount(token);
        var rest = new byte[_encodedLength + infix.Length + tokenLength];
        var at = Encoding.UTF8.GetBytes(_encodedKey, 0, _encodedKey.Length, rest, 0);
        infix.CopyTo(rest, at);
        if (token is not null)
        {
            Encoding.UTF8.GetBytes(token, 0, token.Length, rest, at + infix.Length);
        }

        return rest;
    }
}
