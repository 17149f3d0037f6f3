using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using SingleFlight.Generator.Diagnostics;
using SingleFlight.Generator.Parsing;

namespace SingleFlight.Generator.Analyzers;

/// <summary>
/// The key rules: a key that compiles but may not do what the user wants. Reference equality (SF0006, from
/// <see cref="KeyTypeRules"/>), non-determinism and tokens (SF0005, SF0007, from <see cref="KeyOperationChecks"/>),
/// parameters left out (SF0008) and string-built composite keys (SF0009, with the rewrite its code fix applies).
/// </summary>
internal static class KeyRules
{
    private static Location ParameterLocation(ParsedMethod parsed, IParameterSymbol parameter)
    {
        var parameters = parsed.Declaration.ParameterList.Parameters;
        return parameter.Ordinal < parameters.Count ? parameters[parameter.Ordinal].Identifier.GetLocation() : parsed.Declaration.Identifier.GetLocation();
    }

    /// <summary>Reports SF0005–SF0009 for the key of a method the parser accepted.</summary>
    public static void Report(SymbolAnalysisContext context, ParsedMethod parsed, AttributeSyntax attributeSyntax)
    {
        var ct = context.CancellationToken;
        var name = parsed.Method.Name;
        var key = parsed.Key;

        if (key.IsDefault)
        {
            foreach (var part in key.Parts)
            {
                if (part.Parameter is { } parameter && KeyTypeRules.ComparesByReference(part.Type, out var culprit, out var why))
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        DiagnosticDescriptors.ReferenceEqualityDefaultKey,
                        ParameterLocation(parsed, parameter),
                        parameter.Name,
                        name,
                        Display(culprit),
                        why));
                }
            }

            return;
        }

        // Without a semantic model every part is a parameter or a field/property path on one, resolved from
        // symbols: nothing there can be non-deterministic or a string, but types and tokens still matter.
        var keyModel = key.SemanticModel;
        if (parsed.KeyFrom is not { } keyFromValue)
        {
            return;
        }

        var keyText = keyFromValue.Text;

        Location MapNode(SyntaxNode node, KeyPart part)
        {
            var offset = part.Expression!.SpanStart - part.SpanInKeyFrom!.Value.Start;
            var span = new TextSpan(node.SpanStart - offset, node.Span.Length);
            return keyFromValue.GetLocation(span, attributeSyntax.GetLocation());
        }

        string? newKeyFrom = null;
        var compositeParts = new List<(KeyPart Part, IReadOnlyList<SyntaxNode> Pieces, bool CanSplit)>();

        foreach (var part in key.Parts)
        {
            if (part.Expression is null || part.SpanInKeyFrom is null)
            {
                continue;
            }

            var partText = keyFromValue.TextOf(part.SpanInKeyFrom.Value);
            var operation = keyModel?.GetOperation(part.Expression, ct);
            var createsReferenceObject = false;
            var hasToken = false;
            if (operation is null && FindTokenInPath(parsed.Method, part) is { } token)
            {
                hasToken = true;
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.CancellationTokenInKey,
                    MapNode(token, part),
                    token));
            }
            else if (operation is not null)
            {
                foreach (var finding in KeyOperationChecks.Check(operation, out createsReferenceObject))
                {
                    hasToken |= finding.Descriptor == DiagnosticDescriptors.CancellationTokenInKey;
                    context.ReportDiagnostic(Diagnostic.Create(finding.Descriptor, MapNode(finding.Node, part), finding.Arguments));
                }

                if (KeyOperationChecks.FindStringComposite(operation, out var canSplit) is { } pieces)
                {
                    compositeParts.Add((part, pieces, canSplit));
                }
            }

            if (!createsReferenceObject && !hasToken && KeyTypeRules.ComparesByReference(part.Type, out var culprit, out var why))
            {
                var element = SymbolEqualityComparer.Default.Equals(culprit, part.Type) ? string.Empty : $" (element type '{Display(culprit)}')";
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.ReferenceEqualityKey,
                    MapNode(part.Expression, part),
                    partText,
                    Display(part.Type),
                    element,
                    why));
            }
        }

        if (compositeParts.Count > 0)
        {
            // One rewrite of KeyFrom that splits every splittable part, shared by all SF0009s of the method.
            if (compositeParts.All(static c => c.CanSplit))
            {
                newKeyFrom = keyFromValue.Rewrite(compositeParts.Select(c =>
                {
                    var offset = c.Part.Expression!.SpanStart - c.Part.SpanInKeyFrom!.Value.Start;
                    var replacement = string.Join(", ", c.Pieces.Select(p => keyFromValue.TextOf(new TextSpan(p.SpanStart - offset, p.Span.Length))));
                    return (c.Part.SpanInKeyFrom.Value, replacement);
                }).ToImmutableArray());
            }

            foreach (var (part, pieces, canSplit) in compositeParts)
            {
                var properties = newKeyFrom is null
                    ? ImmutableDictionary<string, string?>.Empty
                    : ImmutableDictionary<string, string?>.Empty.Add(DiagnosticDescriptors.NewKeyFromProperty, newKeyFrom);
                var partText = keyFromValue.TextOf(part.SpanInKeyFrom!.Value);
                var list = string.Join(", ", pieces.Select(p => p.ToString()));
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.StringCompositeKey,
                    MapNode(part.Expression!, part),
                    properties,
                    partText,
                    pieces.Count,
                    list,
                    canSplit ? string.Empty : " (keep any formatting the key needs)"));
            }
        }

        foreach (var parameter in key.ParametersLeftOut)
        {
            ct.ThrowIfCancellationRequested();
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.ParameterNotInKey,
                ParameterLocation(parsed, parameter),
                parameter.Name,
                name,
                keyText));
        }
    }

    // A parameter path ("ct", "ct.IsCancellationRequested", "options.Token"): the token parameter it starts
    // from, or the whole path when it ends in a token.
    private static SyntaxNode? FindTokenInPath(IMethodSymbol method, KeyPart part)
    {
        var root = part.Expression!;
        while (root is MemberAccessExpressionSyntax access)
        {
            root = access.Expression;
        }

        if (root is IdentifierNameSyntax identifier
            && method.Parameters.FirstOrDefault(p => p.Name == identifier.Identifier.ValueText) is { } parameter
            && parameter.Type.IsCancellationToken())
        {
            return identifier;
        }

        return part.Type.IsCancellationToken() ? part.Expression : null;
    }

    private static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
}
