namespace SingleFlight.Generator.Parsing;

/// <summary>
/// Why a <c>[SingleFlight]</c> method cannot be generated. <see cref="None"/> means it can. Each value names
/// the diagnostic an analyzer should report for it; the data that goes with it is on
/// <see cref="SingleFlightMethodInfo"/> (see the remarks on each value).
/// </summary>
internal enum SingleFlightFailure
{
    /// <summary>The method can be generated.</summary>
    None = 0,

    // ---- SF0001: not partial --------------------------------------------------------------------------

    /// <summary>
    /// SF0001. The method is not a partial declaration (no <c>partial</c> modifier).
    /// </summary>
    MethodNotPartial,

    /// <summary>
    /// SF0001. The partial declaration already has an implementation (a body of its own or another
    /// implementing part), so the generator cannot write one.
    /// </summary>
    MethodAlreadyImplemented,

    /// <summary>
    /// SF0001. A containing type is not <c>partial</c>. <see cref="SingleFlightMethodInfo.FailureType"/> is
    /// that type.
    /// </summary>
    ContainingTypeNotPartial,

    // ---- SF0002: core method ---------------------------------------------------------------------------

    /// <summary>
    /// SF0002. No method named <see cref="SingleFlightMethodInfo.CoreMethodName"/> in the containing type.
    /// </summary>
    CoreMethodMissing,

    /// <summary>
    /// SF0002. Methods named <see cref="SingleFlightMethodInfo.CoreMethodName"/> exist but none has the same
    /// parameter types and ref kinds, return type, static-ness, type-parameter count and constraints.
    /// <see cref="SingleFlightMethodInfo.CoreCandidates"/> lists them.
    /// </summary>
    CoreMethodMismatch,

    /// <summary>
    /// SF0002. <c>KeyFrom</c> needs binding (it is more than parameters and field/property paths on them) but
    /// the core method has no body in source (abstract, extern, partial without implementation), and the key
    /// is bound inside the core method's body.
    /// </summary>
    CoreMethodHasNoBody,

    /// <summary>
    /// SF0002. The core method has <c>[FromFlightScope]</c> parameters, but the containing type has no
    /// <c>IServiceScopeFactory</c> (field, property or primary-constructor parameter; static for a static method) to
    /// create the flight's scope from, or the compilation does not reference
    /// <c>Microsoft.Extensions.DependencyInjection.Abstractions</c>.
    /// </summary>
    FlightScopeWithoutScopeFactory,

    /// <summary>
    /// SF0002. The core method has <c>[FromFlightScope]</c> parameters and the containing type has several
    /// <c>IServiceScopeFactory</c> members of one kind. <see cref="SingleFlightMethodInfo.FailureMessage"/> lists their names.
    /// </summary>
    FlightScopeAmbiguousScopeFactory,

    // ---- SF0003: unsupported shape ---------------------------------------------------------------------

    /// <summary>
    /// SF0003. A <c>ref</c>, <c>out</c> or <c>ref readonly</c> parameter.
    /// <see cref="SingleFlightMethodInfo.FailureParameter"/> is the parameter.
    /// </summary>
    RefOrOutParameter,

    /// <summary>
    /// SF0003. A parameter whose type cannot be stored in the flight's state: a <c>ref struct</c>
    /// (<c>Span&lt;T&gt;</c>...), a pointer or function pointer, or <c>__arglist</c>.
    /// <see cref="SingleFlightMethodInfo.FailureParameter"/> is the parameter (null for <c>__arglist</c>).
    /// </summary>
    UnsupportedParameterType,

    /// <summary>
    /// SF0003. A type parameter of the method <c>allows ref struct</c>: its arguments or result could be ref structs.
    /// <see cref="SingleFlightMethodInfo.FailureMessage"/> is the type parameter's name.
    /// </summary>
    TypeParameterAllowsRefStruct,

    /// <summary>SF0003. The method returns by reference (<c>ref</c> / <c>ref readonly</c>).</summary>
    RefReturn,

    /// <summary>
    /// SF0003. The return type cannot be shared between callers: a <c>ref struct</c>, a pointer.
    /// </summary>
    UnsupportedReturnType,

    /// <summary>
    /// SF0003. An iterator: the core method contains <c>yield</c>, or the method returns
    /// <c>IAsyncEnumerable&lt;T&gt;</c> / <c>IAsyncEnumerator&lt;T&gt;</c>. A lazily produced sequence
    /// cannot be a shared result.
    /// </summary>
    Iterator,

    /// <summary>SF0003. The method returns <c>void</c> and its core method is <c>async</c> (async void).</summary>
    AsyncVoid,

    /// <summary>SF0003. The method is an explicit interface implementation.</summary>
    ExplicitInterfaceImplementation,

    /// <summary>
    /// SF0003. The containing type (<see cref="SingleFlightMethodInfo.FailureType"/>) is of a kind the
    /// generator does not extend: an interface, a <c>ref struct</c>, a <c>file</c>-local type.
    /// </summary>
    UnsupportedContainingType,

    /// <summary>
    /// SF0003. <c>Scope = SingleFlightScope.Instance</c> on a <c>static</c> method (there is no instance).
    /// </summary>
    InstanceScopeOnStaticMethod,

    /// <summary>
    /// SF0003. <c>Scope = SingleFlightScope.Instance</c> in a struct: a struct is copied, so a group held by
    /// one copy would not be seen by callers on another copy.
    /// </summary>
    InstanceScopeOnStruct,

    /// <summary>
    /// SF0003. <c>Scope = SingleFlightScope.Instance</c> in a record: a group field would become part of the
    /// record's compiler-generated value equality and break it.
    /// </summary>
    InstanceScopeOnRecord,

    /// <summary>
    /// SF0003. <c>Scope = SingleFlightScope.Instance</c> on a generic method: an instance field cannot
    /// depend on the method's type parameters.
    /// </summary>
    InstanceScopeOnGenericMethod,

    // ---- compiler errors already reported by the C# compiler -------------------------------------------

    /// <summary>
    /// The signature has types that do not bind (the compiler already reports them), or the declaration is
    /// malformed in a way the compiler already reports (<c>async</c>/<c>extern</c> on a partial declaration,
    /// <c>partial</c> not just before the return type). The analyzer need not report anything.
    /// </summary>
    InvalidDeclaration,

    /// <summary>
    /// Another member of the containing type has the same name and parameter types (the compiler already
    /// reports it). The analyzer need not report anything.
    /// </summary>
    DuplicateDeclaration,

    /// <summary>
    /// The attribute's arguments have errors, or <c>Scope</c> is not a defined <c>SingleFlightScope</c>
    /// value. The compiler already reports argument errors.
    /// </summary>
    InvalidAttributeArguments,

    // ---- SF0004: KeyFrom ---------------------------------------------------------------------------------

    /// <summary>
    /// SF0004. <c>KeyFrom</c> does not parse as a comma-separated list of expressions, or uses named or
    /// <c>ref</c>/<c>out</c>/<c>in</c> arguments. <see cref="SingleFlightMethodInfo.FailureSpanInKeyFrom"/>
    /// and <see cref="SingleFlightMethodInfo.FailureMessage"/> say where and what.
    /// </summary>
    KeyFromSyntaxError,

    /// <summary>
    /// SF0004. <c>KeyFrom</c> uses a name that is not a parameter of the method (nor anything else in scope).
    /// <see cref="SingleFlightMethodInfo.FailureIdentifier"/> is the name,
    /// <see cref="SingleFlightMethodInfo.FailureSpanInKeyFrom"/> its span and
    /// <see cref="SingleFlightMethodInfo.SuggestedName"/> the closest parameter name, if any is close.
    /// </summary>
    KeyFromUnknownName,

    /// <summary>
    /// SF0004. A <c>KeyFrom</c> part does not compile (wrong overload, error type...).
    /// <see cref="SingleFlightMethodInfo.FailureSpanInKeyFrom"/> is the offending sub-expression.
    /// </summary>
    KeyFromDoesNotCompile,

    /// <summary>
    /// SF0004. A <c>KeyFrom</c> part has no type that can be a key: <c>void</c>, <c>null</c>, a lambda or
    /// method group, a <c>ref struct</c>, a pointer, an anonymous type.
    /// <see cref="SingleFlightMethodInfo.FailureSpanInKeyFrom"/> is the part.
    /// </summary>
    KeyFromInvalidType,

    // ---- SF0010: Distributed = true -------------------------------------------------------------------
    // Never SingleFlightMethodInfo.Failure: SingleFlightMethodInfo.DistributedFailure of a method that is generated as
    // an in-process flight.

    /// <summary>
    /// SF0010. <c>Distributed = true</c>, but the compilation does not reference the SingleFlight.Redis assembly
    /// (the <c>SingleFlight.Generators.Redis</c> package).
    /// </summary>
    DistributedWithoutRedisPackage,

    /// <summary>SF0010. <c>Distributed = true</c> on a blocking method (it returns neither a task nor a value task).</summary>
    DistributedBlockingMethod,

    /// <summary>SF0010. <c>Distributed = true</c> with <c>Scope = SingleFlightScope.Instance</c>.</summary>
    DistributedInstanceScope,

    /// <summary>
    /// SF0010. <c>Distributed = true</c> on a generic method or in a generic type: one operation name would stand
    /// for several closed types. <see cref="SingleFlightMethodInfo.FailureType"/> is the generic containing type, if any.
    /// </summary>
    DistributedGeneric,

    /// <summary>
    /// SF0010. <c>Distributed = true</c> and a key part has a type with no canonical cross-process encoding.
    /// <see cref="SingleFlightMethodInfo.FailureSpanInKeyFrom"/> is the part's span (null for a default key),
    /// <see cref="SingleFlightMethodInfo.FailureParameter"/> the parameter (for a default key), and
    /// <see cref="SingleFlightMethodInfo.FailureMessage"/> the offending type.
    /// </summary>
    DistributedKeyType,

    /// <summary>
    /// SF0010. Another <c>Distributed = true</c> method of the same type has the same operation name (overloads with the
    /// default name, or the same <c>OperationName</c>): processes would mix the two methods' flights.
    /// <see cref="SingleFlightMethodInfo.FailureMessage"/> is the operation name and
    /// <see cref="SingleFlightMethodInfo.FailureOther"/> the other method.
    /// </summary>
    DistributedDuplicateOperationName,
}
