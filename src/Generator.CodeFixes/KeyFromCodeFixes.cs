using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SingleFlight.Generator.Diagnostics;

namespace SingleFlight.Generator.CodeFixes;

/// <summary>SF0004: replaces a name that is not a parameter with the closest parameter name.</summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(UseClosestParameterNameCodeFixProvider)), Shared]
public sealed class UseClosestParameterNameCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of the fix (one for every SF0004, so Fix All applies them together).</summary>
    public const string EquivalenceKey = "SF0004.UseClosestParameterName";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.InvalidKeyFrom.Id);

    /// <inheritdoc/>
    // Each SF0004 rewrites the KeyFrom literal of its own method: the edits never overlap.
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root is null
                || !diagnostic.Properties.TryGetValue(DiagnosticDescriptors.NewKeyFromProperty, out var newKeyFrom)
                || newKeyFrom is null
                || SyntaxHelpers.FindKeyFromLiteral(root, diagnostic.Location.SourceSpan) is not { } literal)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Use KeyFrom = \"{newKeyFrom}\"",
                    _ => Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(literal, SyntaxHelpers.NewLiteral(literal, newKeyFrom)))),
                    EquivalenceKey),
                diagnostic);
        }
    }
}

/// <summary>SF0009: turns a concatenated or interpolated key into a tuple key (<c>"a + \":\" + b"</c> → <c>"a, b"</c>).</summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(UseTupleKeyCodeFixProvider)), Shared]
public sealed class UseTupleKeyCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "SF0009.UseTupleKey";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.StringCompositeKey.Id);

    /// <inheritdoc/>
    // Several SF0009s of one method share one rewrite of its KeyFrom; Fix All applies it once per literal.
    public override FixAllProvider GetFixAllProvider() => new FixAll();

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root is null
                || !diagnostic.Properties.TryGetValue(DiagnosticDescriptors.NewKeyFromProperty, out var newKeyFrom)
                || newKeyFrom is null
                || SyntaxHelpers.FindKeyFromLiteral(root, diagnostic.Location.SourceSpan) is null)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Use a tuple key: KeyFrom = \"{newKeyFrom}\"",
                    ct => ApplyAsync(document, ImmutableArray.Create(diagnostic), ct),
                    EquivalenceKey),
                diagnostic);
        }
    }

    private static async Task<Document> ApplyAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken ct)
    {
        var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var replacements = new System.Collections.Generic.Dictionary<LiteralExpressionSyntax, string>();
        foreach (var diagnostic in diagnostics)
        {
            if (diagnostic.Properties.TryGetValue(DiagnosticDescriptors.NewKeyFromProperty, out var value) && value is not null
                && SyntaxHelpers.FindKeyFromLiteral(root, diagnostic.Location.SourceSpan) is { } literal
                && !replacements.ContainsKey(literal))
            {
                replacements.Add(literal, value);
            }
        }

        return document.WithSyntaxRoot(root.ReplaceNodes(replacements.Keys, (original, _) => SyntaxHelpers.NewLiteral(original, replacements[original])));
    }

    private sealed class FixAll : DocumentBasedFixAllProvider
    {
        protected override async Task<Document?> FixAllAsync(FixAllContext fixAllContext, Document document, ImmutableArray<Diagnostic> diagnostics)
            => await ApplyAsync(document, diagnostics, fixAllContext.CancellationToken).ConfigureAwait(false);
    }
}
