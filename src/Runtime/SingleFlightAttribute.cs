using System;

namespace SingleFlight;

/// <summary>
/// Marks a <c>partial</c> method whose implementation the SingleFlight source generator writes: concurrent
/// calls with equal keys run the method's core implementation once and share its result.
/// </summary>
/// <remarks>
/// <para>
/// The annotated method is a partial declaration without a body. The user writes the real work in a
/// <em>core method</em> with the same parameters, return type and static-ness, named after the declaration
/// with <c>Core</c> inserted before a trailing <c>Async</c> (<c>GetUserAsync</c> → <c>GetUserCoreAsync</c>),
/// otherwise with <c>Core</c> appended (<c>GetUser</c> → <c>GetUserCore</c>).
/// </para>
/// <para>
/// Nothing is cached: once a flight ends, the next call runs the core method again — unless
/// <see cref="ShareForMilliseconds"/> opens a short window in which a successful flight's value is handed to new callers.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// [SingleFlight(KeyFrom = "id")]
/// public partial Task&lt;User?&gt; GetUserAsync(int id, CancellationToken cancellationToken = default);
///
/// private Task&lt;User?&gt; GetUserCoreAsync(int id, CancellationToken cancellationToken) => ...;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class SingleFlightAttribute : Attribute
{
    /// <summary>
    /// A C# expression over the method's parameters that produces the flight key, for example
    /// <c>"id"</c>, <c>"tenant, id"</c> (a composite key, built as a value tuple) or
    /// <c>"request.TenantId, request.Id"</c>. When <see langword="null"/>, empty or white space, the key is made of every
    /// parameter except <see cref="System.Threading.CancellationToken"/>s and parameters marked
    /// <see cref="NotKeyAttribute"/>.
    /// </summary>
    public string? KeyFrom { get; set; }

    /// <summary>
    /// Which callers share flights. The default, <see cref="SingleFlightScope.Type"/>, shares flights among
    /// all callers of the method on its closed containing type, whatever the instance.
    /// </summary>
    public SingleFlightScope Scope { get; set; } = SingleFlightScope.Type;

    /// <summary>
    /// The operation name reported in the <c>singleflight.operation</c> tag of metrics and spans (see
    /// <see cref="SingleFlightTelemetry"/>). Defaults to <c>Namespace.Type.Method</c>. Keep it low-cardinality:
    /// never a key or personal data.
    /// </summary>
    public string? OperationName { get; set; }

    /// <summary>
    /// Whether flights are shared across processes through Redis, not only inside this process. Needs the
    /// <c>SingleFlight.Generators.Redis</c> package, an asynchronous method, <see cref="SingleFlightScope.Type"/>
    /// scope, a non-generic method in a non-generic type, and a key made of strings, primitives, enums,
    /// <see cref="System.Guid"/>, dates, times or value tuples of them. The result crosses processes as JSON.
    /// </summary>
    /// <remarks>
    /// Configure Redis once at start-up with <c>services.AddSingleFlightRedis("redis:6379")</c>, or without dependency injection
    /// by setting <c>DistributedSingleFlight.Default</c>. Until one of them has run, calls coalesce in-process only.
    /// The operation name (<see cref="OperationName"/>, or <c>Namespace.Type.Method</c>) is what processes share
    /// flights on: keep it the same in every process, and set <see cref="OperationName"/> before renaming the method.
    /// </remarks>
    public bool Distributed { get; set; }

    /// <summary>
    /// The longest a flight may run, in milliseconds (the group's <see cref="SingleFlightGroup{TKey, TValue}.Deadline"/>).
    /// When it passes, the flight is detached (the next call starts a new one), every caller still waiting receives a
    /// <see cref="SingleFlightDeadlineExceededException"/>, and the core's <see cref="System.Threading.CancellationToken"/>
    /// is cancelled. Leave it out (0) for no deadline; a value of zero or less written here is reported as SF0003. With
    /// <see cref="Distributed"/>, the Redis leader also stops renewing its lease and releases the key at the deadline.
    /// </summary>
    /// <remarks>
    /// Measured on <see cref="System.TimeProvider.System"/>: the generated group is a private field, and its
    /// <see cref="SingleFlightGroup{TKey, TValue}.TimeProvider"/> can be replaced by tests (see docs/semantics.md).
    /// </remarks>
    public int DeadlineMilliseconds { get; set; }

    /// <summary>
    /// How long, in milliseconds, a successful flight's value is handed to new callers for the same key without running
    /// the core again (the group's <see cref="SingleFlightGroup{TKey, TValue}.ShareFor"/>). Failures are never kept, and
    /// the value leaves the group when the window ends. Leave it out (0) to keep nothing: a call that starts after a
    /// flight ended runs the core again. A value of zero or less written here is reported as SF0003, and so is a window
    /// on a <see cref="Distributed"/> method.
    /// </summary>
    public int ShareForMilliseconds { get; set; }

    /// <summary>
    /// Batches concurrent calls of a single-key method: calls for different keys that arrive within this many
    /// milliseconds of the first are served by one call of a <em>batch core</em>,
    /// <c>{Name}Core(IReadOnlyCollection&lt;TKey&gt; keys, CancellationToken)</c> returning a dictionary of the values by
    /// key (the group's <c>SingleFlightBatchGroup&lt;TKey, TValue&gt;.BatchWindow</c>). Equal keys still share one flight,
    /// and the first call of a batch waits no longer than the window. Leave it out (0) for no batching; a value of zero
    /// or less written here is reported as SF0003. Not with <see cref="Distributed"/>, <see cref="DeadlineMilliseconds"/>
    /// or <see cref="ShareForMilliseconds"/> (SF0003, SF0010).
    /// </summary>
    /// <remarks>
    /// A method whose key is a collection and whose result is a dictionary by key is a batch method already, with no
    /// option: its keys are coalesced one by one with the calls in flight (see docs/batching.md).
    /// </remarks>
    public int BatchWindowMilliseconds { get; set; }

    /// <summary>
    /// The most keys one batch core call receives (the group's <c>SingleFlightBatchGroup&lt;TKey, TValue&gt;.MaxBatchSize</c>):
    /// a batch of single-key calls is sent as soon as it holds this many keys, and a batch method's missing keys are
    /// split into core calls of at most this many. Leave it out (0) for no limit. On a single-key method it needs
    /// <see cref="BatchWindowMilliseconds"/>; a negative value, or a size without a window on a single-key method, is
    /// reported as SF0003.
    /// </summary>
    public int MaxBatchSize { get; set; }
}

/// <summary>Which callers of a <see cref="SingleFlightAttribute"/> method can share a flight.</summary>
public enum SingleFlightScope
{
    /// <summary>
    /// One group per method and closed containing type, held in a static field: calls on different
    /// instances share flights. This is what works for scoped or transient services.
    /// </summary>
    Type = 0,

    /// <summary>One group per object: only calls on the same instance share flights.</summary>
    Instance = 1,
}
