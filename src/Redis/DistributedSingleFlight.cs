using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using StackExchange.Redis;

namespace SingleFlight.Redis;

/// <summary>
/// Configured once at start-up (by hand, or by <see cref="DistributedSingleFlightServiceCollectionExtensions.AddSingleFlightRedis(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{DistributedSingleFlightOptions}?)"/>),
/// hands out one <see cref="DistributedSingleFlightGroup{TKey, TValue}"/> per operation name, so every caller of an
/// operation in the process shares the same group.
/// </summary>
public sealed class DistributedSingleFlight : IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly DistributedSingleFlightOptions _options;
    private readonly ConcurrentDictionary<string, IDisposable> _groups = new(StringComparer.Ordinal);
    private static volatile DistributedSingleFlight? s_default;
    private volatile bool _disposed;

    /// <summary>
    /// The registry that <c>[SingleFlight(Distributed = true)]</c> methods use. Set by the hosted service that
    /// <see cref="DistributedSingleFlightServiceCollectionExtensions.AddSingleFlightRedis(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{DistributedSingleFlightOptions}?)"/>
    /// registers when the host starts (and cleared when it stops); set it yourself in an app without a host.
    /// While it is <see langword="null"/>, or once the registry it holds is disposed, those methods coalesce in-process
    /// only and count each local flight in <c>singleflight.redis.flights</c> as <c>local_fallback</c> with the reason
    /// <c>not_configured</c>.
    /// </summary>
    public static DistributedSingleFlight? Default
    {
        get => s_default;
        set => s_default = value;
    }

    /// <summary>
    /// The JSON contract of <see cref="Unit"/>, the result of methods that return <c>Task</c> or <c>ValueTask</c>
    /// (source-generated: trimming and AOT safe). Generated code passes it to <see cref="DistributedSingleFlightOperation{TKey, TValue}"/>.
    /// </summary>
    public static JsonTypeInfo<Unit> UnitJsonTypeInfo => RedisJsonContext.Default.Unit;

    /// <summary>Sets <see cref="Default"/> to <see langword="null"/> if it is <paramref name="registry"/>.</summary>
    internal static void ClearDefault(DistributedSingleFlight registry) => Interlocked.CompareExchange(ref s_default, null, registry);

    /// <summary>The settings every group of this registry gets.</summary>
    internal DistributedSingleFlightOptions Options => _options;

    /// <summary>The connection the registry's groups use.</summary>
    internal IConnectionMultiplexer Connection => _redis;

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    internal bool IsDisposed => _disposed;

    /// <summary>Creates the registry.</summary>
    /// <param name="redis">The connection to Redis. Not owned: dispose it yourself.</param>
    /// <param name="options">Settings for every group; <see langword="null"/> for the defaults. Validated now.</param>
    /// <exception cref="ArgumentNullException"><paramref name="redis"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public DistributedSingleFlight(IConnectionMultiplexer redis, DistributedSingleFlightOptions? options = null)
    {
        Guard.NotNull(redis, nameof(redis));
        _redis = redis;
        _options = (options ?? new DistributedSingleFlightOptions()).Validated();
    }

    /// <summary>The group for <paramref name="operationName"/>, created on first use with this registry's settings.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The result type.</typeparam>
    /// <param name="operationName">The operation; every process that shares flights uses the same name.</param>
    /// <param name="jsonTypeInfo">The JSON contract of <typeparamref name="TValue"/>.</param>
    /// <param name="keyEncoder">A custom key encoding, or <see langword="null"/> for <see cref="DistributedKey.Encode{TKey}(TKey)"/>. Used on first use only.</param>
    /// <returns>The group.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="operationName"/> or <paramref name="jsonTypeInfo"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The operation name is already used with other key or result types.</exception>
    /// <exception cref="ObjectDisposedException">The registry was disposed.</exception>
    public DistributedSingleFlightGroup<TKey, TValue> GetGroup<TKey, TValue>(
        string operationName,
        JsonTypeInfo<TValue> jsonTypeInfo,
        Func<TKey, string>? keyEncoder = null)
        where TKey : notnull
    {
        Guard.NotNull(operationName, nameof(operationName));
        Guard.NotNull(jsonTypeInfo, nameof(jsonTypeInfo));
        return Get(operationName, () => new DistributedSingleFlightGroup<TKey, TValue>(_redis, operationName, jsonTypeInfo, _options, keyEncoder));
    }

    /// <summary>
    /// The group for <paramref name="operationName"/>, with the JSON contract of <typeparamref name="TValue"/> taken
    /// from <paramref name="jsonOptions"/>, or else from <see cref="DistributedSingleFlightOptions.JsonSerializerOptions"/>.
    /// </summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The result type.</typeparam>
    /// <param name="operationName">The operation; every process that shares flights uses the same name.</param>
    /// <param name="jsonOptions">
    /// Serializer options, or <see langword="null"/> for the registry's <see cref="DistributedSingleFlightOptions.JsonSerializerOptions"/>
    /// (and <see cref="JsonSerializerOptions.Default"/> when those are not set either). Used on first use only.
    /// </param>
    /// <returns>The group.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="operationName"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The operation name is already used with other key or result types.</exception>
    /// <exception cref="ObjectDisposedException">The registry was disposed.</exception>
    [RequiresUnreferencedCode("Reflection-based JSON serialization unless the options resolve the type from a JsonSerializerContext. Use the overload that takes a JsonTypeInfo for trimming and AOT.")]
    [RequiresDynamicCode("Reflection-based JSON serialization unless the options resolve the type from a JsonSerializerContext. Use the overload that takes a JsonTypeInfo for trimming and AOT.")]
    public DistributedSingleFlightGroup<TKey, TValue> GetGroup<TKey, TValue>(string operationName, JsonSerializerOptions? jsonOptions = null)
        where TKey : notnull
    {
        Guard.NotNull(operationName, nameof(operationName));
        return Get(operationName, () => new DistributedSingleFlightGroup<TKey, TValue>(
            _redis, operationName, JsonContracts.Resolve<TValue>(jsonOptions ?? _options.JsonSerializerOptions), _options));
    }

    /// <summary>Disposes every group handed out. If this registry is <see cref="Default"/>, <see cref="Default"/> becomes <see langword="null"/>.</summary>
    public void Dispose()
    {
        _disposed = true;
        ClearDefault(this);
        foreach (var group in _groups.Values)
        {
            group.Dispose();
        }

        _groups.Clear();
    }

    private DistributedSingleFlightGroup<TKey, TValue> Get<TKey, TValue>(string operationName, Func<DistributedSingleFlightGroup<TKey, TValue>> create)
        where TKey : notnull
    {
        Guard.NotDisposed(_disposed, this);
        if (!_groups.TryGetValue(operationName, out var existing))
        {
            var created = create();
            existing = _groups.GetOrAdd(operationName, created);
            if (!ReferenceEquals(existing, created))
            {
                created.Dispose();
            }
            else if (_disposed)
            {
                // Dispose ran while this group was being created: it may have missed it.
                _groups.TryRemove(operationName, out _);
                created.Dispose();
                Guard.NotDisposed(true, this);
            }
        }

        return existing as DistributedSingleFlightGroup<TKey, TValue>
            ?? throw new InvalidOperationException(
                $"The operation '{operationName}' is already used with the group type '{existing.GetType()}'; one operation name has one key type and one result type.");
    }
}
