using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace SingleFlight.Generator.Parsing;

/// <summary>How the annotated method returns, which decides the runtime call the wrapper makes.</summary>
internal enum SingleFlightReturnKind
{
    /// <summary><c>void</c>: blocking <c>Do</c>, flight value <c>Unit</c>.</summary>
    Void,

    /// <summary>A plain value <c>T</c> (anything not listed below): blocking <c>Do</c>.</summary>
    Value,

    /// <summary><c>System.Threading.Tasks.Task</c>: <c>DoAsync</c> with flight value <c>Unit</c>.</summary>
    Task,

    /// <summary><c>System.Threading.Tasks.Task&lt;T&gt;</c>: <c>DoAsync</c>.</summary>
    TaskOfT,

    /// <summary><c>System.Threading.Tasks.ValueTask</c>: <c>DoAsync</c> with flight value <c>Unit</c>.</summary>
    ValueTask,

    /// <summary><c>System.Threading.Tasks.ValueTask&lt;T&gt;</c>: <c>DoAsync</c>.</summary>
    ValueTaskOfT,
}

/// <summary>The <c>Scope</c> of a <c>[SingleFlight]</c> attribute (mirrors <c>SingleFlight.SingleFlightScope</c>).</summary>
internal enum SingleFlightScopeKind
{
    /// <summary>One group per method and closed containing type, in a static field.</summary>
    Type = 0,

    /// <summary>One group per object, in an instance field.</summary>
    Instance = 1,
}

/// <summary>One part of a flight key.</summary>
internal readonly struct SingleFlightKeyPart
{
    public SingleFlightKeyPart(
        string text,
        ITypeSymbol type,
        ExpressionSyntax? expression,
        IParameterSymbol? parameter,
        TextSpan? spanInKeyFrom)
    {
        Text = text;
        Type = type;
        Expression = expression;
        Parameter = parameter;
        SpanInKeyFrom = spanInKeyFrom;
    }

    /// <summary>The C# text of the part, as it is emitted (a parameter name is escaped: <c>@class</c>).</summary>
    public string Text { get; }

    /// <summary>The part's type, with its nullable annotation (from the expression's flow state).</summary>
    public ITypeSymbol Type { get; }

    /// <summary>
    /// The part's expression when the key comes from <c>KeyFrom</c>; otherwise <see langword="null"/>. When
    /// <see cref="SingleFlightMethodInfo.KeySemanticModel"/> is set, the node is bound in it; when it is null
    /// (every part was a parameter or a field/property path on one, resolved without binding), the node is
    /// the unbound parse of the <c>KeyFrom</c> text.
    /// </summary>
    public ExpressionSyntax? Expression { get; }

    /// <summary>
    /// The parameter the part is, for a default key (no <c>KeyFrom</c>); for <c>KeyFrom</c> parts that are a
    /// bare parameter name, that parameter of the annotated method; otherwise <see langword="null"/>.
    /// </summary>
    public IParameterSymbol? Parameter { get; }

    /// <summary>Where the part is inside the <c>KeyFrom</c> string (null for a default key).</summary>
    public TextSpan? SpanInKeyFrom { get; }
}

/// <summary>
/// Everything known about one <c>[SingleFlight]</c> method: either a failure reason with its data, or the
/// shape the generator emits. Produced by <see cref="SingleFlightMethodParser.Parse"/>; shared by the
/// generator (which turns a success into its model) and the analyzer (which turns a failure into a
/// diagnostic, and inspects the key parts of a success for SF0005–SF0009).
/// </summary>
/// <remarks>
/// Holds symbols and syntax: never keep it in an incremental pipeline's output.
/// </remarks>
internal sealed class SingleFlightMethodInfo
{
    internal SingleFlightMethodInfo(IMethodSymbol method, MethodDeclarationSyntax declaration)
    {
        Method = method;
        Declaration = declaration;
        CoreMethodName = SingleFlightMethodParser.GetCoreMethodName(method.Name);
    }

    /// <summary>
    /// Whether an implementation part written by the generator is ignored (the analyzer's view, see
    /// <see cref="SingleFlightMethodParser.IsGeneratedImplementation"/>).
    /// </summary>
    public bool IgnoresGeneratedImplementation { get; internal set; }

    /// <summary>Why the method cannot be generated, or <see cref="SingleFlightFailure.None"/>.</summary>
    public SingleFlightFailure Failure { get; internal set; }

    /// <summary><see langword="true"/> when <see cref="Failure"/> is <see cref="SingleFlightFailure.None"/>.</summary>
    public bool IsSuccess => Failure == SingleFlightFailure.None;

    /// <summary>The annotated method (its partial definition).</summary>
    public IMethodSymbol Method { get; }

    /// <summary>The annotated declaration.</summary>
    public MethodDeclarationSyntax Declaration { get; }

    /// <summary>The <c>[SingleFlight]</c> attribute's data, when found.</summary>
    public AttributeData? Attribute { get; internal set; }

    /// <summary>The <c>KeyFrom</c> value (null when not set): its text, parts and source locations.</summary>
    public KeyFromValue? KeyFrom { get; internal set; }

    /// <summary>The <c>OperationName</c> value as written (null when not set).</summary>
    public string? OperationName { get; internal set; }

    /// <summary>The <c>Distributed</c> value.</summary>
    public bool Distributed { get; internal set; }

    /// <summary>
    /// For a successful method with <c>Distributed = true</c>, why it cannot be shared across processes (one of the
    /// <c>Distributed*</c> values, SF0010), or <see cref="SingleFlightFailure.None"/>. Such a method is still generated,
    /// as an in-process flight; the failure data fields describe this problem.
    /// </summary>
    public SingleFlightFailure DistributedFailure { get; internal set; }

    /// <summary>Whether the generated code shares flights across processes.</summary>
    public bool IsDistributed => Distributed && DistributedFailure == SingleFlightFailure.None;

    /// <summary>The <c>Scope</c> value.</summary>
    public SingleFlightScopeKind Scope { get; internal set; }

    /// <summary>The name the core method must have (<c>GetUserAsync</c> → <c>GetUserCoreAsync</c>).</summary>
    public string CoreMethodName { get; }

    /// <summary>The matching core method, when found.</summary>
    public IMethodSymbol? CoreMethod { get; internal set; }

    /// <summary>Methods named <see cref="CoreMethodName"/> that do not match (for SF0002 messages).</summary>
    public ImmutableArray<IMethodSymbol> CoreCandidates { get; internal set; } = ImmutableArray<IMethodSymbol>.Empty;

    /// <summary>
    /// The core method's <c>[FromFlightScope]</c> parameters, in order: resolved from a scope the flight owns. Empty for
    /// a core that takes only the annotated method's parameters.
    /// </summary>
    public ImmutableArray<IParameterSymbol> FlightScopeParameters { get; internal set; } = ImmutableArray<IParameterSymbol>.Empty;

    /// <summary>
    /// With <see cref="FlightScopeParameters"/>, the containing type's <c>IServiceScopeFactory</c> that the flight's
    /// scope is created from: a field, a property or a primary-constructor parameter. Null otherwise.
    /// </summary>
    public ISymbol? ScopeFactory { get; internal set; }

    /// <summary>How the method returns.</summary>
    public SingleFlightReturnKind ReturnKind { get; internal set; }

    /// <summary>
    /// The type of the flight's value (<c>T</c> of <c>Task&lt;T&gt;</c>, <c>ValueTask&lt;T&gt;</c>, or a plain
    /// return type); <see langword="null"/> when the flight value is <c>SingleFlight.Unit</c>.
    /// </summary>
    public ITypeSymbol? FlightValueType { get; internal set; }

    /// <summary><see langword="true"/> when the key is the default one (no, or an empty, <c>KeyFrom</c>).</summary>
    public bool IsDefaultKey { get; internal set; }

    /// <summary>
    /// The key's parts, in order (valid on success). Empty: the key is <c>SingleFlight.Unit</c>, one flight
    /// for the method. One: the key is that value. Several: a value tuple of them.
    /// </summary>
    public ImmutableArray<SingleFlightKeyPart> KeyParts { get; internal set; } = ImmutableArray<SingleFlightKeyPart>.Empty;

    /// <summary>
    /// Non-token parameters that no key part mentions and that have no <c>[NotKey]</c> (SF0008). Valid on
    /// success.
    /// </summary>
    public ImmutableArray<IParameterSymbol> ParametersLeftOutOfKey { get; internal set; } = ImmutableArray<IParameterSymbol>.Empty;

    /// <summary>
    /// The speculative semantic model in which <see cref="SingleFlightKeyPart.Expression"/>s are bound. The key
    /// is bound as the body of a local function with the annotated method's parameters, placed in the core
    /// method's body; so it sees the same usings, type members and <c>this</c> as the core method.
    /// <see langword="null"/> for a default key, and for a <c>KeyFrom</c> whose parts are all parameters or
    /// field/property paths on parameters (<c>"tenant, request.Id"</c>): those are resolved from symbols
    /// alone, which is much cheaper, and need no semantic model to be checked.
    /// </summary>
    public SemanticModel? KeySemanticModel { get; internal set; }

    /// <summary>
    /// The core method's declaration in whose context <c>KeyFrom</c> was bound (its file's usings are the
    /// ones the generated file repeats). Null whenever <see cref="KeySemanticModel"/> is null.
    /// </summary>
    public SyntaxNode? KeyBindingHost { get; internal set; }

    /// <summary>
    /// Where to report something about <c>KeyFrom</c>: the <paramref name="spanInKeyFrom"/> part of the string
    /// literal (escapes, verbatim and raw strings included), otherwise the whole <c>KeyFrom</c> expression; the
    /// attribute when there is no <c>KeyFrom</c> argument; the method name when the attribute's syntax is not
    /// available.
    /// </summary>
    /// <param name="spanInKeyFrom">A span inside the <c>KeyFrom</c> value (for example
    /// <see cref="FailureSpanInKeyFrom"/> or <see cref="SingleFlightKeyPart.SpanInKeyFrom"/>), or null.</param>
    /// <param name="cancellationToken">Cancels fetching the attribute's syntax.</param>
    public Location GetKeyFromLocation(TextSpan? spanInKeyFrom, System.Threading.CancellationToken cancellationToken = default)
    {
        var attribute = Attribute?.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var fallback = attribute?.GetLocation() ?? Declaration.Identifier.GetLocation();
        return KeyFrom?.GetLocation(spanInKeyFrom, fallback) ?? fallback;
    }

    // ---- failure data ----------------------------------------------------------------------------------

    /// <summary>The offending parameter, for parameter failures.</summary>
    public IParameterSymbol? FailureParameter { get; internal set; }

    /// <summary>The offending type, for containing-type failures.</summary>
    public INamedTypeSymbol? FailureType { get; internal set; }

    /// <summary>The unknown identifier, for <see cref="SingleFlightFailure.KeyFromUnknownName"/>.</summary>
    public string? FailureIdentifier { get; internal set; }

    /// <summary>The closest parameter name to <see cref="FailureIdentifier"/>, if one is close enough.</summary>
    public string? SuggestedName { get; internal set; }

    /// <summary>Where the problem is inside the <c>KeyFrom</c> string, for <c>KeyFrom</c> failures.</summary>
    public TextSpan? FailureSpanInKeyFrom { get; internal set; }

    /// <summary>The other method, for <see cref="SingleFlightFailure.DistributedDuplicateOperationName"/>.</summary>
    public IMethodSymbol? FailureOther { get; internal set; }

    /// <summary>A short English explanation (for example the parser's message for a syntax error).</summary>
    public string? FailureMessage { get; internal set; }
}
