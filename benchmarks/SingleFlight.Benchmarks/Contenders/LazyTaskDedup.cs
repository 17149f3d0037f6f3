using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Benchmarks.Contenders;

/// <summary>
/// The common hand-written pattern, written correctly: a <see cref="ConcurrentDictionary{TKey, TValue}"/> of
/// <see cref="Lazy{T}"/> tasks. <c>GetOrAdd</c> may create several <see cref="Lazy{T}"/>s under a race, but
/// only the one that won is ever evaluated (ExecutionAndPublication), so the work runs once. Every caller
/// removes the entry when it has its result, and only if the entry is still its own
/// (<c>TryRemove(KeyValuePair)</c>), so nothing is cached and a newer flight is never removed by mistake.
/// </summary>
public sealed class LazyTaskDedup<TKey, TValue>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Lazy<Task<TValue>>> _inFlight = new();

    public int Count => _inFlight.Count;

    public async ValueTask<TValue> GetAsync<TState>(TKey key, TState state, Func<TState, Task<TValue>> work)
    {
        var lazy = _inFlight.GetOrAdd(
            key,
            static (_, a) => new Lazy<Task<TValue>>(() => a.work(a.state), LazyThreadSafetyMode.ExecutionAndPublication),
            (work, state));
        try
        {
            return await lazy.Value.ConfigureAwait(false);
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<TKey, Lazy<Task<TValue>>>(key, lazy));
        }
    }
}

/// <summary>The same pattern for the blocking path: <see cref="Lazy{T}"/> of the value itself.</summary>
public sealed class LazyValueDedup<TKey, TValue>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Lazy<TValue>> _inFlight = new();

    public int Count => _inFlight.Count;

    public TValue Get<TState>(TKey key, TState state, Func<TState, TValue> work)
    {
        var lazy = _inFlight.GetOrAdd(
            key,
            static (_, a) => new Lazy<TValue>(() => a.work(a.state), LazyThreadSafetyMode.ExecutionAndPublication),
            (work, state));
        try
        {
            return lazy.Value;
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<TKey, Lazy<TValue>>(key, lazy));
        }
    }
}
