using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace SingleFlight.Generator.Parsing;

/// <summary>
/// A <c>[SingleFlight]</c> method the generator implements, as <see cref="MethodParser"/> found it: what the model
/// builder turns into a <c>MethodModel</c> and what the analyzer's key rules (SF0005–SF0009) inspect.
/// </summary>
/// <remarks>Holds symbols and syntax: never keep it in an incremental pipeline's output.</remarks>
/// <param name="Method">The annotated method (its partial definition).</param>
/// <param name="Declaration">The annotated declaration.</param>
/// <param name="Attribute">The attribute's arguments.</param>
/// <param name="Shape">How the method returns.</param>
/// <param name="Core">The core method and what the flight's scope supplies to it.</param>
/// <param name="Key">The bound key.</param>
/// <param name="IsDistributed">Whether the generated code shares flights across processes (<c>Distributed = true</c>, and
/// nothing reported against it).</param>
/// <param name="Batch">For a batch method or a batched single-key method, how it batches; otherwise null.</param>
internal sealed record ParsedMethod(
    IMethodSymbol Method,
    MethodDeclarationSyntax Declaration,
    AttributeArguments Attribute,
    MethodShape Shape,
    CoreMethodMatch Core,
    KeyBinding Key,
    bool IsDistributed,
    BatchShape? Batch = null)
{
    /// <summary>The <c>KeyFrom</c> value, when set.</summary>
    public KeyFromValue? KeyFrom => Attribute.KeyFrom;

    /// <summary>How the method returns.</summary>
    public SingleFlightReturnKind ReturnKind => Shape.ReturnKind;

    /// <summary>The flight's value type; null when it is <c>SingleFlight.Unit</c>.</summary>
    public ITypeSymbol? FlightValueType => Shape.FlightValueType;

    /// <summary>The core method.</summary>
    public IMethodSymbol CoreMethod => Core.Method;
}

/// <summary>How the annotated method returns.</summary>
/// <param name="ReturnKind">Which runtime call the wrapper makes.</param>
/// <param name="FlightValueType">The type of the flight's value (<c>T</c> of <c>Task&lt;T&gt;</c>, <c>ValueTask&lt;T&gt;</c>, or a
/// plain return type); null when the flight value is <c>SingleFlight.Unit</c>.</param>
internal sealed record MethodShape(SingleFlightReturnKind ReturnKind, ITypeSymbol? FlightValueType);

/// <summary>The core method that matches the annotated one.</summary>
/// <param name="Method">The core method.</param>
/// <param name="FlightScopeParameters">Its <c>[FromFlightScope]</c> parameters, in order: resolved from a scope the flight owns.</param>
/// <param name="ScopeFactory">With <paramref name="FlightScopeParameters"/>, the containing type's <c>IServiceScopeFactory</c>
/// (a field, a property or a primary-constructor parameter); otherwise null.</param>
internal sealed record CoreMethodMatch(IMethodSymbol Method, ImmutableArray<IParameterSymbol> FlightScopeParameters, ISymbol? ScopeFactory);

/// <summary>The flight key.</summary>
/// <param name="IsDefault">Whether it is the default key (no, or an empty, <c>KeyFrom</c>).</param>
/// <param name="Parts">Its parts, in order. None: the key is <c>SingleFlight.Unit</c>, one flight for the method. One: the
/// key is that value. Several: a value tuple of them.</param>
/// <param name="SemanticModel">The speculative model the <see cref="BoundKeyPart"/>s are bound in: the key as the body of a
/// local function with the annotated method's parameters, in the core method's body (the same usings, members and
/// <c>this</c> as the core). Null when every part is a <see cref="PathKeyPart"/>.</param>
/// <param name="Host">The core method's declaration that <paramref name="SemanticModel"/> binds in (its file's usings are the
/// ones the generated file repeats); null with it.</param>
/// <param name="ParametersLeftOut">Parameters no part mentions and that have no <c>[NotKey]</c> (SF0008); empty for the default key.</param>
internal sealed record KeyBinding(
    bool IsDefault,
    ImmutableArray<KeyPart> Parts,
    SemanticModel? SemanticModel,
    SyntaxNode? Host,
    ImmutableArray<IParameterSymbol> ParametersLeftOut);

/// <summary>One part of a flight key.</summary>
internal abstract class KeyPart
{
    private protected KeyPart(string text, ITypeSymbol type, IParameterSymbol? parameter)
    {
        Text = text;
        Type = type;
        Parameter = parameter;
    }

    /// <summary>The C# text of the part, as it is emitted (a parameter name is escaped: <c>@class</c>).</summary>
    public string Text { get; }

    /// <summary>The part's type, with its nullable annotation.</summary>
    public ITypeSymbol Type { get; }

    /// <summary>The parameter the part is, when it is a bare parameter (always, for a default key); otherwise null.</summary>
    public IParameterSymbol? Parameter { get; }

    /// <summary>The part's expression, when it comes from <c>KeyFrom</c>.</summary>
    public abstract ExpressionSyntax? Expression { get; }

    /// <summary>Where the part is in the <c>KeyFrom</c> value, when it comes from it.</summary>
    public abstract TextSpan? SpanInKeyFrom { get; }
}

/// <summary>
/// A parameter, or a chain of field and property accesses on one (<c>request.TenantId</c>), resolved from symbols without
/// binding. For a default key it has no expression and no span.
/// </summary>
internal sealed class PathKeyPart(string text, ITypeSymbol type, IParameterSymbol? parameter, ExpressionSyntax? expression, TextSpan? span)
    : KeyPart(text, type, parameter)
{
    /// <summary>The unbound parse of the part in <see cref="KeyFromValue.Arguments"/>, or null for a default key.</summary>
    public override ExpressionSyntax? Expression { get; } = expression;

    /// <inheritdoc/>
    public override TextSpan? SpanInKeyFrom { get; } = span;
}

/// <summary>Any other expression, bound in <see cref="KeyBinding.SemanticModel"/>.</summary>
internal sealed class BoundKeyPart(string text, ITypeSymbol type, IParameterSymbol? parameter, ExpressionSyntax expression, TextSpan span)
    : KeyPart(text, type, parameter)
{
    /// <summary>The part's node in the speculative tree.</summary>
    public ExpressionSyntax Bound { get; } = expression;

    /// <summary>Where the part is in the <c>KeyFrom</c> value.</summary>
    public TextSpan Span { get; } = span;

    /// <inheritdoc/>
    public override ExpressionSyntax? Expression => Bound;

    /// <inheritdoc/>
    public override TextSpan? SpanInKeyFrom => Span;
}

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

/// <summary>How a batch method or a batched single-key method batches.</summary>
/// <param name="Kind">Which of the two it is.</param>
/// <param name="KeyType">The key of one element: the collection's element type, or the single key's type.</param>
/// <param name="ValueType">The value of one key, as the core's dictionary declares it.</param>
/// <param name="Collection">For a batch method, its collection parameter; otherwise null.</param>
/// <param name="CollectionKind">For a batch method, the collection parameter's type (what the core receives); for a
/// batched method, the batch core's keys parameter.</param>
/// <param name="DeclaredResult">For a batch method, the dictionary it returns.</param>
/// <param name="CoreResult">The dictionary the core returns.</param>
/// <param name="CoreReturnsValueTask">Whether the core returns a <c>ValueTask</c> (otherwise a <c>Task</c>).</param>
/// <param name="CoreTakesToken">For a batched method, whether the batch core takes a token.</param>
/// <param name="OrDefault">For a batched method, whether the declared value is nullable: a key the core leaves out is null
/// (<c>DoOrDefaultAsync</c>) instead of a <c>KeyNotFoundException</c>.</param>
internal sealed record BatchShape(
    BatchKind Kind,
    ITypeSymbol KeyType,
    ITypeSymbol ValueType,
    IParameterSymbol? Collection,
    KeyCollectionKind CollectionKind,
    DictionaryKind DeclaredResult,
    DictionaryKind CoreResult,
    bool CoreReturnsValueTask,
    bool CoreTakesToken,
    bool OrDefault);

/// <summary>The two batch shapes.</summary>
internal enum BatchKind
{
    /// <summary>A method that takes a collection of keys and returns a dictionary by key: <c>DoManyAsync</c>.</summary>
    Batch,

    /// <summary>A single-key method with <c>BatchWindowMilliseconds</c> and a batch core: <c>DoAsync</c>/<c>DoOrDefaultAsync</c>.</summary>
    Batched,
}

/// <summary>The collection types a batch method takes its keys in (and a batch core receives them in).</summary>
internal enum KeyCollectionKind
{
    /// <summary><c>IEnumerable&lt;K&gt;</c>.</summary>
    Enumerable,

    /// <summary><c>IReadOnlyCollection&lt;K&gt;</c>.</summary>
    ReadOnlyCollection,

    /// <summary><c>IReadOnlyList&lt;K&gt;</c>.</summary>
    ReadOnlyList,

    /// <summary><c>ICollection&lt;K&gt;</c>.</summary>
    Collection,

    /// <summary><c>IList&lt;K&gt;</c>.</summary>
    List,

    /// <summary><c>K[]</c>.</summary>
    Array,

    /// <summary><c>List&lt;K&gt;</c>.</summary>
    ConcreteList,

    /// <summary><c>ISet&lt;K&gt;</c>.</summary>
    Set,

    /// <summary><c>HashSet&lt;K&gt;</c>.</summary>
    HashSet,

    /// <summary><c>IReadOnlySet&lt;K&gt;</c>.</summary>
    ReadOnlySet,

    /// <summary><c>ImmutableArray&lt;K&gt;</c>.</summary>
    ImmutableArray,
}

/// <summary>The dictionary types of a batch result.</summary>
internal enum DictionaryKind
{
    /// <summary><c>IReadOnlyDictionary&lt;K, V&gt;</c>: what the runtime returns.</summary>
    ReadOnlyDictionary,

    /// <summary><c>IDictionary&lt;K, V&gt;</c>.</summary>
    Dictionary,

    /// <summary><c>Dictionary&lt;K, V&gt;</c>.</summary>
    ConcreteDictionary,
}
