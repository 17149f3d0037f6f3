using StackExchange.Redis;

namespace SingleFlight.Redis;

/// <summary>
/// The Redis names of one key's flights. They share a stem that ends inside a Cluster hash tag, so every script
/// touches one slot; the result and interest keys are per leader token.
/// </summary>
internal readonly struct FlightKeys
{
    // The stem is prefix + encoded key + "}:"; each name is built in one concatenation rather than from a stem string.
    private readonly string _prefix;
    private readonly string _encodedKey;

    /// <param name="prefix">The group's prefix, ending inside the opened hash tag.</param>
    /// <param name="encodedKey">The encoded key, which closes the hash tag's content.</param>
    public FlightKeys(string prefix, string encodedKey)
    {
        _prefix = prefix;
        _encodedKey = encodedKey;
        Lock = string.Concat(prefix, encodedKey, "}:lock");
    }

    public RedisKey Lock { get; }

    public RedisKey Result(string leaderToken) => string.Concat(_prefix, _encodedKey, "}:result:", leaderToken);

    public RedisKey Interest(string leaderToken) => string.Concat(_prefix, _encodedKey, "}:waiters:", leaderToken);
}
