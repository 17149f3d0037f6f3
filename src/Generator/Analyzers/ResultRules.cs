using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using SingleFlight.Generator.Diagnostics;
using SingleFlight.Generator.Parsing;

namespace SingleFlight.Generator.Analyzers;

/// <summary>
/// SF0014: a flight's result that its callers cannot safely share. Every caller that joins a flight receives the same
/// object, whatever the <c>Scope</c> (an instance's flights are shared by the callers of that instance) and with
/// <c>Distributed = true</c> too (the callers in one process share the leader's or the decoded object).
/// </summary>
/// <remarks>
/// <para>The flight value (the <c>T</c> of <c>Task&lt;T&gt;</c>/<c>ValueTask&lt;T&gt;</c>, or the plain return type) is looked
/// at through <c>Nullable&lt;T&gt;</c> and into the elements of value tuples and <c>System.Tuple</c>s; not into other type
/// arguments (a record, a DTO, an <c>IReadOnlyList&lt;List&lt;T&gt;&gt;</c> is judged by its own type). In this order:</para>
/// <list type="number">
/// <item>a type listed in <c>singleflight.shared_types</c> (<see cref="InstanceStateRules.SharedTypesOption"/>): quiet;</item>
/// <item>single-consumer (<see cref="SingleConsumerTypes"/>: streams, readers, HTTP responses, enumerators): warning;</item>
/// <item>a deferred query (<c>IQueryable</c>, <c>IOrderedEnumerable&lt;T&gt;</c>): warning;</item>
/// <item>disposable (<c>IDisposable</c>/<c>IAsyncDisposable</c>, value types included) and not one of SF0012's shared
/// disposables (<see cref="InstanceStateRules.IsSharedDisposable"/>): warning;</item>
/// <item>a mutable collection (<see cref="MutableClasses"/>, <see cref="MutableInterfaces"/>, arrays, <c>Memory&lt;T&gt;</c>,
/// <c>ArraySegment&lt;T&gt;</c>): info, with the read-only type to return instead when there is one;</item>
/// <item>a bare <c>IEnumerable&lt;T&gt;</c> flight value whose core returns a deferred LINQ operator: warning (a
/// materialized sequence behind <c>IEnumerable&lt;T&gt;</c> is quiet; an iterator core is SF0003 already).</item>
/// </list>
/// <para>Reported on the flagged type inside the declaration's return type. For a mutable collection with a read-only type,
/// the same type in the core's return type is the diagnostic's additional location and the read-only type is in
/// <see cref="DiagnosticDescriptors.ReadOnlyTypeProperty"/>, for the code fix; not when the method overrides or
/// implements an interface member (the fix would break the contract).</para>
/// </remarks>
internal static class ResultRules
{
    private const string Generic = "System.Collections.Generic";
    private const string ReadOnlyList = Generic + ".IReadOnlyList`1";
    private const string ReadOnlyCollection = Generic + ".IReadOnlyCollection`1";
    private const string ReadOnlyDictionary = Generic + ".IReadOnlyDictionary`2";
    private const string ReadOnlySet = Generic + ".IReadOnlySet`1";
    private const string ReadOnlyMemory = "System.ReadOnlyMemory`1";

    /// <summary>Types that one caller consumes by reading them (the type, a base type or an implemented interface).</summary>
    private static readonly (string Namespace, string Name, int Arity)[] SingleConsumerTypes =
    [
        ("System.IO", "Stream", 0),
        ("System.IO", "TextReader", 0),
        ("System.Net.Http", "HttpResponseMessage", 0),
        ("System.Net.Http", "HttpContent", 0),
        ("System.Data.Common", "DbDataReader", 0),
        ("System.Data", "IDataReader", 0),
        ("System.IO.Pipelines", "PipeReader", 0),
        ("System.Threading.Channels", "ChannelReader", 1),
        ("System.Collections.Generic", "IEnumerator", 1),
        ("System.Collections", "IEnumerator", 0),
    ];

    /// <summary>Mutable collection classes (the type or a base type) and the read-only type of the same type arguments, if any.</summary>
    private static readonly (string Namespace, string Name, int Arity, string? View)[] MutableClasses =
    [
        (Generic, "List", 1, ReadOnlyList),
        (Generic, "Dictionary", 2, ReadOnlyDictionary),
        (Generic, "SortedDictionary", 2, ReadOnlyDictionary),
        (Generic, "SortedList", 2, ReadOnlyDictionary),
        (Generic, "HashSet", 1, ReadOnlySet),
        (Generic, "SortedSet", 1, ReadOnlySet),
        (Generic, "Queue", 1, ReadOnlyCollection),
        (Generic, "Stack", 1, ReadOnlyCollection),
        (Generic, "LinkedList", 1, ReadOnlyCollection),
        (Generic, "PriorityQueue", 2, null),
        ("System.Collections.ObjectModel", "Collection", 1, ReadOnlyList),
        ("System.Collections", "ArrayList", 0, null),
        ("System.Collections", "Hashtable", 0, null),
    ];

    /// <summary>Mutable collection interfaces (exactly: <c>ImmutableList&lt;T&gt;</c> implements <c>IList&lt;T&gt;</c> and is quiet).</summary>
    private static readonly (string Namespace, string Name, int Arity, string? View)[] MutableInterfaces =
    [
        (Generic, "IList", 1, ReadOnlyList),
        (Generic, "ICollection", 1, ReadOnlyCollection),
        (Generic, "IDictionary", 2, ReadOnlyDictionary),
        (Generic, "ISet", 1, ReadOnlySet),
        ("System.Collections", "IList", 0, null),
        ("System.Collections", "IDictionary", 0, null),
    ];

    /// <summary>Mutable views of an array, value types (the copy still writes the same array).</summary>
    private static readonly (string Namespace, string Name, int Arity, string? View)[] MutableViews =
    [
        ("System", "Memory", 1, ReadOnlyMemory),
        ("System", "ArraySegment", 1, ReadOnlyList),
    ];

    private static readonly SymbolDisplayFormat DisplayFormat = SymbolDisplayFormat.MinimallyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>The read-only types of one compilation, looked up once (per compilation) and only when a collection needs one.</summary>
    internal sealed class ReadOnlyTypes(Compilation compilation)
    {
        private readonly Dictionary<string, INamedTypeSymbol?> _types = new(System.StringComparer.Ordinal);

        /// <summary>The type of that metadata name, or null when the compilation has none (or it is not generic).</summary>
        public INamedTypeSymbol? Get(string metadataName)
        {
            lock (_types)
            {
                if (!_types.TryGetValue(metadataName, out var type))
                {
                    type = compilation.GetTypeByMetadataName(metadataName);
                    _types[metadataName] = type is { IsGenericType: true } ? type : null;
                }

                return _types[metadataName];
            }
        }
    }

    private enum Kind
    {
        Disposable,
        SingleConsumer,
        DeferredQuery,
        MutableCollection,
    }

    /// <summary>One flagged type in the flight value: its symbol, its syntax in the return type (if found), what it is.</summary>
    private sealed record Finding(ITypeSymbol Type, TypeSyntax? Syntax, Kind Kind, INamedTypeSymbol? View);

    /// <summary>Reports SF0014 for a method the parser accepted.</summary>
    public static void Report(SymbolAnalysisContext context, ParsedMethod parsed, ReadOnlyTypes readOnlyTypes)
    {
        if (parsed.Batch is { } batch)
        {
            ReportBatch(context, parsed, batch, readOnlyTypes);
            return;
        }

        if (parsed.FlightValueType is not { } value || parsed.Declaration.ReturnType is not { } returnTypeSyntax)
        {
            return;
        }

        var ct = context.CancellationToken;
        var shared = InstanceStateRules.SharedTypes(context.Options, parsed.Declaration.SyntaxTree);
        var findings = new List<Finding>();
        Walk(value, FlightValueSyntax(returnTypeSyntax, parsed.ReturnKind), findings, shared, readOnlyTypes, depth: 0);

        var name = parsed.Method.Name;
        if (findings.Count == 0)
        {
            ReportDeferredSequence(context, parsed, value, returnTypeSyntax, ct);
            return;
        }

        // The same walk over the core's return type finds the same types in the same order (SF0002 made them match).
        List<Finding>? coreFindings = null;
        if (findings.Any(static f => f.View is not null) && CanChangeReturnType(parsed.Method)
            && parsed.CoreMethod.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(ct) is MethodDeclarationSyntax coreSyntax
            && parsed.CoreMethod.ReturnType is { } coreReturn)
        {
            var coreValue = parsed.ReturnKind is SingleFlightReturnKind.TaskOfT or SingleFlightReturnKind.ValueTaskOfT
                ? (coreReturn as INamedTypeSymbol)?.TypeArguments.FirstOrDefault()
                : coreReturn;
            if (coreValue is not null)
            {
                coreFindings = [];
                Walk(coreValue, FlightValueSyntax(coreSyntax.ReturnType, parsed.ReturnKind), coreFindings, shared, readOnlyTypes, depth: 0);
                if (coreFindings.Count != findings.Count)
                {
                    coreFindings = null;
                }
            }
        }

        for (var i = 0; i < findings.Count; i++)
        {
            var finding = findings[i];
            var location = finding.Syntax?.GetLocation() ?? returnTypeSyntax.GetLocation();
            var type = finding.Type.ToDisplayString(DisplayFormat);
            switch (finding.Kind)
            {
                case Kind.SingleConsumer:
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.SingleConsumerResult, location, name, type));
                    break;
                case Kind.DeferredQuery:
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DeferredQueryResult, location, name, type));
                    break;
                case Kind.Disposable:
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DisposableResult, location, name, type));
                    break;
                case Kind.MutableCollection when finding.View is { } view:
                    var core = coreFindings?[i].Syntax;
                    var fixable = finding.Syntax is not null && core is not null;
                    context.ReportDiagnostic(Diagnostic.Create(
                        DiagnosticDescriptors.MutableCollectionResult,
                        location,
                        fixable ? [core!.GetLocation()] : null,
                        fixable
                            ? ImmutableDictionary<string, string?>.Empty.Add(DiagnosticDescriptors.ReadOnlyTypeProperty, MetadataName(view.OriginalDefinition))
                            : null,
                        name,
                        type,
                        view.ToDisplayString(DisplayFormat)));
                    break;
                case Kind.MutableCollection:
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.MutableCollectionResultNoView, location, name, type));
                    break;
            }
        }
    }

    /// <summary>
    /// SF0014 for a batch method or a batched single-key method: the value of one key (the dictionary's <c>V</c>, or the
    /// declared <c>T</c>) is what every caller of that key receives. The dictionary itself is built for each caller, so it is
    /// not judged. No fix: the value's type is in the core's dictionary as well, which the fix does not rewrite.
    /// </summary>
    private static void ReportBatch(SymbolAnalysisContext context, ParsedMethod parsed, BatchShape batch, ReadOnlyTypes readOnlyTypes)
    {
        if (parsed.Declaration.ReturnType is not { } returnTypeSyntax)
        {
            return;
        }

        var valueSyntax = FlightValueSyntax(returnTypeSyntax, parsed.ReturnKind);
        if (batch.Kind == BatchKind.Batch)
        {
            valueSyntax = TypeArguments(valueSyntax) is { Count: 2 } arguments ? arguments[1] : null;
        }

        var findings = new List<Finding>();
        Walk(batch.ValueType, valueSyntax, findings, InstanceStateRules.SharedTypes(context.Options, parsed.Declaration.SyntaxTree), readOnlyTypes, depth: 0);
        var name = parsed.Method.Name;
        foreach (var finding in findings)
        {
            var location = finding.Syntax?.GetLocation() ?? returnTypeSyntax.GetLocation();
            var type = finding.Type.ToDisplayString(DisplayFormat);
            var descriptor = finding.Kind switch
            {
                Kind.SingleConsumer => DiagnosticDescriptors.SingleConsumerResult,
                Kind.DeferredQuery => DiagnosticDescriptors.DeferredQueryResult,
                Kind.Disposable => DiagnosticDescriptors.DisposableResult,
                _ when finding.View is not null => DiagnosticDescriptors.MutableCollectionResult,
                _ => DiagnosticDescriptors.MutableCollectionResultNoView,
            };
            context.ReportDiagnostic(finding.View is { } view && finding.Kind == Kind.MutableCollection
                ? Diagnostic.Create(descriptor, location, name, type, view.ToDisplayString(DisplayFormat))
                : Diagnostic.Create(descriptor, location, name, type));
        }
    }

    /// <summary>The syntax of the flight value in a return type: the type argument of <c>Task&lt;T&gt;</c>/<c>ValueTask&lt;T&gt;</c> (null when the return type is spelled through an alias).</summary>
    private static TypeSyntax? FlightValueSyntax(TypeSyntax returnType, SingleFlightReturnKind kind)
        => kind is SingleFlightReturnKind.TaskOfT or SingleFlightReturnKind.ValueTaskOfT
            ? TypeArguments(returnType) is { Count: 1 } arguments ? arguments[0] : null
            : returnType;

    /// <summary>The type arguments of a generic type as written (<c>List&lt;T&gt;</c>, <c>N.List&lt;T&gt;</c>, <c>global::N.List&lt;T&gt;</c>), or null.</summary>
    internal static SeparatedSyntaxList<TypeSyntax>? TypeArguments(TypeSyntax? syntax) => syntax switch
    {
        GenericNameSyntax generic => generic.TypeArgumentList.Arguments,
        QualifiedNameSyntax { Right: GenericNameSyntax generic } => generic.TypeArgumentList.Arguments,
        AliasQualifiedNameSyntax { Name: GenericNameSyntax generic } => generic.TypeArgumentList.Arguments,
        _ => null,
    };

    private static void Walk(ITypeSymbol type, TypeSyntax? syntax, List<Finding> findings, ImmutableArray<string> shared, ReadOnlyTypes readOnlyTypes, int depth)
    {
        if (depth > 8)
        {
            return;
        }

        if (syntax is NullableTypeSyntax nullableSyntax)
        {
            syntax = nullableSyntax.ElementType;
        }

        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }
        else if (type.NullableAnnotation == NullableAnnotation.Annotated && !type.IsValueType)
        {
            type = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated);
        }

        if (type.TypeKind == TypeKind.Error || InstanceStateRules.IsListed(type, shared))
        {
            return;
        }

        if (type is INamedTypeSymbol { IsTupleType: true } tuple)
        {
            var elements = tuple.TupleElements;
            IReadOnlyList<TypeSyntax>? elementSyntax = syntax switch
            {
                TupleTypeSyntax tupleSyntax when tupleSyntax.Elements.Count == elements.Length => tupleSyntax.Elements.Select(static e => e.Type).ToList(),
                _ when TypeArguments(syntax) is { } arguments && arguments.Count == elements.Length => arguments,
                _ => null,
            };
            for (var i = 0; i < elements.Length; i++)
            {
                Walk(elements[i].Type, elementSyntax?[i], findings, shared, readOnlyTypes, depth + 1);
            }

            return;
        }

        if (type is INamedTypeSymbol { Arity: > 0 and <= 8 } reference && reference.IsNamed("System", "Tuple", reference.Arity))
        {
            var arguments = TypeArguments(syntax) is { } a && a.Count == reference.Arity ? a : (SeparatedSyntaxList<TypeSyntax>?)null;
            for (var i = 0; i < reference.Arity; i++)
            {
                Walk(reference.TypeArguments[i], arguments?[i], findings, shared, readOnlyTypes, depth + 1);
            }

            return;
        }

        if (Classify(type, readOnlyTypes) is { } finding)
        {
            findings.Add(finding with { Syntax = syntax });
        }
    }

    private static Finding? Classify(ITypeSymbol type, ReadOnlyTypes readOnlyTypes)
    {
        if (type is ITypeParameterSymbol parameter)
        {
            return InstanceStateRules.IsDisposable(parameter) ? new Finding(type, null, Kind.Disposable, null) : null;
        }

        if (type is IArrayTypeSymbol array)
        {
            if (!array.IsSZArray)
            {
                return new Finding(type, null, Kind.MutableCollection, null);
            }

            var view = array.ElementType.SpecialType == SpecialType.System_Byte
                ? Construct(readOnlyTypes, ReadOnlyMemory, ImmutableArray.Create(array.ElementType)) ?? Construct(readOnlyTypes, ReadOnlyList, ImmutableArray.Create(array.ElementType))
                : Construct(readOnlyTypes, ReadOnlyList, ImmutableArray.Create(array.ElementType));
            return new Finding(type, null, Kind.MutableCollection, view);
        }

        // Primitives, enums' underlying types, string, object, DateTime: nothing to dispose or mutate. (The collection
        // interfaces have special types too: only these are skipped.)
        if (type is not INamedTypeSymbol named
            || (named.IsValueType && named.SpecialType != SpecialType.None)
            || named.SpecialType is SpecialType.System_String or SpecialType.System_Object)
        {
            return null;
        }

        if (Matches(named, SingleConsumerTypes))
        {
            return new Finding(type, null, Kind.SingleConsumer, null);
        }

        if (named.IsNamed("System.Linq", "IQueryable") || named.AllInterfaces.Any(static i => i.IsNamed("System.Linq", "IQueryable"))
            || named.IsNamed("System.Linq", "IOrderedEnumerable", 1) || named.AllInterfaces.Any(static i => i.IsNamed("System.Linq", "IOrderedEnumerable", 1)))
        {
            return new Finding(type, null, Kind.DeferredQuery, null);
        }

        if (InstanceStateRules.IsDisposable(named))
        {
            return InstanceStateRules.IsSharedDisposable(named) ? null : new Finding(type, null, Kind.Disposable, null);
        }

        if (named.TypeKind == TypeKind.Interface)
        {
            foreach (var (ns, name, arity, view) in MutableInterfaces)
            {
                if (named.IsNamed(ns, name, arity))
                {
                    return new Finding(type, null, Kind.MutableCollection, view is null ? null : Construct(readOnlyTypes, view, named.TypeArguments));
                }
            }

            return null;
        }

        var list = named.IsValueType ? MutableViews : MutableClasses;
        for (var current = named; current is not null; current = current.BaseType)
        {
            foreach (var (ns, name, arity, view) in list)
            {
                if (current.IsNamed(ns, name, arity))
                {
                    return new Finding(type, null, Kind.MutableCollection, view is null ? null : Construct(readOnlyTypes, view, current.TypeArguments));
                }
            }
        }

        return null;
    }

    /// <summary>The read-only type constructed with the arguments; <c>IReadOnlySet&lt;T&gt;</c> falls back to <c>IReadOnlyCollection&lt;T&gt;</c> and <c>ReadOnlyMemory&lt;T&gt;</c> to <c>IReadOnlyList&lt;T&gt;</c> where the compilation lacks them.</summary>
    private static INamedTypeSymbol? Construct(ReadOnlyTypes readOnlyTypes, string metadataName, ImmutableArray<ITypeSymbol> arguments)
    {
        var definition = readOnlyTypes.Get(metadataName);
        if (definition is null)
        {
            return metadataName switch
            {
                ReadOnlySet => Construct(readOnlyTypes, ReadOnlyCollection, arguments),
                ReadOnlyMemory => Construct(readOnlyTypes, ReadOnlyList, arguments),
                _ => null,
            };
        }

        return definition.Arity == arguments.Length ? definition.Construct([.. arguments]) : null;
    }

    private static bool Matches(INamedTypeSymbol type, (string Namespace, string Name, int Arity)[] list)
    {
        foreach (var (ns, name, arity) in list)
        {
            if (type.IsOrDerivesFrom(ns, name, arity) || type.AllInterfaces.Any(i => i.IsNamed(ns, name, arity)))
            {
                return true;
            }
        }

        return false;
    }

    private static string MetadataName(INamedTypeSymbol type)
        => type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() + "." + type.MetadataName : type.MetadataName;

    /// <summary>Whether the fix may change the method's return type: not an override, not an interface member's implementation.</summary>
    private static bool CanChangeReturnType(IMethodSymbol method)
    {
        if (method.IsOverride || !method.ExplicitInterfaceImplementations.IsEmpty)
        {
            return false;
        }

        var type = method.ContainingType;
        foreach (var @interface in type.AllInterfaces)
        {
            foreach (var member in @interface.GetMembers(method.Name))
            {
                if (member is IMethodSymbol && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member), method))
                {
                    return false;
                }
            }
        }

        return true;
    }

    // ---- a lazily evaluated IEnumerable<T> -------------------------------------------------------------------

    /// <summary>
    /// A flight value that is exactly <c>IEnumerable&lt;T&gt;</c> (or <c>IEnumerable</c>): reported when one of the core's
    /// <c>return</c>s (or its expression body) is a deferred operator of <c>System.Linq.Enumerable</c> or
    /// <c>Queryable</c>, directly or through <c>Task.FromResult</c>. A variable that holds a query is not followed.
    /// </summary>
    private static void ReportDeferredSequence(SymbolAnalysisContext context, ParsedMethod parsed, ITypeSymbol value, TypeSyntax returnTypeSyntax, CancellationToken ct)
    {
        if (!(value.IsNamed("System.Collections.Generic", "IEnumerable", 1) || value.IsNamed("System.Collections", "IEnumerable"))
            || parsed.CoreMethod.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(ct) is not MethodDeclarationSyntax core)
        {
            return;
        }

        var location = (FlightValueSyntax(returnTypeSyntax, parsed.ReturnKind) is { } valueSyntax ? valueSyntax : returnTypeSyntax).GetLocation();
        var type = value.ToDisplayString(DisplayFormat);
        SemanticModel? model = null;
        foreach (var expression in ReturnedExpressions(core))
        {
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
            model ??= context.Compilation.GetSemanticModel(core.SyntaxTree);
#pragma warning restore RS1030
            if (DeferredOperator(model.GetOperation(expression, ct)) is { } deferred)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.DeferredSequenceResult, location, parsed.Method.Name, type, parsed.CoreMethod.Name, deferred));
                return;
            }
        }
    }

    /// <summary>The expressions a method returns: its expression body, or its <c>return</c>s outside lambdas and local functions.</summary>
    internal static List<ExpressionSyntax> ReturnedExpressions(MethodDeclarationSyntax method)
    {
        var expressions = new List<ExpressionSyntax>();
        if (method.ExpressionBody is { } arrow)
        {
            expressions.Add(arrow.Expression);
            return expressions;
        }

        if (method.Body is null)
        {
            return expressions;
        }

        foreach (var node in method.Body.DescendantNodes(static n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
        {
            if (node is ReturnStatementSyntax { Expression: { } expression })
            {
                expressions.Add(expression);
            }
        }

        return expressions;
    }

    private static string? DeferredOperator(IOperation? operation)
    {
        for (var i = 0; i < 8 && operation is not null; i++)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    continue;
                case ITranslatedQueryOperation query:
                    operation = query.Operation;
                    continue;
                case IInvocationOperation { TargetMethod: { Name: "FromResult", IsStatic: true } fromResult } invocation
                    when (fromResult.ContainingType.IsNamed("System.Threading.Tasks", "Task") || fromResult.ContainingType.IsNamed("System.Threading.Tasks", "ValueTask"))
                        && invocation.Arguments.Length == 1:
                    operation = invocation.Arguments[0].Value;
                    continue;
                case IObjectCreationOperation { Arguments.Length: 1 } creation when creation.Type.IsNamed("System.Threading.Tasks", "ValueTask", 1):
                    operation = creation.Arguments[0].Value;
                    continue;
                // AsEnumerable hands its source back as it is: deferred only when the source is (a query, a LINQ operator).
                case IInvocationOperation { TargetMethod.Name: "AsEnumerable", Arguments.Length: 1 } asEnumerable
                    when asEnumerable.TargetMethod.ContainingType.IsNamed("System.Linq", "Enumerable"):
                    var source = asEnumerable.Arguments[0].Value;
                    while (source is IConversionOperation { IsImplicit: true } implicitConversion)
                    {
                        source = implicitConversion.Operand;
                    }

                    if (source.Type is { } sourceType && (sourceType.IsNamed("System.Linq", "IQueryable", 1) || sourceType.AllInterfaces.Any(static t => t.IsNamed("System.Linq", "IQueryable"))))
                    {
                        return "AsEnumerable";
                    }

                    operation = source;
                    continue;
                case IInvocationOperation invocation
                    when (invocation.TargetMethod.ContainingType.IsNamed("System.Linq", "Enumerable") || invocation.TargetMethod.ContainingType.IsNamed("System.Linq", "Queryable"))
                        // Empty, Range and Repeat make values, cheaply and always the same: enumerating again is harmless.
                        && invocation.TargetMethod.Name is not ("Empty" or "Range" or "Repeat")
                        && invocation.TargetMethod.ReturnType.OriginalDefinition is var returned
                        && (returned.IsNamed("System.Collections.Generic", "IEnumerable", 1) || returned.IsNamed("System.Linq", "IOrderedEnumerable", 1)
                            || returned.IsNamed("System.Linq", "IQueryable", 1) || returned.IsNamed("System.Linq", "IOrderedQueryable", 1)):
                    return invocation.TargetMethod.Name;
                default:
                    return null;
            }
        }

        return null;
    }
}
