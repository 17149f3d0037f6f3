using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using SingleFlight.Generator.Diagnostics;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SingleFlight.Generator.CodeFixes;

/// <summary>
/// SF0016: adds the missing batch core of a batched single-key method, with the signature the diagnostic carries and a
/// body that throws. A core that exists but is not a batch core is the user's code to change.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(AddBatchCoreCodeFixProvider)), Shared]
public sealed class AddBatchCoreCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "SF0016.AddBatchCore";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.BatchCoreId);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => new FixAll();

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Find(root, diagnostic) is not { } found)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Add batch core '{found.CoreName}'",
                    ct => ApplyAsync(document, ImmutableArray.Create(diagnostic), ct),
                    EquivalenceKey),
                diagnostic);
        }
    }

    private static (MethodDeclarationSyntax Method, string CoreName, string Signature)? Find(SyntaxNode root, Diagnostic diagnostic)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } method
            || !diagnostic.Properties.TryGetValue(DiagnosticDescriptors.CoreMethodNameProperty, out var coreName) || coreName is null
            || !diagnostic.Properties.TryGetValue(DiagnosticDescriptors.BatchCoreSignatureProperty, out var signature) || signature is null)
        {
            return null;
        }

        return (method, coreName, signature);
    }

    private static async Task<Document> ApplyAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken ct)
    {
        var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        var editor = new SyntaxEditor(root, document.Project.Solution.Services);
        var done = new HashSet<MethodDeclarationSyntax>();
        foreach (var diagnostic in diagnostics)
        {
            if (Find(root, diagnostic) is { } found && done.Add(found.Method) && CreateStub(found.Signature) is { } stub)
            {
                editor.InsertAfter(found.Method, stub.WithTrailingTrivia(found.Method.GetTrailingTrivia()));
            }
        }

        // The dictionary and collection types come fully qualified: the usings they need are added, then the names reduced.
        var changed = document.WithSyntaxRoot(editor.GetChangedRoot());
        changed = await ImportAdder.AddImportsAsync(changed, Simplifier.AddImportsAnnotation, cancellationToken: ct).ConfigureAwait(false);
        return await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: ct).ConfigureAwait(false);
    }

    private static MethodDeclarationSyntax? CreateStub(string signature)
    {
        if (ParseMemberDeclaration("private " + signature + " => throw new global::System.NotImplementedException();") is not MethodDeclarationSyntax stub
            || stub.ContainsDiagnostics)
        {
            return null;
        }

        return stub
            .WithLeadingTrivia(ElasticCarriageReturnLineFeed)
            .WithAdditionalAnnotations(Formatter.Annotation, Simplifier.Annotation, Simplifier.AddImportsAnnotation);
    }

    private sealed class FixAll : DocumentBasedFixAllProvider
    {
        protected override async Task<Document?> FixAllAsync(FixAllContext fixAllContext, Document document, ImmutableArray<Diagnostic> diagnostics)
            => await ApplyAsync(document, diagnostics, fixAllContext.CancellationToken).ConfigureAwait(false);
    }
}
