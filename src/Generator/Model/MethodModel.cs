using SingleFlight.Generator.Parsing;

namespace SingleFlight.Generator.Model;

/// <summary>
/// Everything the emitter needs to write the implementation of one <c>[SingleFlight]</c> method. Only strings,
/// enums and equatable arrays: no symbols or syntax, so that the pipeline caches it.
/// </summary>
/// <param name="HintName">The generated file's hint name.</param>
/// <param name="FileUsings">Extern aliases and using directives repeated at the top of the file (only with <c>KeyFrom</c>).</param>
/// <param name="Namespaces">Namespace blocks, outermost first, each with the usings it repeats.</param>
/// <param name="ContainingTypes">Containing types, outermost first.</param>
/// <param name="Modifiers">The method's modifiers as declared, <c>partial</c> last, <c>async</c> removed.</param>
/// <param name="ReturnType">The return type, fully qualified.</param>
/// <param name="Name">The method's name (escaped).</param>
/// <param name="TypeParameters">The method's type parameter names (escaped).</param>
/// <param name="ConstraintClauses">The method's constraint clauses, fully qualified (none for an override, which inherits them).</param>
/// <param name="HolderConstraintClauses">The constraint clauses of the generic holder class (the method's, always spelled out).</param>
/// <param name="Parameters">The method's parameters.</param>
/// <param name="ReturnKind">How the method returns.</param>
/// <param name="FlightValueType">The flight's value type, fully qualified (<c>global::SingleFlight.Unit</c> for none).</param>
/// <param name="KeyType">The key type, fully qualified.</param>
/// <param name="KeyExpression">The C# expression that builds the key from the parameters.</param>
/// <param name="KeyFromText">The <c>KeyFrom</c> text when the key needed binding (it is then computed in a local, under
/// <c>#pragma warning disable</c>); otherwise empty.</param>
/// <param name="IsStatic">Whether the method is static.</param>
/// <param name="Scope">Where the group lives.</param>
/// <param name="ContainingTypeName">The containing type, fully qualified (for static core calls).</param>
/// <param name="CoreMethodName">The core method's name (escaped).</param>
/// <param name="GroupFieldName">The name of the field that holds the group.</param>
/// <param name="OperationName">The group's name for telemetry: <c>OperationName</c>, or <c>Namespace.Type.Method</c>.</param>
/// <param name="HolderClassName">For generic methods, the nested generic class that holds the group; otherwise empty.</param>
/// <param name="GeneratorVersion">The version written in <c>[GeneratedCode]</c>.</param>
/// <param name="Distributed">Whether flights are shared across processes (<c>Distributed = true</c>).</param>
/// <param name="JsonValueType">For a distributed method, the flight's value type as <c>typeof</c> and
/// <c>[JsonSerializable]</c> spell it (fully qualified, no nullable reference annotation); empty for <c>Unit</c>.</param>
/// <param name="JsonContext">For a distributed method, the <c>JsonSerializerContext</c> that lists
/// <paramref name="JsonValueType"/> (fully qualified), once the pipeline has looked; otherwise empty.</param>
/// <param name="CoreIsStatic">Whether the core method is static (an instance method may have a static core).</param>
/// <param name="ScopeFactory">With <paramref name="FlightServices"/>, the expression that reads the containing type's
/// <c>IServiceScopeFactory</c> in the wrapper (<c>this._scopes</c>, <c>scopes</c>...); otherwise null.</param>
/// <param name="FlightServices">The core's <c>[FromFlightScope]</c> parameters, resolved from the flight's own scope.</param>
/// <param name="StubDiagnostic">When the method cannot be generated but its declaration can be implemented, the id of
/// the error the analyzer reports on it; the emitter then writes a stub that throws. Otherwise null.</param>
/// <param name="TypeParameterDeclarations">The method's type parameters as the generic holder class and state struct
/// declare them: each name with the method's <c>[DynamicallyAccessedMembers]</c> on it, if any, so that trim analysis
/// sees the same requirements.</param>
/// <param name="StateTypeName">The name of the state struct written when a parameter carries
/// <c>[DynamicallyAccessedMembers]</c> (a tuple's fields would lose the annotation).</param>
internal readonly record struct MethodModel(
    string HintName,
    EquatableArray<string> FileUsings,
    EquatableArray<NamespaceModel> Namespaces,
    EquatableArray<TypeModel> ContainingTypes,
    string Modifiers,
    string ReturnType,
    string Name,
    EquatableArray<string> TypeParameters,
    EquatableArray<string> ConstraintClauses,
    EquatableArray<string> HolderConstraintClauses,
    EquatableArray<ParameterModel> Parameters,
    SingleFlightReturnKind ReturnKind,
    string FlightValueType,
    string KeyType,
    string KeyExpression,
    string KeyFromText,
    bool IsStatic,
    SingleFlightScopeKind Scope,
    string ContainingTypeName,
    string CoreMethodName,
    string GroupFieldName,
    string OperationName,
    string HolderClassName,
    string GeneratorVersion,
    bool Distributed,
    string JsonValueType,
    string JsonContext,
    bool CoreIsStatic,
    string? ScopeFactory,
    EquatableArray<FlightServiceModel> FlightServices,
    string? StubDiagnostic,
    EquatableArray<string> TypeParameterDeclarations = default,
    string StateTypeName = "");

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
