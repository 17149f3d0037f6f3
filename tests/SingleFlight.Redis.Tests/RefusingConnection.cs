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
        private readonly ConcurrentDictionary<string, TaskCompletionSource<RedisResult>> _held = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _answered = new(StringComparer.Ordinal);

        /// <summary>
        /// The next script containing <paramref name="marker"/> is not sent: it gets the returned source's task, which the
        /// test completes or faults (a reply that comes when the test says).
        /// </summary>
        public TaskCompletionSource<RedisResult> Hold(string marker)
        {
            var held = new TaskCompletionSource<RedisResult>();
            Assert.True(_held.TryAdd(marker, held));
            return held;
        }

        /// <summary>Completes when the next script containing <paramref name="marker"/> has been sent and answered.</summary>
        public Task Answered(string marker)
        {
            var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Assert.True(_answered.TryAdd(marker, answered));
            return answered.Task;
        }

        internal Task<RedisResult>? TakeHeld(string script)
        {
            foreach (var (marker, _) in _held)
            {
                if (script.Contains(marker, StringComparison.Ordinal) && _held.TryRemove(marker, out var held))
                {
                    return held.Task;
                }
            }

            return null;
        }

        internal Task<RedisResult> Watch(string script, Task<RedisResult> sent)
        {
            foreach (var (marker, _) in _answered)
            {
                if (script.Contains(marker, StringComparison.Ordinal) && _answered.TryRemove(marker, out var answered))
                {
                    sent.ContinueWith(_ => answered.TrySetResult(), TaskScheduler.Default);
                }
            }

            return sent;
        }

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

    /// <summary>What a Redis Cluster answers for a slot without a primary.</summary>
    public static RedisServerException ClusterDown()
        => new(RedisErrorKind.ClusterDown, CommandFlags.None, "CLUSTERDOWN The cluster is down (refused by the test)");

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
        // The group sends its scripts by hash (by text only after a NOSCRIPT): recognise either by the script's text.
        var script = targetMethod!.Name == nameof(IDatabase.ScriptEvaluateAsync)
            ? args switch
            {
                [string text, ..] => text,
                [byte[] hash, ..] => FlightScripts.TextOf(hash),
                _ => null,
            }
            : null;

        if (script is not null && _rules.TakeRefusal(script))
        {
            return Task.FromException<RedisResult>(ClusterDown());
        }

        if (script is not null && _rules.TakeHeld(script) is { } reply)
        {
            return reply;
        }

        try
        {
            var result = targetMethod.Invoke(_inner, args);
            return script is not null && result is Task<RedisResult> sent
                ? _rules.Watch(script, sent)
                : result;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }
}
