using System.Collections.Concurrent;
using System.Reflection;
using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// A connection that forwards everything to a real one, except that the test can have the next scripts whose text
/// contains a marker answered the way a Redis Cluster refuses a command it cannot serve yet (<c>CLUSTERDOWN</c>),
/// without sending them: a failover's refusal, on a single node, at the moment the test chooses.
/// </summary>
internal class RefusingConnection : DispatchProxy
{
    private IConnectionMultiplexer _inner = null!;
    private RefusingDatabase.Rules _rules = null!;

    /// <summary>The election's script (<c>SET … NX</c>).</summary>
    public const string Election = "'NX', 'PX'";

    /// <summary>The completion's script (writes the result, announces it).</summary>
    public const string Completion = "PUBLISH', ARGV[4]";

    public static (IConnectionMultiplexer Connection, RefusingDatabase.Rules Rules) Wrap(IConnectionMultiplexer inner)
    {
        var proxy = Create<IConnectionMultiplexer, RefusingConnection>();
        var self = (RefusingConnection)(object)proxy;
        self._inner = inner;
        self._rules = new RefusingDatabase.Rules();
        return (proxy, self._rules);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        object? result;
        try
        {
            result = targetMethod!.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }

        return result is IDatabase database && targetMethod.Name == nameof(IConnectionMultiplexer.GetDatabase)
            ? RefusingDatabase.Wrap(database, _rules)
            : result;
    }
}

/// <summary>The database side of <see cref="RefusingConnection"/>.</summary>
internal class RefusingDatabase : DispatchProxy
{
    private IDatabase _inner = null!;
    private Rules _rules = null!;

    /// <summary>How many scripts containing which marker to refuse next, and how many were refused.</summary>
    internal sealed class Rules
    {
        private readonly ConcurrentDictionary<string, int> _pending = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _refused = new(StringComparer.Ordinal);

        /// <summary>Refuse the next <paramref name="count"/> scripts whose text contains <paramref name="marker"/>.</summary>
        public void Refuse(string marker, int count) => _pending.AddOrUpdate(marker, count, (_, n) => n + count);

        public int Refused(string marker) => _refused.TryGetValue(marker, out var n) ? n : 0;

        internal bool TakeRefusal(string script)
        {
            foreach (var (marker, _) in _pending)
            {
                if (script.Contains(marker, StringComparison.Ordinal))
                {
                    while (_pending.TryGetValue(marker, out var left) && left > 0)
                    {
                        if (_pending.TryUpdate(marker, left - 1, left))
                        {
                            _refused.AddOrUpdate(marker, 1, (_, n) => n + 1);
                            return true;
                        }
                    }
                }
            }

            return false;
        }
    }

    public static IDatabase Wrap(IDatabase inner, Rules rules)
    {
        var proxy = Create<IDatabase, RefusingDatabase>();
        var self = (RefusingDatabase)(object)proxy;
        self._inner = inner;
        self._rules = rules;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod!.Name == nameof(IDatabase.ScriptEvaluateAsync) && args is [string script, ..] && _rules.TakeRefusal(script))
        {
            return Task.FromException<RedisResult>(new RedisServerException(RedisErrorKind.ClusterDown, CommandFlags.None, "CLUSTERDOWN The cluster is down (refused by the test)"));
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }
}
