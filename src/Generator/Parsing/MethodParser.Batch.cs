using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SingleFlight.Generator.Diagnostics;

namespace SingleFlight.Generator.Parsing;

internal static partial class MethodParser
{
    /// <summary>
    /// The batch rules, run after the shape and the scope: whether the method is a <b>batch method</b> (its key is one
    /// collection of keys and it returns a dictionary by key: SF0015 when only one half is there, SF0017 for other key
    /// parts) or a <b>batched single-key method</b> (<c>BatchWindowMilliseconds</c>: SF0016 without a batch core), and the
    /// options batching cannot combine with (SF0003, SF0010).
    /// </summary>
    /// <returns>Whether the method is one of the two (then <paramref name="parsed"/> is the result of the parse, null when
    /// refused); false for an ordinary method, which the other rule groups parse.</returns>
    private static bool TryParseBatch(Context context, MethodShape shape, SemanticModel semanticModel, out ParsedMethod? parsed)
    {
        parsed = null;
        var method = context.Method;
        var attribute = context.Attribute;
        var keyFrom = attribute.KeyFrom is { } value && !KeyFromValue.IsDefaultKey(value.Text) ? value : null;
        if (keyFrom is { SyntaxError: not null })
        {
            // SF0004 from the key rules.
            return false;
        }

        var keyParameters = method.Parameters.Where(static p => !p.Type.IsCancellationToken() && !p.HasNotKeyAttribute()).ToList();
        foreach (var parameter in method.Parameters)
        {
            if (parameter.Type.IsCancellationToken() || !BatchTypes.IsKeyCollection(parameter.Type, out var element, out var collectionKind))
            {
                continue;
            }

            var inKey = keyFrom is null ? keyParameters.Contains(parameter, SymbolEqualityComparer.Default) : Mentions(keyFrom, parameter.Name);
            if (!inKey)
            {
                continue;
            }

            var wholeKey = keyFrom is null
                ? keyParameters.Count == 1
                : keyFrom.Arguments.Arguments.Count == 1 && keyFrom.Arguments.Arguments[0].Expression is IdentifierNameSyntax { Identifier.ValueText: var name } && name == parameter.Name;
            if (!BatchTypes.IsAsyncDictionary(method.ReturnType, out var dictionaryKind, out var dictionaryKey, out var dictionaryValue, out _))
            {
                if (wholeKey && attribute.BatchWindowMilliseconds == 0)
                {
                    context.Report(DiagnosticDescriptors.BatchResultNotDictionary, context.ParameterLocation(parameter), context.Name, parameter.Name, method.ReturnType.ToDisplayString(), element.ToDisplayString());
                }

                break;
            }

            if (!Symbols.SameType(element, dictionaryKey, semanticModel.Compilation))
            {
                if (wholeKey && attribute.BatchWindowMilliseconds == 0)
                {
                    context.Report(DiagnosticDescriptors.BatchResultKeyMismatch, context.ParameterLocation(parameter), context.Name, parameter.Name, element.ToDisplayString(), dictionaryKey.ToDisplayString());
                }

                break;
            }

            parsed = ParseBatchMethod(context, shape, parameter, element, collectionKind, dictionaryKind, dictionaryValue, keyFrom, wholeKey, keyParameters, semanticModel.Compilation);
            return true;
        }

        if (attribute.BatchWindowMilliseconds > 0)
        {
            parsed = ParseBatchedMethod(context, shape, keyFrom, semanticModel.Compilation);
            return true;
        }

        if (attribute.MaxBatchSize > 0)
        {
            context.Report(DiagnosticDescriptors.MaxBatchSizeWithoutWindow, ArgumentLocation(context, "MaxBatchSize"), context.Name);
            return true;
        }

        return false;
    }

    /// <summary>A batch method: <c>Task&lt;IReadOnlyDictionary&lt;K, V&gt;&gt; M(IReadOnlyCollection&lt;K&gt; keys, ...)</c>.</summary>
    private static ParsedMethod? ParseBatchMethod(
        Context context,
        MethodShape shape,
        IParameterSymbol collection,
        ITypeSymbol element,
        KeyCollectionKind collectionKind,
        DictionaryKind declaredResult,
        ITypeSymbol value,
        KeyFromValue? keyFrom,
        bool wholeKey,
        List<IParameterSymbol> keyParameters,
        Compilation compilation)
    {
        var method = context.Method;
        if (keyFrom is not null && !wholeKey)
        {
            context.Report(DiagnosticDescriptors.BatchKeyFrom, context.KeyFromLocation(null), context.Name, keyFrom.Text, collection.Name);
            return null;
        }

        if (keyFrom is null && keyParameters.FirstOrDefault(p => !SymbolEqualityComparer.Default.Equals(p, collection)) is { } other)
        {
            context.Report(DiagnosticDescriptors.BatchKeyOtherParts, context.ParameterLocation(other), context.Name, collection.Name, other.Name);
            return null;
        }

        if (context.Attribute.BatchWindowMilliseconds > 0)
        {
            context.Report(DiagnosticDescriptors.BatchWindowOnBatchMethod, ArgumentLocation(context, "BatchWindowMilliseconds"), context.Name, collection.Name);
            return null;
        }

        if (!CheckBatchCommon(context, element))
        {
            return null;
        }

        if (FindBatchMethodCore(context, collection, element, value, compilation) is not { } core)
        {
            return null;
        }

        var expression = keyFrom?.Arguments.Arguments[0].Expression;
        var part = new PathKeyPart(Symbols.EscapeIdentifier(collection.Name), element, collection, expression, expression is null ? null : keyFrom!.SpanOf(expression));
        var leftOut = keyFrom is null ? ImmutableArray<IParameterSymbol>.Empty : LeftOutOfKey(method, new HashSet<string>(System.StringComparer.Ordinal) { collection.Name });
        var key = new KeyBinding(keyFrom is null, ImmutableArray.Create<KeyPart>(part), null, null, leftOut);
        ReportDistributedBatch(context);
        var batch = new BatchShape(BatchKind.Batch, element, value, collection, collectionKind, declaredResult, core.Result, core.ReturnsValueTask, CoreTakesToken: false, OrDefault: false);
        return new ParsedMethod(method, context.Declaration, context.Attribute, shape, core.Match, key, IsDistributed: false, batch);
    }

    /// <summary>A batched single-key method: <c>[SingleFlight(BatchWindowMilliseconds = 2)] Task&lt;V&gt; M(K key, CancellationToken)</c>.</summary>
    private static ParsedMethod? ParseBatchedMethod(Context context, MethodShape shape, KeyFromValue? keyFrom, Compilation compilation)
    {
        var method = context.Method;
        if (shape.ReturnKind is not (SingleFlightReturnKind.TaskOfT or SingleFlightReturnKind.ValueTaskOfT) || shape.FlightValueType is not { } declaredValue)
        {
            context.Report(DiagnosticDescriptors.BatchedNotAsync, context.NameLocation, context.Name, method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString());
            return null;
        }

        var parameters = method.Parameters.Where(static p => !p.Type.IsCancellationToken()).ToList();
        if (parameters.Count == 0)
        {
            context.Report(DiagnosticDescriptors.BatchUnsupportedSignature, context.NameLocation, context.Name, "without a key parameter (a batched method is keyed by one parameter)");
            return null;
        }

        if (parameters.Skip(1).FirstOrDefault() is { } extra)
        {
            context.Report(DiagnosticDescriptors.BatchedExtraParameter, context.ParameterLocation(extra), context.Name, extra.Name);
            return null;
        }

        var keyParameter = parameters[0];
        if (keyParameter.HasNotKeyAttribute())
        {
            context.Report(DiagnosticDescriptors.BatchedExtraParameter, context.ParameterLocation(keyParameter), context.Name, keyParameter.Name);
            return null;
        }

        KeyBinding key;
        if (keyFrom is null)
        {
            key = new KeyBinding(true, ImmutableArray.Create<KeyPart>(new PathKeyPart(Symbols.EscapeIdentifier(keyParameter.Name), keyParameter.Type, keyParameter, null, null)), null, null, ImmutableArray<IParameterSymbol>.Empty);
        }
        else if (TryResolvePaths(method, keyFrom, compilation) is { Parts.Length: 1 } paths)
        {
            key = paths;
        }
        else
        {
            context.Report(DiagnosticDescriptors.BatchUnsupportedSignature, context.KeyFromLocation(null), context.Name, "keyed by a KeyFrom that is not one parameter or a member path on it");
            return null;
        }

        var keyType = key.Parts[0].Type;
        if (!CheckBatchCommon(context, keyType))
        {
            return null;
        }

        if (FindBatchCore(context, keyType, declaredValue, compilation) is not { } core)
        {
            return null;
        }

        ReportDistributedBatch(context);
        var orDefault = declaredValue.NullableAnnotation == NullableAnnotation.Annotated || declaredValue.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T;
        var batch = new BatchShape(BatchKind.Batched, keyType, core.Value, null, core.KeysKind, DictionaryKind.ReadOnlyDictionary, core.Result, core.ReturnsValueTask, core.TakesToken, orDefault);
        return new ParsedMethod(method, context.Declaration, context.Attribute, shape, core.Match, key, IsDistributed: false, batch);
    }

    /// <summary>SF0003 for what neither batch shape supports: lifetime options, generic methods, keys that may be null.</summary>
    private static bool CheckBatchCommon(Context context, ITypeSymbol keyType)
    {
        foreach (var option in new[] { ("DeadlineMilliseconds", context.Attribute.DeadlineMilliseconds), ("ShareForMilliseconds", context.Attribute.ShareForMilliseconds) })
        {
            if (option.Item2 > 0)
            {
                context.Report(DiagnosticDescriptors.BatchWithLifetimeOption, ArgumentLocation(context, option.Item1), context.Name, option.Item1);
                return false;
            }
        }

        if (context.Method.IsGenericMethod)
        {
            context.Report(DiagnosticDescriptors.BatchUnsupportedSignature, context.NameLocation, context.Name, "generic");
            return false;
        }

        if (!BatchTypes.IsNotNullKey(keyType))
        {
            context.Report(DiagnosticDescriptors.BatchNullableKey, context.NameLocation, context.Name, keyType.ToDisplayString());
            return false;
        }

        return true;
    }

    /// <summary>SF0010 for <c>Distributed = true</c>: the method is generated, coalescing in-process only.</summary>
    private static void ReportDistributedBatch(Context context)
    {
        if (context.Attribute.Distributed)
        {
            // On the whole argument, like the other SF0010s.
            var argument = context.Attribute.Syntax?.ArgumentList?.Arguments.FirstOrDefault(static a => a.NameEquals?.Name.Identifier.ValueText == "Distributed");
            context.Report(DiagnosticDescriptors.DistributedBatch, argument?.GetLocation() ?? context.NameLocation, context.Name);
        }
    }

    /// <summary>SF0002 and SF0003: a batch method's core has its parameters and returns a dictionary shape by the same key.</summary>
    private static BatchCoreMatch? FindBatchMethodCore(Context context, IParameterSymbol collection, ITypeSymbol element, ITypeSymbol value, Compilation compilation)
    {
        var method = context.Method;
        var candidates = Candidates(context);
        foreach (var candidate in candidates)
        {
            if ((method.IsStatic && !candidate.IsStatic) || candidate.IsGenericMethod || candidate.IsVararg || candidate.ReturnsByRef || candidate.ReturnsByRefReadonly
                || candidate.Parameters.Length - candidate.Parameters.Count(IsFromFlightScope) != method.Parameters.Length
                || !BatchTypes.IsAsyncDictionary(candidate.ReturnType, out var result, out var coreKey, out var coreValue, out var valueTask)
                || !Symbols.SameType(coreKey, element, compilation)
                || !Symbols.SameType(coreValue, value, compilation)
                || !NullabilityMatches(coreValue, value, topLevelFrom: false))
            {
                continue;
            }

            var others = candidate.Parameters.Where(static p => !IsFromFlightScope(p)).ToList();
            var matches = true;
            for (var i = 0; i < others.Count && matches; i++)
            {
                var expected = method.Parameters[i];
                matches = expected.RefKind == others[i].RefKind
                    && Symbols.SameType(expected.Type, others[i].Type, compilation)
                    && NullabilityMatches(expected.Type, others[i].Type, topLevelFrom: true);
            }

            if (!matches || !candidate.Parameters.Where(IsFromFlightScope).All(IsServiceParameter))
            {
                continue;
            }

            return MatchWithScope(context, candidate, compilation) is { } match
                ? new BatchCoreMatch(match, result, valueTask, coreValue, KeyCollectionKind.ReadOnlyList, TakesToken: false)
                : null;
        }

        ReportMissingCore(context, candidates, DescribeCore(context), batched: false);
        return null;
    }

    /// <summary>SF0016 and SF0003: the batch core of a batched single-key method.</summary>
    private static BatchCoreMatch? FindBatchCore(Context context, ITypeSymbol keyType, ITypeSymbol declaredValue, Compilation compilation)
    {
        var method = context.Method;
        var candidates = Candidates(context);
        foreach (var candidate in candidates)
        {
            var others = candidate.Parameters.Where(static p => !IsFromFlightScope(p)).ToList();
            if ((method.IsStatic && !candidate.IsStatic) || candidate.IsGenericMethod || candidate.IsVararg || candidate.ReturnsByRef || candidate.ReturnsByRefReadonly
                || others.Count is not (1 or 2)
                || others.Any(static p => p.RefKind != RefKind.None)
                || !BatchTypes.IsBatchCoreKeys(others[0].Type, out var keysKind, out var element)
                || !Symbols.SameType(element, keyType, compilation)
                || (others.Count == 2 && !others[1].Type.IsCancellationToken())
                || !BatchTypes.IsAsyncDictionary(candidate.ReturnType, out var result, out var coreKey, out var coreValue, out var valueTask)
                || !Symbols.SameType(coreKey, keyType, compilation)
                || !Symbols.SameType(coreValue, declaredValue, compilation)
                || (coreValue.NullableAnnotation == NullableAnnotation.Annotated && declaredValue.NullableAnnotation == NullableAnnotation.NotAnnotated)
                || !candidate.Parameters.Where(IsFromFlightScope).All(IsServiceParameter))
            {
                continue;
            }

            return MatchWithScope(context, candidate, compilation) is { } match
                ? new BatchCoreMatch(match, result, valueTask, coreValue, keysKind, TakesToken: others.Count == 2)
                : null;
        }

        ReportMissingCore(context, candidates, DescribeBatchCore(context, keyType, declaredValue, s_signatureFormat), batched: true, DescribeBatchCore(context, keyType, declaredValue, s_qualifiedFormat));
        return null;
    }

    /// <summary>
    /// The core's match, with its <c>[FromFlightScope]</c> parameters and the scope factory they need (SF0003 when there is
    /// none, or several): each core call of a batch owns a DI scope, as a flight does.
    /// </summary>
    private static CoreMethodMatch? MatchWithScope(Context context, IMethodSymbol core, Compilation compilation)
    {
        var services = core.Parameters.Where(IsFromFlightScope).ToImmutableArray();
        if (services.IsEmpty)
        {
            return new CoreMethodMatch(core, services, null);
        }

        return FindScopeFactory(context, compilation) is { } factory ? new CoreMethodMatch(core, services, factory) : null;
    }

    /// <summary>Whether a <c>[FromFlightScope]</c> parameter can come from a container (as <c>CoreMatches</c> requires of any core).</summary>
    private static bool IsServiceParameter(IParameterSymbol parameter)
        => parameter.RefKind == RefKind.None && !parameter.IsParams && !parameter.Type.IsRefLikeType
        && parameter.Type.TypeKind is not (TypeKind.Pointer or TypeKind.FunctionPointer)
        && parameter.Type is not ITypeParameterSymbol
        && parameter.Type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T;

    /// <summary>The ordinary methods named like the core (a partial core through its definition).</summary>
    private static List<IMethodSymbol> Candidates(Context context)
        => context.Method.ContainingType.GetMembers(context.CoreMethodName)
            .OfType<IMethodSymbol>()
            .Where(static m => m.MethodKind == MethodKind.Ordinary && m.PartialDefinitionPart is null)
            .ToList();

    private static void ReportMissingCore(Context context, List<IMethodSymbol> candidates, string expected, bool batched, string? qualified = null)
    {
        if (candidates.Count == 0)
        {
            // The fix writes the batch core from the signature in the property, fully qualified (it simplifies the names).
            var properties = qualified is null ? context.CoreProperties : context.CoreProperties.Add(DiagnosticDescriptors.BatchCoreSignatureProperty, qualified);
            context.Report(batched ? DiagnosticDescriptors.BatchCoreMissing : DiagnosticDescriptors.CoreMethod, context.NameLocation, null, properties, context.TypeName, context.CoreMethodName, context.Name, expected);
            return;
        }

        var candidate = candidates[0];
        context.Report(
            batched ? DiagnosticDescriptors.BatchCoreMismatch : DiagnosticDescriptors.CoreMethodMismatch,
            context.NameLocation,
            candidate.Locations.Where(static l => l.IsInSource).Take(1),
            context.CoreProperties,
            candidate.ToDisplayString(s_signatureFormat),
            context.Name,
            expected);
    }

    private static readonly SymbolDisplayFormat s_qualifiedFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>The batch core's signature as SF0016 asks for it (minimal names), or as its fix writes it (qualified names).</summary>
    private static string DescribeBatchCore(Context context, ITypeSymbol keyType, ITypeSymbol declaredValue, SymbolDisplayFormat format)
    {
        var qualified = format == s_qualifiedFormat;
        var key = keyType.ToDisplayString(format);
        var value = (declaredValue.IsReferenceType ? declaredValue.WithNullableAnnotation(NullableAnnotation.NotAnnotated) : declaredValue).ToDisplayString(format);
        var task = (qualified ? "global::System.Threading.Tasks." : string.Empty)
            + (context.Method.ReturnType.OriginalDefinition.IsNamed("System.Threading.Tasks", "ValueTask", 1) ? "ValueTask" : "Task");
        var collections = qualified ? "global::System.Collections.Generic." : string.Empty;
        var token = (qualified ? "global::System.Threading." : string.Empty) + "CancellationToken";
        return $"{(context.Method.IsStatic ? "static " : string.Empty)}{task}<{collections}IReadOnlyDictionary<{key}, {value}>> {context.CoreMethodName}({collections}IReadOnlyCollection<{key}> keys, {token} cancellationToken)";
    }

    /// <summary>Whether the <c>KeyFrom</c> value names <paramref name="name"/> anywhere.</summary>
    private static bool Mentions(KeyFromValue keyFrom, string name)
        => keyFrom.Arguments.Arguments.Any(a => a.Expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(i => i.Identifier.ValueText == name));

    /// <summary>A named argument's value in the attribute, or the method's name.</summary>
    private static Location ArgumentLocation(Context context, string name)
        => context.Attribute.Syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name)?.Expression.GetLocation() ?? context.NameLocation;

    /// <summary>A batch core found: its match, what it returns, and how it takes the keys.</summary>
    private sealed record BatchCoreMatch(CoreMethodMatch Match, DictionaryKind Result, bool ReturnsValueTask, ITypeSymbol Value, KeyCollectionKind KeysKind, bool TakesToken);
}
