using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using SingleFlight.Generator.Diagnostics;

namespace SingleFlight.Generator.Parsing;

internal static partial class MethodParser
{
    /// <summary>
    /// SF0004 for one part bound in the key's speculative model: names the wrapper does not have, members a static
    /// method cannot use, and what the speculative binding does not report by itself (non-constant patterns, a
    /// dereference of a maybe-null value). <paramref name="keyStartInTree"/> is where the <c>KeyFrom</c> text would
    /// start in the speculative tree, so that a node's span there maps back to the value.
    /// </summary>
    private static bool CheckKeyExpression(
        Context context,
        SemanticModel keyModel,
        ExpressionSyntax expression,
        int keyStartInTree,
        HashSet<string> mentioned,
        CancellationToken ct)
    {
        var method = context.Method;
        TextSpan SpanOf(SyntaxNode node) => new(node.SpanStart - keyStartInTree, node.Span.Length);
        // Unknown names first: they are the most useful message.
        foreach (var node in expression.DescendantNodesAndSelf())
        {
            if (node is not IdentifierNameSyntax identifier || IsRightOfDot(identifier))
            {
                continue;
            }

            var name = identifier.Identifier.ValueText;
            if (name == "nameof" && identifier.Parent is InvocationExpressionSyntax)
            {
                continue;
            }

            var symbolInfo = keyModel.GetSymbolInfo(identifier, ct);
            var symbol = symbolInfo.Symbol;
            var unknown = symbol is null && symbolInfo.CandidateSymbols.IsEmpty;

            // The core's own parameters and locals are in scope where the key is bound, but not in the
            // generated wrapper.
            if (symbol is IParameterSymbol parameter)
            {
                if (IsKeyFunctionParameter(parameter))
                {
                    mentioned.Add(parameter.Name);
                }
                else if (parameter.ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction })
                {
                    unknown = true;
                }
            }
            else if (symbol is ILocalSymbol local && !IsDeclaredInside(local, expression))
            {
                unknown = true;
            }

            // The speculative binding does not report CS0120: an instance member used from a static method.
            if (!unknown && method.IsStatic && symbol is { IsStatic: false } && symbol.Kind is SymbolKind.Field or SymbolKind.Property or SymbolKind.Method or SymbolKind.Event
                && symbol.ContainingType is not null && !IsObjectInitializerMember(identifier))
            {
                ReportKeyFrom(context, SpanOf(identifier), $"'{name}' is an instance member; '{method.Name}' is static.");
                return false;
            }

            if (unknown)
            {
                ReportUnknownName(context, name, SpanOf(identifier));
                return false;
            }
        }

        // Then anything else that failed to bind, innermost first.
        foreach (var node in expression.DescendantNodesAndSelf().Reverse())
        {
            // Patterns need constants (CS9135, CS0150), which the speculative model does not report.
            var constant = node switch
            {
                ConstantPatternSyntax pattern => pattern.Expression,
                RelationalPatternSyntax pattern => pattern.Expression,
                BinaryExpressionSyntax { RawKind: (int)SyntaxKind.IsExpression } isExpression => isExpression.Right,
                _ => null,
            };
            if (constant is not null
                && keyModel.GetSymbolInfo(constant, ct).Symbol is not ITypeSymbol
                && !keyModel.GetConstantValue(constant, ct).HasValue)
            {
                ReportKeyFrom(context, SpanOf(constant), $"'{constant}' is not a constant.");
                return false;
            }

            if (node is not ExpressionSyntax sub)
            {
                continue;
            }

            // A dereference of a maybe-null value is a nullable warning (CS8602/CS8629) in the generated code.
            if (sub is MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } access
                && !IsInNameof(access)
                && keyModel.GetTypeInfo(access.Expression, ct) is { Nullability.FlowState: NullableFlowState.MaybeNull } receiverInfo
                && receiverInfo.Type is { } receiverType
                && keyModel.GetSymbolInfo(access.Expression, ct).Symbol is not ITypeSymbol and not INamespaceSymbol
                && (receiverType.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T || access.Name.Identifier.ValueText == "Value"))
            {
                ReportKeyFrom(context, SpanOf(access.Expression), $"'{access.Expression}' may be null here.");
                return false;
            }

            if (method.IsStatic && sub is ThisExpressionSyntax or BaseExpressionSyntax)
            {
                ReportKeyFrom(context, SpanOf(sub), $"'{sub}' is not available: '{method.Name}' is static.");
                return false;
            }

            var symbolInfo = keyModel.GetSymbolInfo(sub, ct);
            var typeInfo = keyModel.GetTypeInfo(sub, ct);
            if (symbolInfo.CandidateReason != CandidateReason.None
                || typeInfo.Type is { TypeKind: TypeKind.Error }
                || typeInfo.ConvertedType is { TypeKind: TypeKind.Error })
            {
                ReportKeyFrom(
                    context,
                    SpanOf(sub),
                    symbolInfo.CandidateReason != CandidateReason.None ? $"'{sub}' does not bind ({symbolInfo.CandidateReason})." : $"'{sub}' does not compile.");
                return false;
            }
        }

        return true;
    }

    /// <summary>SF0004 for a name that is not a parameter, with the closest parameter name when one is close (and a fix to it).</summary>
    private static void ReportUnknownName(Context context, string name, TextSpan span)
    {
        var method = context.Method;
        var keyFrom = context.Attribute.KeyFrom;
        var location = context.KeyFromLocation(span);
        if (SuggestName(name, method.Parameters.Select(static p => p.Name)) is { } suggested)
        {
            var properties = keyFrom is not null && span.End <= keyFrom.Text.Length
                ? ImmutableDictionary<string, string?>.Empty.Add(DiagnosticDescriptors.NewKeyFromProperty, keyFrom.Rewrite(span, Symbols.EscapeIdentifier(suggested)))
                : ImmutableDictionary<string, string?>.Empty;
            context.Report(DiagnosticDescriptors.UnknownKeyFromNameWithSuggestion, location, null, properties, name, context.Name, suggested);
            return;
        }

        var parameters = string.Join(", ", method.Parameters.Select(static p => p.Name));
        context.Report(DiagnosticDescriptors.UnknownKeyFromName, location, name, context.Name, parameters.Length == 0 ? "(none)" : parameters);
    }

    // `new T { Member = ... }`: the simple name on the left names a member of T, not of this type.
    private static bool IsObjectInitializerMember(IdentifierNameSyntax identifier)
        => identifier.Parent is AssignmentExpressionSyntax { Parent: InitializerExpressionSyntax } assignment && assignment.Left == identifier;

    private static bool IsDeclaredInside(ILocalSymbol local, ExpressionSyntax expression)
    {
        foreach (var reference in local.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree == expression.SyntaxTree && expression.Span.Contains(reference.Span))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsKeyFunctionParameter(IParameterSymbol parameter)
        => parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.LocalFunction, Name: KeyLocalFunctionName };

    private static bool IsInNameof(SyntaxNode node)
        => node.Ancestors().Any(static a => a is InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "nameof" } });

    private static bool IsRightOfDot(IdentifierNameSyntax identifier)
        => identifier.Parent switch
        {
            MemberAccessExpressionSyntax access => access.Name == identifier,
            QualifiedNameSyntax qualified => qualified.Right == identifier,
            MemberBindingExpressionSyntax => true,
            NameColonSyntax or NameEqualsSyntax => true,
            AliasQualifiedNameSyntax alias => alias.Name == identifier,
            _ => false,
        };

    /// <summary>The candidate closest to <paramref name="name"/> by edit distance, if close enough.</summary>
    public static string? SuggestName(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best is not null && bestDistance <= Math.Max(2, name.Length / 3) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
