using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
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

/// <summary>SF0002: adds the missing core method, with the declaration's signature and a body that throws.</summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(AddCoreMethodCodeFixProvider)), Shared]
public sealed class AddCoreMethodCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "SF0002.AddCoreMethod";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.CoreMethod.Id);

    /// <inheritdoc/>
    // Stubs go after their declarations, formatted together on one tree.
    public override FixAllProvider GetFixAllProvider() => new FixAll();

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Find(root, model, diagnostic, context.CancellationToken) is not { } found)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Add core method '{found.CoreName}'",
                    ct => ApplyAsync(document, ImmutableArray.Create(diagnostic), ct),
                    EquivalenceKey),
                diagnostic);
        }
    }

    private static (MethodDeclarationSyntax Method, string CoreName)? Find(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken ct)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } method
            || !diagnostic.Properties.TryGetValue(DiagnosticDescriptors.CoreMethodNameProperty, out var coreName)
            || coreName is null
            || model.GetDeclaredSymbol(method, ct) is not IMethodSymbol symbol
            || !symbol.ContainingType.GetMembers(coreName).IsEmpty)
        {
            // Only a missing core gets a stub: a mismatching one is the user's code to correct.
            return null;
        }

        return (method, coreName);
    }

    private static async Task<Document> ApplyAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken ct)
    {
        var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(ct).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return document;
        }

        var editor = new SyntaxEditor(root, document.Project.Solution.Services);
        var done = new HashSet<MethodDeclarationSyntax>();
        foreach (var diagnostic in diagnostics)
        {
            if (Find(root, model, diagnostic, ct) is { } found && done.Add(found.Method))
            {
                editor.InsertAfter(found.Method, CreateStub(found.Method, found.CoreName));
            }
        }

        return document.WithSyntaxRoot(editor.GetChangedRoot());
    }

    private static MethodDeclarationSyntax CreateStub(MethodDeclarationSyntax method, string coreName)
    {
        var exception = ParseTypeName("global::System.NotImplementedException").WithAdditionalAnnotations(Simplifier.Annotation);
        return MethodDeclaration(method.ReturnType.WithoutTrivia(), Identifier(coreName))
            .WithModifiers(SyntaxHelpers.CoreModifiers(method, keepAsync: false))
            .WithTypeParameterList(method.TypeParameterList?.WithoutTrivia())
            .WithParameterList(SyntaxHelpers.CoreParameters(method))
            .WithConstraintClauses(List(method.ConstraintClauses.Select(static c => c.WithoutTrivia())))
            .WithBody(Block(ThrowStatement(ObjectCreationExpression(exception).WithArgumentList(ArgumentList()))))
            .WithLeadingTrivia(ElasticCarriageReturnLineFeed)
            .WithTrailingTrivia(method.GetTrailingTrivia())
            .WithAdditionalAnnotations(Formatter.Annotation);
    }

    private sealed class FixAll : DocumentBasedFixAllProvider
    {
        protected override async Task<Document?> FixAllAsync(FixAllContext fixAllContext, Document document, ImmutableArray<Diagnostic> diagnostics)
            => await ApplyAsync(document, diagnostics, fixAllContext.CancellationToken).ConfigureAwait(false);
    }
}
