using System;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace SingleFlight.Redis;

/// <summary>
/// The Lua scripts of the protocol (docs/distributed.md), each behind a method that names its keys and arguments,
/// and a reader for each reply that carries meaning. Each script is atomic and touches the keys of one flight only.
/// </summary>
/// <remarks>
/// The methods return the command's own task rather than awaiting it: callers bound it with their timeout and, for an
/// election they stop waiting for, still need its answer (a key it took must be given back).
/// </remarks>
internal static class FlightScripts
{
    // Each script is sent by its SHA-1 (EVALSHA), which StackExchange.Redis passes on as it is; the text goes only to a
    // server that answers NOSCRIPT (a restart, a failover to a replica that never saw it, SCRIPT FLUSH), and that EVAL
    // loads it there for the calls after it. See FlightScript.

    // Returns 1 when this call won the key, else the holder's token (a string), so a won election sends no token back.
    private static readonly FlightScript AcquireScript = new("""
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
        return redis.call('GET', KEYS[1])
        """);

    // Compare-and-renew: only the holder extends its lease.
    private static readonly FlightScript RenewScript = new("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """);

    // Writes the outcome under the leader's own result key, releases the lease if still held, and announces it if a
    // follower registered interest (KEYS[3]). A follower always polls, which registers it, before it waits for the
    // announcement; a follower whose poll comes after this script finds the result instead. So when no follower
    // exists, no message goes to every subscribed process. The message is the token followed by the outcome when
    // the outcome is at most ARGV[5] bytes, so a follower has it without another round trip; else the token alone.
    // The interest has served its purpose then: a follower woken with the outcome never polls again to withdraw it.
    private static readonly FlightScript CompleteScript = new("""
        redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        if redis.call('EXISTS', KEYS[3]) == 1 then
          if #ARGV[2] <= tonumber(ARGV[5]) then
            redis.call('PUBLISH', ARGV[4], ARGV[1] .. ARGV[2])
          else
            redis.call('PUBLISH', ARGV[4], ARGV[1])
          end
          redis.call('DEL', KEYS[3])
        end
        return 1
        """);

    /// <summary>The largest outcome sent inside the completion's announcement; a larger one is read with a poll.</summary>
    internal const int MaxAnnouncedPayload = 16 * 1024;

    // Compare-and-delete without a result: the waiting processes elect a new leader.
    private static readonly FlightScript AbandonScript = new("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        redis.call('PUBLISH', ARGV[2], ARGV[1])
        return 1
        """);

    // {1, payload}: the flight ended; {0}: its leader still holds the key; {2}: the lease is gone without a result.
    // While the flight runs, the follower (ARGV[2]) renews its interest in it until the server's now + ARGV[3] ms: the
    // leader keeps its work running for interested followers after its own callers have all cancelled.
    private static readonly FlightScript PollScript = new("""
        local r = redis.call('GET', KEYS[2])
        if r then
          redis.call('ZREM', KEYS[3], ARGV[2])
          return {1, r}
        end
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.replicate_commands()
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[2])
          if redis.call('PTTL', KEYS[3]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[3], ARGV[3]) end
          return {0}
        end
        return {2}
        """);

    // The number of followers whose interest has not lapsed (lapsed ones are dropped).
    private static readonly FlightScript InterestScript = new("""
        redis.replicate_commands()
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        return redis.call('ZCARD', KEYS[1])
        """);

    /// <summary>The script whose SHA-1 is <paramref name="hash"/>, or null. A seam for tests (which recognise scripts by their text).</summary>
    internal static string? TextOf(byte[] hash)
    {
        foreach (var script in (FlightScript[])[AcquireScript, RenewScript, CompleteScript, AbandonScript, PollScript, InterestScript])
        {
            if (script.Hash.AsSpan().SequenceEqual(hash))
            {
                return script.Text;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="error"/> is the server's answer that it does not know a script sent by hash (it did not run).</summary>
    internal static bool IsNoScript(Exception error)
        => error is RedisServerException && error.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal);

    /// <summary>The election's arguments, in <paramref name="keys"/> (1) and <paramref name="values"/> (2).</summary>
    internal static void AcquireArguments(RedisKey[] keys, RedisValue[] values, FlightKeys flight, string token, TimeSpan lease)
    {
        keys[0] = flight.Lock;
        values[0] = token;
        values[1] = Milliseconds(lease);
    }

    /// <summary>The election's script: claims the key's lock for a token for a lease, unless another token holds it.</summary>
    /// <remarks>Its arguments are written by <see cref="AcquireArguments"/>; read the reply with <see cref="HolderOf"/>.</remarks>
    internal static FlightScript Election => AcquireScript;

    /// <summary>
    /// The token that holds the lock after the <see cref="Election"/> of <paramref name="token"/>: <paramref name="token"/>
    /// itself if it won. Empty for a reply this code does not understand (the script always finds a holder).
    /// </summary>
    internal static string HolderOf(RedisResult reply, string token)
        => reply.Resp2Type == ResultType.Integer ? ((long)reply == 1 ? token : string.Empty) : (string?)reply ?? string.Empty;

    /// <summary>Extends the lease of <paramref name="token"/> to <paramref name="lease"/> if it still holds the lock.</summary>
    /// <remarks>Read the reply with <see cref="IsRenewed"/>.</remarks>
    internal static Task<RedisResult> Renew(IDatabase db, RedisKey lockKey, string token, TimeSpan lease, bool byText)
        => RenewScript.Evaluate(db, [lockKey], [token, Milliseconds(lease)], byText);

    /// <summary>Whether <see cref="Renew"/> found the lease still held.</summary>
    internal static bool IsRenewed(RedisResult reply) => (long)reply != 0;

    /// <summary>
    /// The completion's arguments, in <paramref name="keys"/> (3) and <paramref name="values"/> (5): the leader's outcome
    /// kept for <paramref name="resultTimeToLive"/>, and the channel it is announced on.
    /// </summary>
    internal static void CompleteArguments(
        RedisKey[] keys,
        RedisValue[] values,
        FlightKeys flight,
        string leaderToken,
        ReadOnlyMemory<byte> payload,
        TimeSpan resultTimeToLive,
        RedisValue channel)
    {
        keys[0] = flight.Lock;
        keys[1] = flight.Result(leaderToken);
        keys[2] = flight.Interest(leaderToken);
        values[0] = leaderToken;
        values[1] = payload;
        values[2] = Milliseconds(resultTimeToLive);
        values[3] = channel;
        values[4] = MaxAnnouncedPayload;
    }

    /// <summary>
    /// The completion's script: writes the leader's outcome, releases its lock if still held, and, if a follower waits,
    /// announces the end of the flight (with the outcome when it is small).
    /// </summary>
    /// <remarks>Its arguments are written by <see cref="CompleteArguments"/>.</remarks>
    internal static FlightScript Completion => CompleteScript;

    /// <summary>Releases the lock if <paramref name="token"/> still holds it, and announces it on <paramref name="channel"/>.</summary>
    internal static Task<RedisResult> Abandon(IDatabase db, FlightKeys keys, string token, RedisValue channel, bool byText)
        => AbandonScript.Evaluate(db, [keys.Lock], [token, channel], byText);

    /// <summary>
    /// Looks for the outcome of the flight that <paramref name="holder"/> leads; while it runs, renews the interest of
    /// <paramref name="follower"/> in it for <paramref name="interest"/>.
    /// </summary>
    /// <remarks>Read the reply with <see cref="ReadPoll"/>.</remarks>
    internal static Task<RedisResult> Poll(
        IDatabase db,
        RedisKey lockKey,
        RedisKey resultKey,
        RedisKey interestKey,
        string holder,
        string follower,
        TimeSpan interest,
        bool byText)
        => PollScript.Evaluate(db, [lockKey, resultKey, interestKey], [holder, follower, Milliseconds(interest)], byText);

    /// <summary>What <see cref="Poll"/> found, and the payload when the flight has ended.</summary>
    internal static (PollOutcome Outcome, RedisValue Payload) ReadPoll(RedisResult reply)
    {
        var parts = (RedisResult[])reply!;
        return (long)parts[0] switch
        {
            1 => (PollOutcome.Done, (RedisValue)parts[1]),
            2 => (PollOutcome.LeaseLost, RedisValue.Null),
            _ => (PollOutcome.Running, RedisValue.Null),
        };
    }

    /// <summary>Drops the lapsed interests of followers in a flight.</summary>
    /// <remarks>Read the reply, the number of followers still interested, with <see cref="CountOf"/>.</remarks>
    internal static Task<RedisResult> CountInterest(IDatabase db, RedisKey interestKey, bool byText)
        => InterestScript.Evaluate(db, [interestKey], [], byText);

    /// <summary>The number that <see cref="CountInterest"/> replied.</summary>
    internal static long CountOf(RedisResult reply) => (long)reply;

    private static long Milliseconds(TimeSpan span) => (long)Math.Ceiling(span.TotalMilliseconds);
}

/// <summary>What a follower's poll of another process's flight found.</summary>
internal enum PollOutcome
{
    /// <summary>The leader still holds the key (or, from a follower's wait, the wait timed out while it did).</summary>
    Running,

    /// <summary>The flight ended and left its outcome.</summary>
    Done,

    /// <summary>The leader's lease is gone without an outcome: elect again.</summary>
    LeaseLost,
}

/// <summary>
/// A Lua script of the protocol: its text and its SHA-1, which Redis names it by. Sent by hash (<c>EVALSHA</c>): the text
/// crosses only after the server answered <c>NOSCRIPT</c>, which means the script did not run, so sending it again by
/// text is always safe. The hash overload of StackExchange.Redis is used rather than the text one because the text one
/// wraps every call in an async method of its own (and looks the hash up per server): about 300 B per flight.
/// </summary>
internal sealed class FlightScript
{
    public FlightScript(string text)
    {
        Text = text;
#pragma warning disable CA5350 // SHA-1 is how Redis names scripts, not a security measure.
        using var sha1 = System.Security.Cryptography.SHA1.Create();
#pragma warning restore CA5350
        Hash = sha1.ComputeHash(System.Text.Encoding.UTF8.GetBytes(text));
    }

    /// <summary>The Lua source.</summary>
    public string Text { get; }

    /// <summary>The SHA-1 of <see cref="Text"/> (20 bytes), as <c>EVALSHA</c> takes it.</summary>
    public byte[] Hash { get; }

    /// <summary>Sends the script by hash, or by text (<c>EVAL</c>, which also loads it on that server) after a <c>NOSCRIPT</c>.</summary>
    public Task<RedisResult> Evaluate(IDatabase db, RedisKey[] keys, RedisValue[] values, bool byText)
        => byText ? db.ScriptEvaluateAsync(Text, keys, values) : db.ScriptEvaluateAsync(Hash, keys, values);
}
