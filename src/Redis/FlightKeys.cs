using StackExchange.Redis;

namespace SingleFlight.Redis;

/// <summary>
/// The Redis names of one key's flights. They share a stem that ends inside a Cluster hash tag, so every script
/// touches one slot; the result and interest keys are per leader token.
/// </summary>
internal readonly struct FlightKeys
{
    private readonly string _stem;

    public FlightKeys(string stem)
    {
        _stem = stem;
        Lock = stem + "lock";
    }

    public RedisKey Lock { get; }

    public RedisKey Result(string leaderToken) => _stem + "result:" + leaderToken;

    public RedisKey Interest(string leaderToken) => _stem + "waiters:" + leaderToken;
}
