using System;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Redis;

/// <summary>
/// One distributed operation bound late to <see cref="DistributedSingleFlight.Default"/>: what a
/// <c>[SingleFlight(Distributed = true)]</c> method's generated code holds in a static field. Each call uses the
/// group of the registry that is the default at that moment; while there is none, calls coalesce in-process only.
/// </summary>
/// <typeparam name="TKey">The key type: see <see cref="DistributedKey"/> for the types it encodes.</typeparam>
/// <typeparam name="TValue">The result type; results cross processes as JSON.</typeparam>
/// <remarks>
/// Usable by hand too, where a group is needed before Redis is configured (in a static field, say). With a registry
/// at hand, <see cref="DistributedSingleFlight.GetGroup{TKey, TValue}(string, JsonTypeInfo{TValue}, Func{TKey, string}?)"/>
/// is simpler.
/// </remarks>
public sealed class DistributedSingleFlightOperation<TKey, TValue>
    where TKey : notnull
{
    private readonly JsonTypeInfo<TValue>? _jsonTypeInfo;
    private readonly SingleFlightGroup<TKey, TValue> _local;
    private Binding? _binding;
    private TimeSpan? _deadline;

    /// <summary>Creates the operation; results cross processes with the given JSON contract (trimming and AOT safe).</summary>
    /// <param name="operationName">The operation's name: processes share flights when they use the same name and key.</param>
    /// <param name="jsonTypeInfo">The JSON contract of <typeparamref name="TValue"/>, e.g. from a <c>JsonSerializerContext</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="operationName"/> or <paramref name="jsonTypeInfo"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="operationName"/> is empty.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="TKey"/> has no canonical distributed encoding.</exception>
    public DistributedSingleFlightOperation(string operationName, JsonTypeInfo<TValue> jsonTypeInfo)
        : this(operationName)
    {
        Guard.NotNull(jsonTypeInfo, nameof(jsonTypeInfo));
        _jsonTypeInfo = jsonTypeInfo;
    }

    /// <summary>
    /// Creates the operation; results cross processes with the registry's
    /// <see cref="DistributedSingleFlightOptions.JsonSerializerOptions"/> (reflection unless they name a resolver).
    /// </summary>
    /// <param name="operationName">The operation's name: processes share flights when they use the same name and key.</param>
    /// <exception cref="ArgumentNullException"><paramref name="operationName"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="operationName"/> is empty.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="TKey"/> has no canonical distributed encoding.</exception>
    [RequiresUnreferencedCode("Reflection-based JSON serialization unless DistributedSingleFlightOptions.JsonSerializerOptions resolves the type. List the result type in a JsonSerializerContext for trimming and AOT.")]
    [RequiresDynamicCode("Reflection-based JSON serialization unless DistributedSingleFlightOptions.JsonSerializerOptions resolves the type. List the result type in a JsonSerializerContext for trimming and AOT.")]
    public DistributedSingleFlightOperation(string operationName)
    {
        Guard.NotNull(operationName, nameof(operationName));
        if (operationName.Length == 0)
        {
            throw new ArgumentException("The operation name must not be empty.", nameof(operationName));
        }

        DistributedKey.EnsureSupported(typeof(TKey));
        Name = operationName;
        _local = new SingleFlightGroup<TKey, TValue> { Name = operationName };
    }

    /// <summary>The operation's name.</summary>
    public string Name { get; }

    /// <summary>
    /// The longest a flight may run, in this process and as the Redis leader (a <c>[SingleFlight(DeadlineMilliseconds =
    /// ...)]</c> method sets it); <see langword="null"/> to use <see cref="DistributedSingleFlightOptions.Deadline"/>.
    /// See <see cref="DistributedSingleFlightGroup{TKey, TValue}.Deadline"/>.
    /// </summary>
    /// <remarks>Set it where the operation is created: a distributed group already bound to the registry keeps its value.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative or longer than <see cref="int.MaxValue"/> ms.</exception>
    public TimeSpan? Deadline
    {
        get => _deadline;
        set
        {
            _local.Deadline = value;
            _deadline = value;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> for <paramref name="key"/> through the group of <see cref="DistributedSingleFlight.Default"/>,
    /// or through an in-process group while there is no default.
    /// </summary>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="work">The work; it receives a token cancelled when every caller in this process has cancelled.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The flight's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="OperationCanceledException">This caller's <paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="DistributedSingleFlightException">The flight ran in another process and its work failed.</exception>
    public ValueTask<TValue> DoAsync(TKey key, Func<CancellationToken, ValueTask<TValue>> work, CancellationToken cancellationToken = default)
    {
        Guard.NotNull(work, nameof(work));
        return DoAsync(key, work, static (w, ct) => w(ct), cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="work"/> with <paramref name="state"/> for <paramref name="key"/> through the group of
    /// <see cref="DistributedSingleFlight.Default"/>, or through an in-process group while there is no default.
    /// </summary>
    /// <typeparam name="TState">The type of the state passed to the work.</typeparam>
    /// <param name="key">The key that identifies the work.</param>
    /// <param name="state">The state passed to <paramref name="work"/> if this process runs it.</param>
    /// <param name="work">The work; it receives a token cancelled when every caller in this process has cancelled.</param>
    /// <param name="cancellationToken">Cancels this caller's wait only.</param>
    /// <returns>The flight's result.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    /// <exception cref="OperationCanceledException">This caller's <paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="DistributedSingleFlightException">The flight ran in another process and its work failed.</exception>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The constructor without a JsonTypeInfo carries the warning.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "The constructor without a JsonTypeInfo carries the warning.")]
    public ValueTask<TValue> DoAsync<TState>(
        TKey key,
        TState state,
        Func<TState, CancellationToken, ValueTask<TValue>> work,
        CancellationToken cancellationToken = default)
    {
        Guard.NotNull(key, nameof(key));
        Guard.NotNull(work, nameof(work));
        var reason = RedisTelemetry.NotConfigured;
        var registry = DistributedSingleFlight.Default;
        if (registry is not null && !registry.IsDisposed)
        {
            var binding = _binding;
            if (binding is null || !ReferenceEquals(binding.Registry, registry))
            {
                binding = Bind(registry);
            }

            if (binding.Group is { } group)
            {
                try
                {
                    return group.DoAsync(key, state, work, cancellationToken);
                }
                catch (ObjectDisposedException)
                {
                    // The registry was disposed after the check (the host is stopping): answer in-process.
                }
            }
            else
            {
                reason = binding.Failure!;
            }
        }

        return _local.DoAsync(
            key,
            (Name, Reason: reason, State: state, Work: work),
            static (call, flightToken) =>
            {
                RedisTelemetry.Record(call.Name, RedisTelemetry.LocalFallback, call.Reason);
                return call.Work(call.State, flightToken);
            },
            cancellationToken);
    }

    /// <summary>
    /// The group of <paramref name="registry"/> for this operation, remembered until the default registry changes. A
    /// registry that cannot give one (the name is taken by other key or result types, its serializer options do not
    /// know the result type) is remembered too, with the reason: calls then run in-process, counted as
    /// <c>local_fallback</c> with the reason <c>bind:</c> and the exception type, and the registry's logger says why
    /// once. A configuration mistake costs coalescing across processes, not the calls.
    /// </summary>
    [RequiresUnreferencedCode("Reflection-based JSON serialization when no JsonTypeInfo was given.")]
    [RequiresDynamicCode("Reflection-based JSON serialization when no JsonTypeInfo was given.")]
    private Binding Bind(DistributedSingleFlight registry)
    {
        Binding binding;
        try
        {
            var group = _jsonTypeInfo is null
                ? registry.GetGroup<TKey, TValue>(Name)
                : registry.GetGroup<TKey, TValue>(Name, _jsonTypeInfo);
            if (_deadline is { } deadline)
            {
                group.Deadline = deadline;
            }

            binding = new Binding(registry, group, null);
        }
        catch (ObjectDisposedException)
        {
            // Not remembered: the next call sees the registry disposed, or a new default.
            return new Binding(registry, null, RedisTelemetry.NotConfigured);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or ArgumentException)
        {
            binding = new Binding(registry, null, "bind:" + RedisTelemetry.ReasonOf(ex));
            RedisHealthLog.BindFailed(registry.Options.LoggerFactory, Name, ex);
        }

        _binding = binding;
        return binding;
    }

    private sealed record Binding(DistributedSingleFlight Registry, DistributedSingleFlightGroup<TKey, TValue>? Group, string? Failure);
}
