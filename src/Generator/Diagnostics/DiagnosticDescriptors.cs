using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

// RS1032 counts sentences by their full stops; these messages name code ('a.b', "x; y") and end in ')', '?' or a quote.
#pragma warning disable RS1032

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

    /// <summary>Diagnostic property on SF0016 (no core at all): the batch core's signature, fully qualified, for the code fix.</summary>
    public const string BatchCoreSignatureProperty = "BatchCoreSignature";

    /// <summary>SF0001: the method or a containing type is not partial.</summary>
    public const string NotPartialId = "SF0001";

    /// <summary>SF0002: the core method is missing or does not match.</summary>
    public const string CoreMethodId = "SF0002";

    /// <summary>SF0003: an unsupported shape.</summary>
    public const string UnsupportedShapeId = "SF0003";

    /// <summary>SF0004: <c>KeyFrom</c> does not compile.</summary>
    public const string InvalidKeyFromId = "SF0004";

    // ---- SF0001: not partial ------------------------------------------------------------------------------

    private const string NotPartialTitle = "[SingleFlight] method or its containing type is not partial";

    private const string NotPartialDescription = "The generator implements a [SingleFlight] method in a partial part of its type, so the method must be a partial declaration without a body and every containing type must be partial. The code fix makes them partial and moves an existing body into the core method.";

    /// <summary>{0}: the method; {1}: its core method.</summary>
    public static readonly DiagnosticDescriptor NotPartialWithBody = Create(
        NotPartialId,
        NotPartialTitle,
        "'{0}' is not partial: the generator implements [SingleFlight] methods, so '{0}' must be a partial declaration without a body. Make it partial and move its body into '{1}' (the code fix does both).",
        UsageCategory,
        DiagnosticSeverity.Error,
        NotPartialDescription);

    /// <summary>{0}: the method; {1}: its core method.</summary>
    public static readonly DiagnosticDescriptor NotPartial = Create(
        NotPartialId,
        NotPartialTitle,
        "'{0}' is not partial: the generator implements [SingleFlight] methods, so '{0}' must be declared 'partial' without a body, with the work in '{1}'.",
        UsageCategory,
        DiagnosticSeverity.Error,
        NotPartialDescription);

    /// <summary>{0}: the method; {1}: its core method.</summary>
    public static readonly DiagnosticDescriptor AlreadyImplemented = Create(
        NotPartialId,
        NotPartialTitle,
        "'{0}' already has an implementation: the generator writes the implementation of a [SingleFlight] method. Keep a partial declaration without a body and move the work into '{1}'.",
        UsageCategory,
        DiagnosticSeverity.Error,
        NotPartialDescription);

    /// <summary>{0}: the type as displayed; {1}: the method; {2}: the type's name.</summary>
    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Create(
        NotPartialId,
        NotPartialTitle,
        "'{0}' is not partial: the generator adds the implementation of '{1}' in a partial part of every containing type. Add 'partial' to '{2}'.",
        UsageCategory,
        DiagnosticSeverity.Error,
        NotPartialDescription);

    // ---- SF0002: the core method -------------------------------------------------------------------------

    private const string CoreMethodTitle = "The core method is missing or its signature does not match";

    private const string CoreMethodDescription = "The generated wrapper calls a core method named after the [SingleFlight] method ('GetUserAsync' -> 'GetUserCoreAsync'), with the same parameters, return type, static-ness and type parameters. The code fix generates a stub.";

    /// <summary>{0}: the type; {1}: the core method's name; {2}: the method; {3}: the core's signature.</summary>
    public static readonly DiagnosticDescriptor CoreMethod = Create(
        CoreMethodId,
        CoreMethodTitle,
        "'{0}' has no core method '{1}' for '{2}': add '{3}' and put the work there (the code fix adds a stub).",
        UsageCategory,
        DiagnosticSeverity.Error,
        CoreMethodDescription);

    /// <summary>{0}: the candidate as displayed; {1}: the method; {2}: the core's signature.</summary>
    public static readonly DiagnosticDescriptor CoreMethodMismatch = Create(
        CoreMethodId,
        CoreMethodTitle,
        "The core method '{0}' does not match '{1}': it must be '{2}', with the same parameters (and their nullability), return type, static-ness and type parameters.",
        UsageCategory,
        DiagnosticSeverity.Error,
        CoreMethodDescription);

    /// <summary>{0}: the core method's name.</summary>
    public static readonly DiagnosticDescriptor CoreMethodHasNoBody = Create(
        CoreMethodId,
        CoreMethodTitle,
        "The core method '{0}' has no body in source, so KeyFrom cannot be bound in its context: give '{0}' a body, or remove KeyFrom to key on every parameter.",
        UsageCategory,
        DiagnosticSeverity.Error,
        CoreMethodDescription);

    /// <summary>{0}: the core method's name; {1}: the type; {2}: where to add one.</summary>
    public static readonly DiagnosticDescriptor FlightScopeWithoutScopeFactory = Create(
        CoreMethodId,
        CoreMethodTitle,
        "The core method '{0}' has [FromFlightScope] parameters, but '{1}' has no IServiceScopeFactory to create the flight's scope from: add one {2} (Microsoft.Extensions.DependencyInjection.Abstractions).",
        UsageCategory,
        DiagnosticSeverity.Error,
        CoreMethodDescription);

    /// <summary>{0}: the core method's name; {1}: the type; {2}: the members, quoted.</summary>
    public static readonly DiagnosticDescriptor FlightScopeAmbiguousScopeFactory = Create(
        CoreMethodId,
        CoreMethodTitle,
        "The core method '{0}' has [FromFlightScope] parameters, and '{1}' has several IServiceScopeFactory members ({2}): keep one, so that it is clear which container the flight's scope comes from.",
        UsageCategory,
        DiagnosticSeverity.Error,
        CoreMethodDescription);

    /// <summary>{0}: the core method's name; {1}: the primary-constructor parameter.</summary>
    public static readonly DiagnosticDescriptor FlightScopeFactoryHandedOn = Create(
        CoreMethodId,
        CoreMethodTitle,
        "The core method '{0}' has [FromFlightScope] parameters, and the primary-constructor parameter '{1}' is the only IServiceScopeFactory of its type, but it is also passed to the base constructor or used to initialize a member, so the generated code cannot capture it as well (CS9107, CS9124). Keep it in a field or property of type IServiceScopeFactory: the flight uses that.",
        UsageCategory,
        DiagnosticSeverity.Error,
        CoreMethodDescription);

    // ---- SF0003: unsupported shape -----------------------------------------------------------------------

    private const string ShapeTitle = "[SingleFlight] does not support this method shape";

    private const string ShapeDescription = "A flight's result is shared between callers, so the method cannot have ref/out parameters, return by reference, be an iterator or async void, be an explicit interface implementation, or use Scope = Instance where no per-object group can exist.";

    /// <summary>{0}: the parameter; {1}: the method; {2}: its ref kind.</summary>
    public static readonly DiagnosticDescriptor RefOrOutParameter = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "Parameter '{0}' of '{1}' is passed by '{2}': callers that share a flight cannot each get a value written back. Pass it by value, or drop [SingleFlight].",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the parameter; {1}: the method; {2}: its type.</summary>
    public static readonly DiagnosticDescriptor UnsupportedParameterType = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "Parameter '{0}' of '{1}' has type '{2}', which cannot be kept for the duration of a flight (ref struct, pointer). Use a type that can be stored, such as string or an array.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method.</summary>
    public static readonly DiagnosticDescriptor ArgList = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' takes __arglist, which cannot be kept for the duration of a flight. Use ordinary parameters.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the type parameter; {1}: the method.</summary>
    public static readonly DiagnosticDescriptor TypeParameterAllowsRefStruct = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "Type parameter '{0}' of '{1}' allows ref struct: a flight keeps its arguments and shares its result, which a ref struct cannot be. Remove 'allows ref struct', or drop [SingleFlight].",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method.</summary>
    public static readonly DiagnosticDescriptor RefReturn = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' returns by reference: a result shared by several callers cannot be a reference. Return by value.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method; {1}: its return type.</summary>
    public static readonly DiagnosticDescriptor UnsupportedReturnType = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' returns '{1}', which cannot be shared between callers (ref struct, pointer). Return a type that can be stored.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method; {1}: its return type.</summary>
    public static readonly DiagnosticDescriptor Iterator = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' is an iterator or returns an async stream ('{1}'): a lazily produced sequence cannot be shared between callers. Return a materialized collection, for example Task<IReadOnlyList<T>>.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the core method; {1}: the method.</summary>
    public static readonly DiagnosticDescriptor AsyncVoid = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' is async void: the wrapper of '{1}' could not wait for it, so joiners would not get its outcome. Return Task (or ValueTask) from both methods.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method.</summary>
    public static readonly DiagnosticDescriptor ExplicitInterfaceImplementation = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' is an explicit interface implementation, which the generator does not implement. Implement the interface member with a method that calls a [SingleFlight] method.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the type; {1}: what it is ("an interface"...); {2}: the method.</summary>
    public static readonly DiagnosticDescriptor UnsupportedContainingType = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' is {1}: the generator cannot add the implementation of '{2}' to it. Move the method to a class or struct.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method.</summary>
    public static readonly DiagnosticDescriptor InstanceScopeOnStaticMethod = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' is static, so Scope = SingleFlightScope.Instance has no instance to hold its group. Remove Scope (the default, Type, shares one group per type).",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the type.</summary>
    public static readonly DiagnosticDescriptor InstanceScopeOnStruct = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' is a struct: a per-instance group would be copied with the struct and callers on different copies would not share flights. Remove Scope = SingleFlightScope.Instance, or make '{0}' a class.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the type.</summary>
    public static readonly DiagnosticDescriptor InstanceScopeOnRecord = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' is a record: a per-instance group field would become part of its value equality. Remove Scope = SingleFlightScope.Instance, or use a class.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method.</summary>
    public static readonly DiagnosticDescriptor InstanceScopeOnGenericMethod = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' is generic: a per-instance group cannot depend on the method's type parameters. Remove Scope = SingleFlightScope.Instance.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method; {1}: the undefined value.</summary>
    public static readonly DiagnosticDescriptor UndefinedScope = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "Scope of '{0}' is {1}, which is not a SingleFlightScope value. Use SingleFlightScope.Type (the default) or SingleFlightScope.Instance.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method name; {1}: the value written.</summary>
    public static readonly DiagnosticDescriptor NonPositiveDeadline = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "DeadlineMilliseconds of '{0}' is {1}: a deadline is a positive number of milliseconds. Leave the argument out for no deadline.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method name; {1}: the value written.</summary>
    public static readonly DiagnosticDescriptor NonPositiveShareWindow = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "ShareForMilliseconds of '{0}' is {1}: a share window is a positive number of milliseconds. Leave the argument out to keep nothing once a flight ends.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method name.</summary>
    public static readonly DiagnosticDescriptor ShareWindowOnDistributed = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "ShareForMilliseconds is not supported on '{0}' with Distributed = true: a value kept by one process would not be handed to callers in the others. Remove ShareForMilliseconds, or Distributed.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method name; {1}: the value written.</summary>
    public static readonly DiagnosticDescriptor NonPositiveBatchWindow = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "BatchWindowMilliseconds of '{0}' is {1}: a batch window is a positive number of milliseconds. Leave the argument out for no batching.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method name; {1}: the value written.</summary>
    public static readonly DiagnosticDescriptor NegativeMaxBatchSize = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "MaxBatchSize of '{0}' is {1}: a batch size is a positive number of keys. Leave the argument out (0) for no limit.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method name.</summary>
    public static readonly DiagnosticDescriptor MaxBatchSizeWithoutWindow = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "MaxBatchSize of '{0}' has no effect without BatchWindowMilliseconds: single-key calls are batched only within a window. Add BatchWindowMilliseconds, or remove MaxBatchSize.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method name; {1}: its key parameter.</summary>
    public static readonly DiagnosticDescriptor BatchWindowOnBatchMethod = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "BatchWindowMilliseconds has no effect on '{0}': it takes its keys as a collection ('{1}'), so each call is already one batch whose keys are coalesced with the calls in flight. Remove BatchWindowMilliseconds (MaxBatchSize still splits large batches).",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method name; {1}: the option ("DeadlineMilliseconds" or "ShareForMilliseconds").</summary>
    public static readonly DiagnosticDescriptor BatchWithLifetimeOption = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "{1} is not supported on '{0}': a batch flight serves many keys at once, and the batch group has no per-key deadline or share window. Remove {1}.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method name; {1}: what the method has.</summary>
    public static readonly DiagnosticDescriptor BatchUnsupportedSignature = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' is a batch method, and batch methods cannot be {1} yet. Make it non-generic, or take the keys one by one.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method name; {1}: the key type.</summary>
    public static readonly DiagnosticDescriptor BatchNullableKey = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "The keys of '{0}' are of type '{1}', which may be null: a batch key is a dictionary key, so it cannot be null. Use a non-nullable key type.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: the method name; {1}: its return type.</summary>
    public static readonly DiagnosticDescriptor BatchedNotAsync = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "'{0}' batches its calls (BatchWindowMilliseconds), so it must return Task<T> or ValueTask<T>, not '{1}': a call waits for its batch. Return Task<T> or ValueTask<T>, or remove BatchWindowMilliseconds.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    /// <summary>{0}: "local function 'name'" or "a lambda".</summary>
    public static readonly DiagnosticDescriptor NotAMethod = Create(
        UnsupportedShapeId,
        ShapeTitle,
        "[SingleFlight] on {0} has no effect: the generator only implements partial methods of classes and structs. Move the work into a partial method of the containing type.",
        UsageCategory,
        DiagnosticSeverity.Error,
        ShapeDescription);

    // ---- SF0004: KeyFrom does not compile ----------------------------------------------------------------

    private const string InvalidKeyFromTitle = "KeyFrom does not compile";

    private const string InvalidKeyFromDescription = "KeyFrom is a C# expression (or a comma-separated list of them) over the method's parameters. It is compiled into the generated wrapper, so it must bind there.";

    /// <summary>{0}: the KeyFrom text; {1}: the method; {2}: what is wrong, as a sentence.</summary>
    public static readonly DiagnosticDescriptor InvalidKeyFrom = Create(
        InvalidKeyFromId,
        InvalidKeyFromTitle,
        "KeyFrom \"{0}\" of '{1}' does not compile: {2} Write an expression over the parameters of '{1}'.",
        KeyCategory,
        DiagnosticSeverity.Error,
        InvalidKeyFromDescription);

    /// <summary>{0}: the unknown name; {1}: the method; {2}: the closest parameter name.</summary>
    public static readonly DiagnosticDescriptor UnknownKeyFromNameWithSuggestion = Create(
        InvalidKeyFromId,
        InvalidKeyFromTitle,
        "KeyFrom names '{0}', which is not a parameter of '{1}'. Did you mean '{2}'?",
        KeyCategory,
        DiagnosticSeverity.Error,
        InvalidKeyFromDescription);

    /// <summary>{0}: the unknown name; {1}: the method; {2}: its parameters.</summary>
    public static readonly DiagnosticDescriptor UnknownKeyFromName = Create(
        InvalidKeyFromId,
        InvalidKeyFromTitle,
        "KeyFrom names '{0}', which is not a parameter of '{1}'. Its parameters are: {2}.",
        KeyCategory,
        DiagnosticSeverity.Error,
        InvalidKeyFromDescription);

    public static readonly DiagnosticDescriptor NonDeterministicKey = Create(
        "SF0005",
        "Key expression is not deterministic",
        "Key expression '{0}' {1}: two calls with the same arguments get different keys and never share a flight. Key on the method's arguments only.",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Two calls with the same arguments must compute the same key, or they never share a flight. Clocks, random numbers, new GUIDs, identity hash codes, fresh objects and culture-dependent formatting give different keys for the same arguments.");

    /// <summary>{0}: the expression; {1}: its type; {2}: the type's name.</summary>
    public static readonly DiagnosticDescriptor NewObjectKey = Create(
        "SF0005",
        "Key expression is not deterministic",
        "Key expression '{0}' creates a new '{1}' on every call, and '{2}' compares by reference: two calls with the same arguments get different keys and never share a flight. Key on the values it is built from instead.",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Two calls with the same arguments must compute the same key, or they never share a flight. Clocks, random numbers, new GUIDs, identity hash codes, fresh objects and culture-dependent formatting give different keys for the same arguments.");

    /// <summary>{0}: the expression; {1}: the formatted type.</summary>
    public static readonly DiagnosticDescriptor CultureFormattedKey = Create(
        "SF0005",
        "Key expression is not deterministic",
        "Key expression '{0}' formats a '{1}' with the current culture: callers on threads with different cultures get different keys. Key on the value itself, or format it with CultureInfo.InvariantCulture.",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Two calls with the same arguments must compute the same key, or they never share a flight. Clocks, random numbers, new GUIDs, identity hash codes, fresh objects and culture-dependent formatting give different keys for the same arguments.");

    /// <summary>{0}: the expression; {1}: the formatted type.</summary>
    public static readonly DiagnosticDescriptor CultureFormatCallKey = Create(
        "SF0005",
        "Key expression is not deterministic",
        "Key expression '{0}' formats a '{1}' with the current culture: callers on threads with different cultures get different keys. Key on the value itself, or pass CultureInfo.InvariantCulture.",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Two calls with the same arguments must compute the same key, or they never share a flight. Clocks, random numbers, new GUIDs, identity hash codes, fresh objects and culture-dependent formatting give different keys for the same arguments.");

    /// <summary>{0}: the expression.</summary>
    public static readonly DiagnosticDescriptor CultureStringKey = Create(
        "SF0005",
        "Key expression is not deterministic",
        "Key expression '{0}' is turned into a string with the current culture: callers on threads with different cultures get different keys. Key on the value itself, or format it with CultureInfo.InvariantCulture.",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Two calls with the same arguments must compute the same key, or they never share a flight. Clocks, random numbers, new GUIDs, identity hash codes, fresh objects and culture-dependent formatting give different keys for the same arguments.");

    public static readonly DiagnosticDescriptor ReferenceEqualityKey = Create(
        "SF0006",
        "Key type compares by reference",
        "Key part '{0}' has type '{1}'{2}, which is {3}: equal values from different callers never share a flight. Key on value members (such as an id), or give the type value equality (a record, or Equals and GetHashCode overrides).",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Flights are matched with the key's Equals. A class without an Equals override or IEquatable<T>, an array, a delegate, a Task, an interface or object compares by reference, so equal values from different callers never share a flight.");

    /// <summary>{0}: the parameter; {1}: the method; {2}: the type that compares by reference; {3}: why.</summary>
    public static readonly DiagnosticDescriptor ReferenceEqualityDefaultKey = Create(
        "SF0006",
        "Key type compares by reference",
        "Parameter '{0}' is part of the default key of '{1}', and its type '{2}' is {3}: equal values from different callers never share a flight. Set KeyFrom to value members of it (such as an id), mark it [NotKey], or give the type value equality.",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Flights are matched with the key's Equals. A class without an Equals override or IEquatable<T>, an array, a delegate, a Task, an interface or object compares by reference, so equal values from different callers never share a flight.");

    public static readonly DiagnosticDescriptor CancellationTokenInKey = Create(
        "SF0007",
        "CancellationToken in KeyFrom",
        "KeyFrom uses the CancellationToken '{0}': every caller has its own token, so keys never match. Remove it from KeyFrom; the core method receives the flight's own token.",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Every caller has its own CancellationToken, so a key that contains one never matches another caller's key. The generated wrapper already passes the flight's own token to the core method.");

    public static readonly DiagnosticDescriptor ParameterNotInKey = Create(
        "SF0008",
        "Parameter is not part of the key",
        "Parameter '{0}' of '{1}' is not in KeyFrom \"{2}\": callers that differ only in '{0}' share one flight and get the same result. Add '{0}' to KeyFrom, or mark it [NotKey] if sharing is intended.",
        KeyCategory,
        DiagnosticSeverity.Info,
        "Callers whose arguments differ only in a parameter that is not in the key share one flight, so one of them may receive a result computed for another's argument (another tenant, another user). Name the parameter in KeyFrom, or mark it [NotKey] when sharing is intended.");

    public static readonly DiagnosticDescriptor StringCompositeKey = Create(
        "SF0009",
        "Composite key built from a string",
        "Key part '{0}' joins {1} values into one string: different arguments can produce the same key, and every call allocates. List them as separate key parts instead: KeyFrom = \"{2}\"{3}.",
        KeyCategory,
        DiagnosticSeverity.Warning,
        "Joining values into one string can make different arguments produce the same key (\"a:b\" + \"c\" and \"a\" + \"b:c\") and allocates on every call. List the values separated by commas instead: the generator builds a value tuple key, which cannot collide.");

    // ---- SF0010: Distributed = true where it cannot work --------------------------------------------------

    private const string DistributedTitle = "Distributed = true is not supported here";

    private const string DistributedDescription = "A distributed flight is shared through Redis by every process that uses the same operation name and key. It needs the SingleFlight.Generators.Redis package, an asynchronous method (Task, Task<T>, ValueTask, ValueTask<T>), the default Scope (Type), a non-generic method in a non-generic type, and a key whose every part has a canonical text form the same in every process: strings, primitives, enums, Guid, DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan, their nullable forms and value tuples of them. Two distributed methods of one type must not share an operation name.";

    /// <summary>{0}: the method.</summary>
    public static readonly DiagnosticDescriptor DistributedNotSupported = Create(
        "SF0010",
        DistributedTitle,
        "'{0}' has Distributed = true, but the project does not reference the SingleFlight.Generators.Redis package that shares flights through Redis. Add the package, or remove Distributed.",
        UsageCategory,
        DiagnosticSeverity.Error,
        DistributedDescription);

    /// <summary>{0}: the method; {1}: its return type.</summary>
    public static readonly DiagnosticDescriptor DistributedBlockingMethod = Create(
        "SF0010",
        DistributedTitle,
        "'{0}' blocks its caller (it returns '{1}'), and a distributed flight waits on Redis. Return Task or ValueTask (with or without a result), or remove Distributed.",
        UsageCategory,
        DiagnosticSeverity.Error,
        DistributedDescription);

    /// <summary>{0}: the method.</summary>
    public static readonly DiagnosticDescriptor DistributedInstanceScope = Create(
        "SF0010",
        DistributedTitle,
        "'{0}' has Scope = SingleFlightScope.Instance, but a distributed flight is shared by every process, so it cannot belong to one object. Remove Scope, or remove Distributed.",
        UsageCategory,
        DiagnosticSeverity.Error,
        DistributedDescription);

    /// <summary>{0}: the method; {1}: the generic type.</summary>
    public static readonly DiagnosticDescriptor DistributedInGenericType = Create(
        "SF0010",
        DistributedTitle,
        "'{0}' is in the generic type '{1}': every closed type would share one distributed operation name with different key or result types. Move the method to a non-generic type, or remove Distributed.",
        UsageCategory,
        DiagnosticSeverity.Error,
        DistributedDescription);

    /// <summary>{0}: the method.</summary>
    public static readonly DiagnosticDescriptor DistributedGenericMethod = Create(
        "SF0010",
        DistributedTitle,
        "'{0}' is generic: every type argument list would share one distributed operation name with different key or result types. Make it non-generic, or remove Distributed.",
        UsageCategory,
        DiagnosticSeverity.Error,
        DistributedDescription);

    /// <summary>{0}: the method; {1}: the operation name; {2}: the other method.</summary>
    public static readonly DiagnosticDescriptor DistributedDuplicateOperationName = Create(
        "SF0010",
        DistributedTitle,
        "'{0}' shares the distributed operation name '{1}' with '{2}': processes share flights by operation name, so the two methods would receive each other's results. Give one of them its own OperationName.",
        UsageCategory,
        DiagnosticSeverity.Error,
        DistributedDescription);

    /// <summary>{0}: the method; {1}: the key part's type.</summary>
    public static readonly DiagnosticDescriptor DistributedKeyType = Create(
        "SF0010",
        DistributedTitle,
        "The key of '{0}' has a part of type '{1}', which has no text form that is the same in every process, so it cannot name a distributed flight. Key on strings, primitives, enums, Guid, dates or times (for example KeyFrom = \"request.Id\"), or remove Distributed.",
        UsageCategory,
        DiagnosticSeverity.Error,
        DistributedDescription);

    /// <summary>{0}: the method.</summary>
    public static readonly DiagnosticDescriptor DistributedBatch = Create(
        "SF0010",
        DistributedTitle,
        "'{0}' is a batch method (or batches its calls), and batch flights are not shared across processes: Redis elects one process per key, and a batch would need one election per key and a leader that answers for many keys at once. Its keys are coalesced in this process only. Remove Distributed.",
        UsageCategory,
        DiagnosticSeverity.Error,
        DistributedDescription);

    /// <summary>
    /// Reported when the whole compilation has been seen (a build, or full-solution analysis in the IDE): it compares
    /// the operation names of distributed methods across types.
    /// </summary>
    public static readonly DiagnosticDescriptor DistributedOperationNameReused = Create(
        "SF0011",
        "Distributed operation name used by methods of several types",
        "'{0}' shares the distributed operation name '{1}' with '{2}': processes share flights by operation name, so the two methods would share flights. Give each its own OperationName.",
        UsageCategory,
        DiagnosticSeverity.Error,
        "Processes share distributed flights by operation name and key. Two [SingleFlight(Distributed = true)] methods with the same OperationName share flights: with the same key and result types, one method's callers receive the other's results; with different ones, calls are coalesced in-process only. Give every distributed method its own OperationName.",
        WellKnownDiagnosticTags.CompilationEnd);

    // ---- SF0012, SF0013: what the core of a shared flight takes from the instance ---------------------------

    /// <summary>Diagnostic property on SF0012 and SF0013: the name of the instance member used.</summary>
    public const string MemberNameProperty = "MemberName";

    /// <summary>Diagnostic property on SF0012 and SF0013, when the member is used by a method the core calls: that method's name.</summary>
    public const string ThroughMethodProperty = "ThroughMethod";

    private const string CallerOwnedTitle = "A shared flight's core uses a caller-owned disposable of the instance";

    private const string CallerOwnedDescription = "The work of a shared flight (the default Scope) runs once, on the instance of whichever caller starts the flight, and serves every caller that joins. A disposable that instance got from its DI scope (a DbContext, a DbConnection, a typed client's HttpClient, a unit of work, an IServiceScope) is disposed when that caller's request ends, while the work still runs for the others. Take it as a [FromFlightScope] parameter of the core method, which the flight resolves from a scope of its own. Shared singletons (IMemoryCache, ILoggerFactory, IConnectionMultiplexer, DbDataSource...) are not reported.";

    /// <summary>{0}: the core method; {1}: the member ("field '_db'"); {2}: its type; {3}: the method.</summary>
    public static readonly DiagnosticDescriptor CallerOwnedDisposable = Create(
        "SF0012",
        CallerOwnedTitle,
        "'{0}' uses {1} of type '{2}', a disposable that belongs to the instance of whichever caller starts the flight of '{3}': when that caller's scope ends, it is disposed while the work still runs for the callers that joined. Make it a [FromFlightScope] parameter of '{0}', so that the flight resolves its own from a scope it owns (the code fix does this), or use Scope = SingleFlightScope.Instance.",
        UsageCategory,
        DiagnosticSeverity.Warning,
        CallerOwnedDescription);

    /// <summary>{0}: the core method; {1}: the member ("field '_db'"); {2}: its type (Lazy&lt;T&gt;); {3}: the method.</summary>
    public static readonly DiagnosticDescriptor CallerOwnedLazyDisposable = Create(
        "SF0012",
        CallerOwnedTitle,
        "'{0}' uses {1} of type '{2}', whose value is a disposable that belongs to the instance of whichever caller starts the flight of '{3}': when that caller's scope ends, it is disposed while the work still runs for the callers that joined. Make it a [FromFlightScope] parameter of '{0}', so that the flight resolves its own from a scope it owns (the code fix does this), or use Scope = SingleFlightScope.Instance.",
        UsageCategory,
        DiagnosticSeverity.Warning,
        CallerOwnedDescription);

    /// <summary>{0}: the core method; {1}: the member; {2}: its type; {3}: the method.</summary>
    public static readonly DiagnosticDescriptor CallerScopeProvider = Create(
        "SF0012",
        CallerOwnedTitle,
        "'{0}' uses {1} of type '{2}', which in a scoped or transient service is the scope of the caller that starts the flight of '{3}': it is disposed when that caller's scope ends, while the work still runs for the callers that joined, and the services it returns are that caller's. Take what the work needs as [FromFlightScope] parameters of '{0}', or use Scope = SingleFlightScope.Instance.",
        UsageCategory,
        DiagnosticSeverity.Warning,
        CallerOwnedDescription);

    private const string CallerStateTitle = "A shared flight's core reads caller-specific instance state that is not in the key";

    private const string CallerStateDescription = "The work of a shared flight (the default Scope) runs once, on the instance of whichever caller starts the flight, and its result goes to every caller with the same key. State of that instance that can differ between callers (a scoped tenant or user context, IHttpContextAccessor, a ClaimsPrincipal, a field or property set per request) is the first caller's: callers of another tenant or user receive a result computed for it. Read such state in the caller's code and pass it as a parameter that is part of the key.";

    /// <summary>{0}: the core method; {1}: the member; {2}: its type; {3}: the method.</summary>
    public static readonly DiagnosticDescriptor CallerIdentityState = Create(
        "SF0013",
        CallerStateTitle,
        "'{0}' reads {1} of type '{2}', which holds the identity of the caller (tenant, user, request) that starts the flight of '{3}', and it is not in the key: callers that join get the result computed for that first caller. Read it before the call and pass it to '{3}' as a parameter in the key, or use Scope = SingleFlightScope.Instance.",
        UsageCategory,
        DiagnosticSeverity.Warning,
        CallerStateDescription);

    /// <summary>{0}: the core method; {1}: the member; {2}: its type; {3}: the method; {4}: "struct", "record" or "record struct"; {5}: the type.</summary>
    public static readonly DiagnosticDescriptor CallerValueData = Create(
        "SF0013",
        CallerStateTitle,
        "'{0}' reads {1} of type '{2}', which is part of the value of the {4} '{5}', and it is not in the key of '{3}': instances with different values share a flight, so callers that join get the result computed for the value of the caller that started it. Name it in KeyFrom (KeyFrom may use members), or pass it to '{3}' as a parameter.",
        UsageCategory,
        DiagnosticSeverity.Warning,
        CallerStateDescription);

    /// <summary>{0}: the core method; {1}: the member; {2}: its type; {3}: the method; {4}: the member that writes it.</summary>
    public static readonly DiagnosticDescriptor CallerMutableState = Create(
        "SF0013",
        CallerStateTitle,
        "'{0}' reads {1} of type '{2}', which '{4}' sets after construction, so it can differ between the callers that share a flight of '{3}', and it is not in the key: callers that join get the result computed with the first caller's value. Pass it to '{3}' as a parameter in the key, or use Scope = SingleFlightScope.Instance.",
        UsageCategory,
        DiagnosticSeverity.Warning,
        CallerStateDescription);

    // ---- SF0014: a shared flight's result is unsafe to share ---------------------------------------------------

    /// <summary>SF0014: a shared flight returns a result unsafe to share.</summary>
    public const string UnsafeResultId = "SF0014";

    /// <summary>
    /// Diagnostic property on the SF0014 mutable-collection messages when the code fix applies: the metadata name of the
    /// read-only type to return instead (<c>System.Collections.Generic.IReadOnlyList`1</c>). The diagnostic's one additional
    /// location is then the same type in the core method's return type.
    /// </summary>
    public const string ReadOnlyTypeProperty = "ReadOnlyType";

    private const string UnsafeResultTitle = "A shared flight returns a result that is unsafe to share";

    private const string UnsafeResultDescription = "Every caller that joins a flight receives the same result object, whatever the Scope. A disposable or single-consumer result (a Stream, an HttpResponseMessage, a DbDataReader, an enumerator, any IDisposable) is consumed or disposed by the first caller under the others; a lazily evaluated sequence is evaluated again by every caller, outside the flight; a mutable collection (List<T>, an array, Dictionary<TKey, TValue>) changed by one caller changes under the others while they read it. Return data that can be shared: a DTO, a record, a string, an immutable or frozen collection, or a read-only interface.";

    /// <summary>{0}: the method; {1}: the result type.</summary>
    public static readonly DiagnosticDescriptor DisposableResult = Create(
        UnsafeResultId,
        UnsafeResultTitle,
        "'{0}' returns '{1}', which is disposable: every caller that joins a flight of '{0}' receives the same instance, so the first caller to dispose it (a using block, the end of its request) disposes it under the others. Copy what the callers need out of it in the core and return that, or list the type in singleflight.shared_types when it is made to be shared.",
        UsageCategory,
        DiagnosticSeverity.Warning,
        UnsafeResultDescription);

    /// <summary>{0}: the method; {1}: the result type.</summary>
    public static readonly DiagnosticDescriptor SingleConsumerResult = Create(
        UnsafeResultId,
        UnsafeResultTitle,
        "'{0}' returns '{1}', which can be read only once: every caller that joins a flight of '{0}' receives the same instance, so the first caller to read it consumes it (and disposes it) under the others. Read it in the core and return what was read (a string, a DTO, ReadOnlyMemory<byte>).",
        UsageCategory,
        DiagnosticSeverity.Warning,
        UnsafeResultDescription);

    /// <summary>{0}: the method; {1}: the result type.</summary>
    public static readonly DiagnosticDescriptor DeferredQueryResult = Create(
        UnsafeResultId,
        UnsafeResultTitle,
        "'{0}' returns '{1}', a query that runs each time it is enumerated: every caller that joins a flight of '{0}' runs it again, outside the flight, after the flight's own scope is disposed. Materialize it in the core (ToListAsync, ToArray) and return a read-only collection.",
        UsageCategory,
        DiagnosticSeverity.Warning,
        UnsafeResultDescription);

    /// <summary>{0}: the method; {1}: the result type; {2}: the core method; {3}: the deferred operator ("Select").</summary>
    public static readonly DiagnosticDescriptor DeferredSequenceResult = Create(
        UnsafeResultId,
        UnsafeResultTitle,
        "'{0}' returns '{1}', and '{2}' returns a deferred LINQ query ('{3}'): it runs each time it is enumerated, so every caller that joins a flight of '{0}' runs it again, outside the flight. Materialize it in '{2}' (ToList, ToArray) and return IReadOnlyList<T>.",
        UsageCategory,
        DiagnosticSeverity.Warning,
        UnsafeResultDescription);

    /// <summary>{0}: the method; {1}: the result type; {2}: the read-only type to return instead.</summary>
    public static readonly DiagnosticDescriptor MutableCollectionResult = Create(
        UnsafeResultId,
        UnsafeResultTitle,
        "'{0}' returns '{1}', a mutable collection: every caller that joins a flight of '{0}' receives the same instance, so a caller that changes it (Add, Remove, an element set, a sort) changes it under the others while they read it. Return '{2}' from '{0}' and its core.",
        UsageCategory,
        DiagnosticSeverity.Info,
        UnsafeResultDescription);

    /// <summary>{0}: the method; {1}: the result type.</summary>
    public static readonly DiagnosticDescriptor MutableCollectionResultNoView = Create(
        UnsafeResultId,
        UnsafeResultTitle,
        "'{0}' returns '{1}', a mutable collection with no read-only interface: every caller that joins a flight of '{0}' receives the same instance, so a caller that changes it changes it under the others while they read it. Return an immutable or read-only copy (ImmutableArray<T>, ReadOnlyCollection<T>, a frozen collection).",
        UsageCategory,
        DiagnosticSeverity.Info,
        UnsafeResultDescription);

    // ---- SF0015-SF0017: batch methods and batched single-key methods -----------------------------------------

    /// <summary>SF0015: a collection key whose result is not a dictionary by that key.</summary>
    public const string BatchResultShapeId = "SF0015";

    /// <summary>SF0016: a batched single-key method without a batch core.</summary>
    public const string BatchCoreId = "SF0016";

    /// <summary>SF0017: a batch key with other key parts.</summary>
    public const string BatchKeyId = "SF0017";

    private const string BatchResultShapeTitle = "A collection key whose result is not a dictionary by key";

    private const string BatchResultShapeDescription = "A [SingleFlight] method whose key is a collection of keys (IEnumerable<K>, IReadOnlyCollection<K>, K[], List<K>, ISet<K>, ImmutableArray<K>...) is a batch method when it returns Task or ValueTask of IReadOnlyDictionary<K, V>, IDictionary<K, V> or Dictionary<K, V>: its keys are coalesced one by one with the calls in flight. With any other result it is an ordinary flight keyed by the collection itself, which most collections compare by reference: calls share a flight only when they pass the same instance.";

    /// <summary>{0}: the method; {1}: the collection parameter; {2}: the return type; {3}: the element type.</summary>
    public static readonly DiagnosticDescriptor BatchResultNotDictionary = Create(
        BatchResultShapeId,
        BatchResultShapeTitle,
        "'{0}' is keyed by the collection '{1}' but returns '{2}', so it is not a batch method: calls share a flight only when they pass the same collection. To coalesce per key, return Task<IReadOnlyDictionary<{3}, TValue>> (or ValueTask, IDictionary, Dictionary) with a value for each key.",
        UsageCategory,
        DiagnosticSeverity.Warning,
        BatchResultShapeDescription);

    /// <summary>{0}: the method; {1}: the collection parameter; {2}: the element type; {3}: the dictionary's key type.</summary>
    public static readonly DiagnosticDescriptor BatchResultKeyMismatch = Create(
        BatchResultShapeId,
        BatchResultShapeTitle,
        "'{0}' takes keys of type '{2}' in '{1}' but returns a dictionary keyed by '{3}', so it is not a batch method: calls share a flight only when they pass the same collection. Key the result by '{2}' to coalesce per key.",
        UsageCategory,
        DiagnosticSeverity.Warning,
        BatchResultShapeDescription);

    private const string BatchCoreTitle = "A batched single-key method needs a batch core";

    private const string BatchCoreDescription = "With BatchWindowMilliseconds, concurrent calls of a single-key method are served by one call of its core for all their keys: the core is a batch core, which takes the keys as an IReadOnlyCollection<K> (or IReadOnlyList<K>, IEnumerable<K>) and, optionally, a CancellationToken, and returns Task or ValueTask of a dictionary by key. A key it leaves out of the dictionary fails that call with KeyNotFoundException, or returns null when the declared result is nullable.";

    /// <summary>{0}: the containing type; {1}: the core method's name; {2}: the method; {3}: the batch core's signature.</summary>
    public static readonly DiagnosticDescriptor BatchCoreMissing = Create(
        BatchCoreId,
        BatchCoreTitle,
        "'{1}' was not found in '{0}': '{2}' batches its calls (BatchWindowMilliseconds), so it needs a batch core that receives the keys of a batch: {3}",
        UsageCategory,
        DiagnosticSeverity.Error,
        BatchCoreDescription);

    /// <summary>{0}: the candidate's signature; {1}: the method; {2}: the batch core's signature.</summary>
    public static readonly DiagnosticDescriptor BatchCoreMismatch = Create(
        BatchCoreId,
        BatchCoreTitle,
        "'{0}' is not a batch core: '{1}' batches its calls (BatchWindowMilliseconds), so its core receives the keys of a batch and returns a dictionary by key: {2}",
        UsageCategory,
        DiagnosticSeverity.Error,
        BatchCoreDescription);

    private const string BatchKeyTitle = "A batch key is exactly one collection of keys";

    private const string BatchKeyDescription = "A batch method's key is its collection of keys and nothing else: each key is coalesced on its own, so another key part (a tenant, a flag) would have no flight to belong to. Mark the other parameters [NotKey] (the core still receives them, from the first caller of a batch), or make one method per value of them. A batched single-key method's key is one parameter, since its batch core receives only the keys.";

    /// <summary>{0}: the method; {1}: the collection parameter; {2}: the other key part.</summary>
    public static readonly DiagnosticDescriptor BatchKeyOtherParts = Create(
        BatchKeyId,
        BatchKeyTitle,
        "'{0}' is a batch method keyed by '{1}', so its key is exactly that collection, but '{2}' is part of the key too. Mark '{2}' [NotKey] (the core receives the first caller's value), or take it out of KeyFrom.",
        UsageCategory,
        DiagnosticSeverity.Error,
        BatchKeyDescription);

    /// <summary>{0}: the method; {1}: the KeyFrom text; {2}: the collection parameter.</summary>
    public static readonly DiagnosticDescriptor BatchKeyFrom = Create(
        BatchKeyId,
        BatchKeyTitle,
        "KeyFrom = \"{1}\" of '{0}' names more than its collection of keys: a batch method is keyed by each element of '{2}'. Write KeyFrom = \"{2}\", or leave KeyFrom out.",
        UsageCategory,
        DiagnosticSeverity.Error,
        BatchKeyDescription);

    /// <summary>{0}: the method; {1}: the parameter the batch core cannot receive.</summary>
    public static readonly DiagnosticDescriptor BatchedExtraParameter = Create(
        BatchKeyId,
        BatchKeyTitle,
        "'{0}' batches its calls (BatchWindowMilliseconds), and its batch core receives only the keys and a token, so '{1}' could not reach it. Key the method on one parameter, or remove BatchWindowMilliseconds.",
        UsageCategory,
        DiagnosticSeverity.Error,
        BatchKeyDescription);

    /// <summary>Every descriptor, in id order: what the analyzer supports.</summary>
    public static ImmutableArray<DiagnosticDescriptor> All { get; } = typeof(DiagnosticDescriptors)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(static f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(static f => (DiagnosticDescriptor)f.GetValue(null)!)
        .OrderBy(static d => d.Id, System.StringComparer.Ordinal)
        .ToImmutableArray();

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
