using Microsoft.CodeAnalysis;

namespace SingleFlight.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the SingleFlight analyzer reports, in id order. Each links to its page under
/// <c>docs/diagnostics/</c>; the ids are tracked in <c>AnalyzerReleases.Unshipped.md</c>.
/// </summary>
internal static class DiagnosticDescriptors
{
    /// <summary>
    /// Where the diagnostics pages live. Help links are this base plus <c>SFxxxx.md</c>; change it here only.
    /// </summary>
    public const string HelpLinkBase = "https://github.com/singleflight-generators/SingleFlight.Generators/blob/main/docs/diagnostics/";

    /// <summary>Category of the declaration and shape errors (SF0001–SF0003).</summary>
    public const string UsageCategory = "SingleFlight.Usage";

    /// <summary>Category of the key diagnostics (SF0004–SF0009).</summary>
    public const string KeyCategory = "SingleFlight.Key";

    /// <summary>Diagnostic property: the <c>KeyFrom</c> value a code fix should write.</summary>
    public const string NewKeyFromProperty = "NewKeyFrom";

    /// <summary>Diagnostic property: the core method's name (SF0001, SF0002).</summary>
    public const string CoreMethodNameProperty = "CoreMethodName";

    /// <summary>Diagnostic property on SF0001: <c>"true"</c> when the fix can move the body into a core method.</summary>
    public const string CanSplitProperty = "CanSplit";

    public static readonly DiagnosticDescriptor NotPartial = Create(
        "SF0001",
        "[SingleFlight] method or its containing type is not partial",
        "{0}",
        UsageCategory,
        DiagnosticSeverity.Error,
        "The generator implements a [SingleFlight] method in a partial part of its type, so the method must be a partial declaration without a body and every containing type must be partial. The code fix makes them partial and moves an existing body into the core method.");

    public static readonly DiagnosticDescriptor CoreMethod = Create(
        "SF0002",
        "The core method is missing or its signature does not match",
        "{0}",
        UsageCategory,
        DiagnosticSeverity.Error,
        "The generated wrapper calls a core method named after the [SingleFlight] method ('GetUserAsync' -> 'GetUserCoreAsync'), with the same parameters, return type, static-ness and type parameters. The code fix generates a stub.");

    public static readonly DiagnosticDescriptor UnsupportedShape = Create(
        "SF0003",
        "[SingleFlight] does not support this method shape",
        "{0}",
        UsageCategory,
        DiagnosticSeverity.Error,
        "A flight's result is shared between callers, so the method cannot have ref/out parameters, return by reference, be an iterator or async void, be an explicit interface implementation, or use Scope = Instance where no per-object group can exist.");

    public static readonly DiagnosticDescriptor InvalidKeyFrom = Create(
        "SF0004",
        "KeyFrom does not compile",
        "{0}",
        KeyCategory,
        DiagnosticSeverity.Error,
        "KeyFrom is a C# expression (or a comma-separated list of them) over the method's parameters. It is compiled into the generated wrapper, so it must bind there.");

    public static readonly DiagnosticDescriptor NonDeterministicKey = Create(
        "SF0005",
        "Key expression is not deterministic",
        "{0}",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Two calls with the same arguments must compute the same key, or they never share a flight. Clocks, random numbers, new GUIDs, identity hash codes, fresh objects and culture-dependent formatting give different keys for the same arguments.");

    public static readonly DiagnosticDescriptor ReferenceEqualityKey = Create(
        "SF0006",
        "Key type compares by reference",
        "{0}",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Flights are matched with the key's Equals. A class without an Equals override or IEquatable<T>, an array, a delegate, a Task, an interface or object compares by reference, so equal values from different callers never share a flight.");

    public static readonly DiagnosticDescriptor CancellationTokenInKey = Create(
        "SF0007",
        "CancellationToken in KeyFrom",
        "{0}",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Every caller has its own CancellationToken, so a key that contains one never matches another caller's key. The generated wrapper already passes the flight's own token to the core method.");

    public static readonly DiagnosticDescriptor ParameterNotInKey = Create(
        "SF0008",
        "Parameter is not part of the key",
        "{0}",
        KeyCategory,
        DiagnosticSeverity.Info,
        "Callers whose arguments differ only in a parameter that is not in the key share one flight, so one of them may receive a result computed for another's argument (another tenant, another user). Name the parameter in KeyFrom, or mark it [NotKey] when sharing is intended.");

    public static readonly DiagnosticDescriptor StringCompositeKey = Create(
        "SF0009",
        "Composite key built from a string",
        "{0}",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Joining values into one string can make different arguments produce the same key (\"a:b\" + \"c\" and \"a\" + \"b:c\") and allocates on every call. List the values separated by commas instead: the generator builds a value tuple key, which cannot collide.");

    public static readonly DiagnosticDescriptor DistributedNotSupported = Create(
        "SF0010",
        "Distributed = true is not supported here",
        "{0}",
        UsageCategory,
        DiagnosticSeverity.Error,
        "A distributed flight is shared through Redis by every process that uses the same operation name and key. It needs the SingleFlight.Generators.Redis package, an asynchronous method (Task, Task<T>, ValueTask, ValueTask<T>), the default Scope (Type), a non-generic method in a non-generic type, and a key whose every part has a canonical text form the same in every process: strings, primitives, enums, Guid, DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan, their nullable forms and value tuples of them. Two distributed methods of one type must not share an operation name.");

    /// <summary>
    /// Reported when the whole compilation has been seen (a build, or full-solution analysis in the IDE): it compares
    /// the operation names of distributed methods across types.
    /// </summary>
    public static readonly DiagnosticDescriptor DistributedOperationNameReused = Create(
        "SF0011",
        "Distributed operation name used by methods of several types",
        "{0}",
        UsageCategory,
        DiagnosticSeverity.Error,
        "Processes share distributed flights by operation name and key. Two [SingleFlight(Distributed = true)] methods with the same OperationName share flights: with the same key and result types, one method's callers receive the other's results; with different ones, calls are coalesced in-process only. Give every distributed method its own OperationName.",
        WellKnownDiagnosticTags.CompilationEnd);

    private static DiagnosticDescriptor Create(
        string id,
        string title,
        string messageFormat,
        string category,
        DiagnosticSeverity severity,
        string description,
        params string[] customTags)
        => new(
            id,
            title,
            messageFormat,
            category,
            severity,
            isEnabledByDefault: true,
            description: description,
            helpLinkUri: HelpLinkBase + id + ".md",
            customTags: customTags);
}
