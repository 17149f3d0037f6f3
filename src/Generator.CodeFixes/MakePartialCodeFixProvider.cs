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
using SingleFlight.Generator.Diagnostics;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SingleFlight.Generator.CodeFixes;

/// <summary>
/// SF0001: the "add the attribute, take the fix, done" experience. Makes the method and its containing types
/// partial and, when the method has a body, moves the body into the core method (named per the spec:
/// <c>GetUserAsync</c> → <c>GetUserCoreAsync</c>), leaving the attributed partial declaration.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(MakePartialCodeFixProvider)), Shared]
public sealed class MakePartialCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "SF0001.MakePartial";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.NotPartial.Id);

    /// <inheritdoc/>
    // Two methods of one type both make that type partial: the edits are made on one tree, not merged as text.
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
            if (Plan(root, model, diagnostic, context.CancellationToken) is not { } plan)
            {
                continue;
            }

            var document = context.Document;
            var title = plan.Split
                ? $"Make '{plan.Method.Identifier.ValueText}' partial and move its body into '{plan.CoreName}'"
                : "Make the containing types partial";
            context.RegisterCodeFix(
                CodeAction.Create(title, ct => ApplyAsync(document, ImmutableArray.Create(diagnostic), ct), EquivalenceKey),
                diagnostic);
        }
    }

    private sealed class FixPlan
    {
        public FixPlan(MethodDeclarationSyntax method, string coreName, bool split)
        {
            Method = method;
            CoreName = coreName;
            Split = split;
        }

        public MethodDeclarationSyntax Method { get; }

        public string CoreName { get; }

        public bool Split { get; }
    }

    private static FixPlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken ct)
    {
        if (root.FindNode(diagnostic.Location.SourceSpan).FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } method
            || !diagnostic.Properties.TryGetValue(DiagnosticDescriptors.CoreMethodNameProperty, out var coreName)
            || coreName is null)
        {
            return null;
        }

        var split = diagnostic.Properties.TryGetValue(DiagnosticDescriptors.CanSplitProperty, out var canSplit) && canSplit == "true";
        if (split)
        {
            // Never create a second member with the core's name.
            if (model.GetDeclaredSymbol(method, ct) is not IMethodSymbol symbol || !symbol.ContainingType.GetMembers(coreName).IsEmpty)
            {
                return null;
            }
        }
        else if (!method.Ancestors().OfType<TypeDeclarationSyntax>().Any(static t => !t.Modifiers.Any(SyntaxKind.PartialKeyword)))
        {
            // Nothing this fix can do in this document (for example a method without a body that is not partial).
            return null;
        }

        return new FixPlan(method, coreName, split);
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
        var types = new HashSet<TypeDeclarationSyntax>();
        var methods = new HashSet<MethodDeclarationSyntax>();
        foreach (var diagnostic in diagnostics)
        {
            if (Plan(root, model, diagnostic, ct) is not { } plan || !methods.Add(plan.Method))
            {
                continue;
            }

            foreach (var type in plan.Method.Ancestors().OfType<TypeDeclarationSyntax>())
            {
                if (!type.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    types.Add(type);
                }
            }

            if (plan.Split)
            {
                Split(editor, plan.Method, plan.CoreName);
            }
        }

        foreach (var type in types)
        {
            editor.ReplaceNode(type, static (node, _) => SyntaxHelpers.AddPartial((TypeDeclarationSyntax)node));
        }

        return document.WithSyntaxRoot(editor.GetChangedRoot());
    }

    private static void Split(SyntaxEditor editor, MethodDeclarationSyntax method, string coreName)
    {
        var core = MethodDeclaration(method.ReturnType.WithoutTrivia(), Identifier(coreName))
            .WithModifiers(SyntaxHelpers.CoreModifiers(method, keepAsync: true))
            .WithTypeParameterList(method.TypeParameterList?.WithoutTrivia())
            .WithParameterList(SyntaxHelpers.CoreParameters(method))
            .WithConstraintClauses(method.ConstraintClauses)
            .WithBody(method.Body)
            .WithExpressionBody(method.ExpressionBody)
            .WithSemicolonToken(method.ExpressionBody is not null ? Token(SyntaxKind.SemicolonToken) : default)
            .WithLeadingTrivia(ElasticCarriageReturnLineFeed)
            .WithTrailingTrivia(method.GetTrailingTrivia())
            .WithAdditionalAnnotations(Formatter.Annotation);

        var modifiers = SyntaxHelpers.PartialModifiers(method, out var leading);
        var declaration = method
            .WithModifiers(modifiers)
            .WithBody(null)
            .WithExpressionBody(null)
            .WithSemicolonToken(Token(SyntaxKind.SemicolonToken));
        declaration = declaration
            .WithModifiers(modifiers.Replace(modifiers[0], modifiers[0].WithLeadingTrivia(leading)))
            .WithReturnType(method.Modifiers.Count == 0 ? method.ReturnType.WithoutLeadingTrivia() : method.ReturnType)
            .WithParameterList(declaration.ParameterList.WithoutTrailingTrivia())
            .WithConstraintClauses(List(method.ConstraintClauses.Select(static c => c.WithoutTrailingTrivia())))
            .WithTrailingTrivia(method.GetTrailingTrivia());

        editor.InsertAfter(method, core);
        editor.ReplaceNode(method, declaration);
    }

    private sealed class FixAll : DocumentBasedFixAllProvider
    {
        protected override async Task<Document?> FixAllAsync(FixAllContext fixAllContext, Document document, ImmutableArray<Diagnostic> diagnostics)
            => await ApplyAsync(document, diagnostics, fixAllContext.CancellationToken).ConfigureAwait(false);
    }
}
