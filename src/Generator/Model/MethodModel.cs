using SingleFlight.Generator.Parsing;

namespace SingleFlight.Generator.Model;

/// <summary>
/// Everything the emitter needs to write the implementation of one <c>[SingleFlight]</c> method. Only strings,
/// enums, equatable arrays and records of them: no symbols or syntax, so that the pipeline caches it.
/// </summary>
/// <param name="HintName">The generated file's hint name.</param>
/// <param name="GeneratorVersion">The version written in <c>[GeneratedCode]</c>.</param>
/// <param name="Hierarchy">Where the implementation goes: usings, namespaces, containing types.</param>
/// <param name="Signature">The partial method's signature, repeated by the implementation.</param>
/// <param name="Key">How the wrapper builds the key.</param>
/// <param name="Group">The group the calls go through.</param>
/// <param name="Core">How the work calls the core method.</param>
/// <param name="StubDiagnostic">When the method cannot be generated but its declaration can be implemented, the id of
/// the error the analyzer reports on it; the emitter then writes a stub that throws. Otherwise null.</param>
/// <param name="Batch">For a batch method or a batched single-key method, how the wrapper batches; otherwise null.</param>
internal readonly record struct MethodModel(
    string HintName,
    string GeneratorVersion,
    HierarchyModel Hierarchy,
    SignatureModel Signature,
    KeyModel Key,
    GroupModel Group,
    CoreModel Core,
    string? StubDiagnostic,
    BatchModel? Batch = null);

/// <summary>Where the implementation goes.</summary>
/// <param name="FileUsings">Extern aliases and using directives repeated at the top of the file (only with a bound <c>KeyFrom</c>).</param>
/// <param name="Namespaces">Namespace blocks, outermost first, each with the usings it repeats.</param>
/// <param name="ContainingTypes">Containing types, outermost first.</param>
/// <param name="ContainingTypeName">The containing type, fully qualified (for static core calls).</param>
internal readonly record struct HierarchyModel(
    EquatableArray<string> FileUsings,
    EquatableArray<NamespaceModel> Namespaces,
    EquatableArray<TypeModel> ContainingTypes,
    string ContainingTypeName);

/// <summary>The partial method's signature.</summary>
/// <param name="Modifiers">The method's modifiers as declared, <c>partial</c> last, <c>async</c> removed.</param>
/// <param name="ReturnType">The return type, fully qualified.</param>
/// <param name="Name">The method's name (escaped).</param>
/// <param name="TypeParameters">The method's type parameter names (escaped).</param>
/// <param name="TypeParameterDeclarations">The type parameters as the generic holder class and state struct declare
/// them: each name with the method's <c>[DynamicallyAccessedMembers]</c> on it, if any, so that trim analysis sees the
/// same requirements.</param>
/// <param name="ConstraintClauses">The method's constraint clauses, fully qualified (none for an override, which inherits them).</param>
/// <param name="HolderConstraintClauses">The constraint clauses of the generic holder class (the method's, always spelled out).</param>
/// <param name="Parameters">The method's parameters.</param>
/// <param name="ReturnKind">How the method returns.</param>
/// <param name="IsStatic">Whether the method is static.</param>
internal readonly record struct SignatureModel(
    string Modifiers,
    string ReturnType,
    string Name,
    EquatableArray<string> TypeParameters,
    EquatableArray<string> TypeParameterDeclarations,
    EquatableArray<string> ConstraintClauses,
    EquatableArray<string> HolderConstraintClauses,
    EquatableArray<ParameterModel> Parameters,
    SingleFlightReturnKind ReturnKind,
    bool IsStatic);

/// <summary>The flight key.</summary>
/// <param name="Type">The key type, fully qualified.</param>
/// <param name="Expression">The C# expression that builds the key from the parameters.</param>
/// <param name="KeyFromText">The <c>KeyFrom</c> text when the key needed binding (it is then computed in a local, under
/// <c>#pragma warning disable</c>); null otherwise.</param>
internal readonly record struct KeyModel(string Type, string Expression, string? KeyFromText);

/// <summary>The group the calls go through.</summary>
/// <param name="FieldName">The name of the field that holds the group.</param>
/// <param name="Scope">Where the group lives.</param>
/// <param name="OperationName">The group's name for telemetry: <c>OperationName</c>, or <c>Namespace.Type.Method</c>.</param>
/// <param name="FlightValueType">The flight's value type, fully qualified (<c>global::SingleFlight.Unit</c> for none).</param>
/// <param name="HolderClassName">For a generic method, the nested generic class that holds the group; null otherwise.</param>
/// <param name="Distributed">For <c>Distributed = true</c> (and nothing reported against it), how the result crosses
/// processes; null for an in-process group.</param>
/// <param name="DeadlineMilliseconds">The attribute's <c>DeadlineMilliseconds</c>; 0 for no deadline.</param>
/// <param name="ShareForMilliseconds">The attribute's <c>ShareForMilliseconds</c>; 0 for no share window.</param>
internal readonly record struct GroupModel(
    string FieldName,
    SingleFlightScopeKind Scope,
    string OperationName,
    string FlightValueType,
    string? HolderClassName,
    DistributedModel? Distributed,
    int DeadlineMilliseconds = 0,
    int ShareForMilliseconds = 0);

/// <summary>A distributed method's result contract.</summary>
/// <param name="JsonValueType">The flight's value type as <c>typeof</c> and <c>[JsonSerializable]</c> spell it (fully
/// qualified, no nullable reference annotation); null for <c>Unit</c>.</param>
/// <param name="JsonContext">The <c>JsonSerializerContext</c> that lists <paramref name="JsonValueType"/> (fully qualified),
/// once the pipeline has looked and found one; otherwise null.</param>
internal readonly record struct DistributedModel(string? JsonValueType, string? JsonContext);

/// <summary>How the work calls the core method.</summary>
/// <param name="MethodName">The core method's name (escaped).</param>
/// <param name="IsStatic">Whether the core method is static (an instance method may have a static core).</param>
/// <param name="ScopeFactory">With <paramref name="FlightServices"/>, the expression that reads the containing type's
/// <c>IServiceScopeFactory</c> in the wrapper (<c>this._scopes</c>, <c>scopes</c>...); otherwise null.</param>
/// <param name="FlightServices">The core's <c>[FromFlightScope]</c> parameters, resolved from the flight's own scope.</param>
/// <param name="StateTypeName">The name of the state struct written when a parameter carries
/// <c>[DynamicallyAccessedMembers]</c> (a tuple's fields would lose the annotation).</param>
internal readonly record struct CoreModel(
    string MethodName,
    bool IsStatic,
    string? ScopeFactory,
    EquatableArray<FlightServiceModel> FlightServices,
    string StateTypeName);

/// <summary>A parameter of the core method that the flight's own DI scope supplies (<c>[FromFlightScope]</c>).</summary>
/// <param name="CoreIndex">Its position among the core method's parameters.</param>
/// <param name="Type">The service type, fully qualified, without a nullable reference annotation.</param>
/// <param name="Optional">Whether the parameter is a nullable reference (<c>GetService</c>: null when not registered)
/// rather than a required service (<c>GetRequiredService</c>).</param>
internal readonly record struct FlightServiceModel(int CoreIndex, string Type, bool Optional);

/// <summary>One type listed by a <c>[JsonSerializable]</c> attribute on a source-generated <c>JsonSerializerContext</c>.</summary>
/// <param name="Context">The context type, fully qualified.</param>
/// <param name="Type">The listed type, fully qualified without nullable reference annotations.</param>
internal readonly record struct JsonContextEntry(string Context, string Type);

/// <summary>A namespace block of the generated file.</summary>
/// <param name="Name">The namespace name as written (may be dotted).</param>
/// <param name="Usings">Extern aliases and using directives inside the block.</param>
internal readonly record struct NamespaceModel(string Name, EquatableArray<string> Usings);

/// <summary>A containing type of the generated member.</summary>
/// <param name="Keyword">class, struct, record or record struct.</param>
/// <param name="Name">The type's name with its type parameters, for example <c>Repo&lt;T&gt;</c>.</param>
/// <param name="Modifiers">Modifiers written before <c>partial</c> on the generated part, each followed by a space
/// (<c>unsafe </c> for a stub that repeats a pointer); usually empty.</param>
internal readonly record struct TypeModel(string Keyword, string Name, string Modifiers = "");

/// <summary>A parameter of the generated implementation.</summary>
/// <param name="Modifiers">this, params, scoped, in... as declared, each followed by a space.</param>
/// <param name="Type">The type, fully qualified with nullable annotations.</param>
/// <param name="Name">The name (escaped: <c>@class</c>).</param>
/// <param name="IsCancellationToken">Whether the core receives the flight's token in its place.</param>
/// <param name="TrimAnnotation">The parameter's <c>[DynamicallyAccessedMembers(...)]</c> followed by a space, for the state
/// struct's field and constructor parameter; empty when it has none.</param>
internal readonly record struct ParameterModel(string Modifiers, string Type, string Name, bool IsCancellationToken, string TrimAnnotation = "");

/// <summary>How the wrapper of a batch method or a batched single-key method calls its <c>SingleFlightBatchGroup</c>.</summary>
/// <param name="Kind">A batch method (<c>DoManyAsync</c>) or a batched single-key method (<c>DoAsync</c>/<c>DoOrDefaultAsync</c>).</param>
/// <param name="KeyType">The key of one element, fully qualified: the group's <c>TKey</c>.</param>
/// <param name="ValueType">The value of one key, fully qualified: the group's <c>TValue</c>.</param>
/// <param name="CollectionParameter">For a batch method, the collection parameter's name (escaped); otherwise null.</param>
/// <param name="CollectionKind">For a batch method, the collection type the core takes (the keys are copied into it when
/// it is not read-only); for a batched method, the batch core's keys parameter.</param>
/// <param name="DeclaredResult">For a batch method, the dictionary type it returns.</param>
/// <param name="CoreResult">The dictionary type the core returns.</param>
/// <param name="CoreReturnsValueTask">Whether the core returns a <c>ValueTask</c>.</param>
/// <param name="CoreTakesToken">For a batched method, whether the batch core takes a token.</param>
/// <param name="OrDefault">For a batched method, whether a key the core leaves out is <c>default</c> (<c>DoOrDefaultAsync</c>).</param>
/// <param name="WindowMilliseconds">The attribute's <c>BatchWindowMilliseconds</c>; 0 for none.</param>
/// <param name="MaxBatchSize">The attribute's <c>MaxBatchSize</c>; 0 for no limit.</param>
internal readonly record struct BatchModel(
    BatchKind Kind,
    string KeyType,
    string ValueType,
    string? CollectionParameter,
    KeyCollectionKind CollectionKind,
    DictionaryKind DeclaredResult,
    DictionaryKind CoreResult,
    bool CoreReturnsValueTask,
    bool CoreTakesToken,
    bool OrDefault,
    int WindowMilliseconds,
    int MaxBatchSize);
