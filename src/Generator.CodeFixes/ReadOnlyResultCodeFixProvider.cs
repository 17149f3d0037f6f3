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
using SingleFlight.Generator.Analyzers;
using SingleFlight.Generator.Diagnostics;
using SingleFlight.Generator.Parsing;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SingleFlight.Generator.CodeFixes;

/// <summary>
/// SF0014 on a mutable collection: returns the read-only type instead (<c>List&lt;T&gt;</c>, <c>IList&lt;T&gt;</c>, <c>T[]</c> →
/// <c>IReadOnlyList&lt;T&gt;</c>; <c>Dictionary&lt;TKey, TValue&gt;</c> → <c>IReadOnlyDictionary&lt;TKey, TValue&gt;</c>; <c>HashSet&lt;T&gt;</c>
/// → <c>IReadOnlySet&lt;T&gt;</c>, or <c>IReadOnlyCollection&lt;T&gt;</c> where the target has no <c>IReadOnlySet&lt;T&gt;</c>;
/// <c>byte[]</c>, <c>Memory&lt;T&gt;</c> → <c>ReadOnlyMemory&lt;T&gt;</c>...), in the declaration and in the core, which must keep matching
/// it (SF0002). The <c>Task&lt;&gt;</c>/<c>ValueTask&lt;&gt;</c> wrapper, nullable annotations, tuple elements and type arguments are kept.
/// </summary>
/// <remarks>
/// <para>An <c>async</c> or synchronous core needs nothing else: what it returns converts to the read-only type. A core that
/// returns its task without <c>async</c> does not (a <c>Task&lt;List&lt;T&gt;&gt;</c> is not a <c>Task&lt;IReadOnlyList&lt;T&gt;&gt;</c>):
/// when every such <c>return</c> is a <c>Task.FromResult</c>/<c>ValueTask.FromResult</c>/<c>new ValueTask&lt;T&gt;(value)</c>, the
/// fix names the new type in it; otherwise the core becomes <c>async</c> and awaits what it returned.</para>
/// <para>Offered when the analyzer found the type in both return types (not through an alias) and the method neither
/// overrides nor implements an interface member (<see cref="DiagnosticDescriptors.ReadOnlyTypeProperty"/>). Fix All
/// groups the diagnostics by core, so that a tuple's elements are changed at once.</para>
/// </remarks>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(ReadOnlyResultCodeFixProvider)), Shared]
public sealed class ReadOnlyResultCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "SF0014.ReadOnlyResult";

    private const string TasksNamespace = "System.Threading.Tasks";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.UnsafeResultId);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => new FixAll();

    /// <inheritdoc/>
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!IsFixable(diagnostic, out var view))
            {
                continue;
            }

            var solution = context.Document.Project.Solution;
            context.RegisterCodeFix(
                CodeAction.Create($"Return {Describe(view)} from the method and its core", ct => ApplyAsync(solution, [diagnostic], ct), EquivalenceKey),
                diagnostic);
        }

        return Task.CompletedTask;
    }

    /// <summary>Whether the fix applies to the diagnostic (for tests that apply it in bulk).</summary>
    internal static bool IsFixable(Diagnostic diagnostic, out string view)
    {
        view = string.Empty;
        if (diagnostic.Id != DiagnosticDescriptors.UnsafeResultId
            || !diagnostic.Properties.TryGetValue(DiagnosticDescriptors.ReadOnlyTypeProperty, out var value)
            || value is null
            || diagnostic.AdditionalLocations.Count != 1
            || !diagnostic.Location.IsInSource
            || !diagnostic.AdditionalLocations[0].IsInSource)
        {
            return false;
        }

        view = value;
        return true;
    }

    /// <summary><c>System.Collections.Generic.IReadOnlyDictionary`2</c> → <c>IReadOnlyDictionary&lt;TKey, TValue&gt;</c>.</summary>
    private static string Describe(string metadataName)
    {
        var name = metadataName.Substring(metadataName.LastIndexOf('.') + 1);
        var tick = name.IndexOf('`');
        if (tick < 0)
        {
            return name;
        }

        var arity = int.Parse(name.Substring(tick + 1), System.Globalization.CultureInfo.InvariantCulture);
        return name.Substring(0, tick) + (arity == 2 ? "<TKey, TValue>" : "<T>");
    }

    /// <summary>One flagged type: where it is in the declaration and in the core, and the read-only type to write.</summary>
    private sealed record Target(
        Document DeclarationDocument,
        TypeSyntax DeclarationType,
        Document CoreDocument,
        TypeSyntax CoreType,
        MethodDeclarationSyntax Core,
        string View);

    private static async Task<Target?> FindAsync(Solution solution, Diagnostic diagnostic, CancellationToken ct)
    {
        if (!IsFixable(diagnostic, out var view)
            || solution.GetDocument(diagnostic.Location.SourceTree) is not { } declarationDocument
            || solution.GetDocument(diagnostic.AdditionalLocations[0].SourceTree) is not { } coreDocument)
        {
            return null;
        }

        var declarationType = await FindTypeAsync(declarationDocument, diagnostic.Location, ct).ConfigureAwait(false);
        var coreType = await FindTypeAsync(coreDocument, diagnostic.AdditionalLocations[0], ct).ConfigureAwait(false);
        return declarationType is null || coreType?.FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } core
            ? null
            : new Target(declarationDocument, declarationType, coreDocument, coreType, core, view);
    }

    private static async Task<TypeSyntax?> FindTypeAsync(Document document, Location location, CancellationToken ct)
    {
        var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        if (root is null || location.SourceSpan.End > root.FullSpan.End)
        {
            return null;
        }

        return root.FindNode(location.SourceSpan, getInnermostNodeForTie: true)
            .AncestorsAndSelf()
            .OfType<TypeSyntax>()
            .FirstOrDefault(t => t.Span == location.SourceSpan);
    }

    /// <summary>Applies the fix to every fixable diagnostic of <paramref name="diagnostics"/> at once (a single fix is a list of one).</summary>
    internal static async Task<Solution> ApplyAsync(Solution solution, IReadOnlyList<Diagnostic> diagnostics, CancellationToken ct)
    {
        var targets = new List<Target>();
        foreach (var diagnostic in diagnostics)
        {
            if (await FindAsync(solution, diagnostic, ct).ConfigureAwait(false) is { } target)
            {
                targets.Add(target);
            }
        }

        var editor = new SolutionEditor(solution);
        var usings = new Dictionary<DocumentId, SortedSet<string>>();
        foreach (var byCore in targets.GroupBy(static t => (t.CoreDocument.Id, t.Core)))
        {
            var items = byCore.GroupBy(static t => t.CoreType).Select(static g => g.First()).ToList();
            var coreDocument = items[0].CoreDocument;
            var coreModel = (await coreDocument.GetSemanticModelAsync(ct).ConfigureAwait(false))!;

            // The declaration: each flagged type becomes its read-only type.
            foreach (var item in items)
            {
                var declarationModel = (await item.DeclarationDocument.GetSemanticModelAsync(ct).ConfigureAwait(false))!;
                if (ReadOnlyType(item.DeclarationDocument, item.DeclarationType, item.View, declarationModel, Usings(item.DeclarationDocument.Id)) is not { } newType)
                {
                    continue;
                }

                var declarationEditor = await editor.GetDocumentEditorAsync(item.DeclarationDocument.Id, ct).ConfigureAwait(false);
                declarationEditor.ReplaceNode(item.DeclarationType, newType);
            }

            // The core: the same types, and what it returns when that no longer converts.
            var replacements = new Dictionary<SyntaxNode, System.Func<SyntaxNode, SyntaxNode>>();
            var newTypes = new Dictionary<SyntaxNode, SyntaxNode>();
            foreach (var item in items)
            {
                if (ReadOnlyType(coreDocument, item.CoreType, item.View, coreModel, Usings(coreDocument.Id)) is { } newType)
                {
                    newTypes[item.CoreType] = newType;
                    replacements[item.CoreType] = _ => newType;
                }
            }

            var core = items[0].Core;
            foreach (var item in items)
            {
                ExplicitCreations(core, item, coreModel, replacements, ct);
            }

            var newReturnType = core.ReturnType.ReplaceNodes(newTypes.Keys, (original, _) => newTypes[original]);
            var makeAsync = RewriteReturns(core, coreModel, newReturnType, replacements, ct);
            var newCore = core.ReplaceNodes(replacements.Keys, (original, rewritten) => replacements[original](rewritten));
            if (makeAsync)
            {
                newCore = AddAsync(newCore);
            }

            var coreEditor = await editor.GetDocumentEditorAsync(coreDocument.Id, ct).ConfigureAwait(false);
            coreEditor.ReplaceNode(core, newCore);
        }

        foreach (var pair in usings.Where(static p => p.Value.Count > 0))
        {
            var documentEditor = await editor.GetDocumentEditorAsync(pair.Key, ct).ConfigureAwait(false);
            if (documentEditor.OriginalRoot is CompilationUnitSyntax)
            {
                documentEditor.ReplaceNode(documentEditor.OriginalRoot, (current, _) => pair.Value.Aggregate((CompilationUnitSyntax)current, UseFlightScopeCodeFixProvider.AddUsing));
            }
        }

        return editor.GetChangedSolution();

        SortedSet<string> Usings(DocumentId id)
        {
            if (!usings.TryGetValue(id, out var set))
            {
                usings[id] = set = new SortedSet<string>(System.StringComparer.Ordinal);
            }

            return set;
        }
    }

    /// <summary>
    /// The read-only type for a flagged type: its own type arguments' syntax when it is a BCL collection written with them
    /// (<c>List&lt;string?&gt;</c> → <c>IReadOnlyList&lt;string?&gt;</c>) or an array (<c>int[][]</c> → <c>IReadOnlyList&lt;int[]&gt;</c>), the
    /// arguments of its BCL base type otherwise (<c>ProductList : List&lt;Product&gt;</c> → <c>IReadOnlyList&lt;Product&gt;</c>).
    /// </summary>
    private static TypeSyntax? ReadOnlyType(Document document, TypeSyntax node, string view, SemanticModel model, SortedSet<string> usings)
    {
        var definition = model.Compilation.GetTypeByMetadataName(view);
        if (definition is null || model.GetTypeInfo(node).Type is not { } type)
        {
            return null;
        }

        if (!model.LookupNamespacesAndTypes(node.SpanStart, name: definition.Name).Any(s => SymbolEqualityComparer.Default.Equals(s, definition)))
        {
            usings.Add(definition.ContainingNamespace.ToDisplayString());
        }

        IEnumerable<TypeSyntax>? arguments = null;
        if (node is ArrayTypeSyntax array && type is IArrayTypeSymbol { IsSZArray: true })
        {
            arguments = [array.RankSpecifiers.Count > 1 ? array.WithRankSpecifiers(List(array.RankSpecifiers.Skip(1))).WithoutTrivia() : array.ElementType.WithoutTrivia()];
        }
        else if (ResultRules.TypeArguments(node) is { } written
            && type is INamedTypeSymbol named
            && named.ContainingNamespace.ToDisplayString() is "System" or "System.Collections.Generic" or "System.Collections.ObjectModel"
            && written.Count == definition.Arity)
        {
            arguments = written.Select(static a => a.WithoutTrivia());
        }
        else
        {
            for (var current = type as INamedTypeSymbol; current is not null && arguments is null; current = current.BaseType)
            {
                if (current.Arity == definition.Arity && current.ContainingNamespace.ToDisplayString().StartsWith("System", System.StringComparison.Ordinal))
                {
                    var generator = SyntaxGenerator.GetGenerator(document);
                    arguments = current.TypeArguments.Select(a => (TypeSyntax)generator.TypeExpression(a));
                }
            }
        }

        return arguments is null
            ? null
            : GenericName(Identifier(definition.Name), TypeArgumentList(SeparatedList(arguments))).WithTriviaFrom(node);
    }

    /// <summary>
    /// A <c>return new(...)</c> or <c>return [...]</c> (directly, or as the value of <c>Task.FromResult</c>) that made the old
    /// type from the return type: the read-only interface cannot be created, so the fix names the old type
    /// (<c>new HashSet&lt;string&gt;(...)</c>, <c>new byte[] { ... }</c>). A collection expression stays when the new type is
    /// <c>IReadOnlyList&lt;T&gt;</c> or <c>IReadOnlyCollection&lt;T&gt;</c> (it can build those), or when it spreads.
    /// </summary>
    private static void ExplicitCreations(MethodDeclarationSyntax core, Target item, SemanticModel model, Dictionary<SyntaxNode, System.Func<SyntaxNode, SyntaxNode>> replacements, CancellationToken ct)
    {
        if (model.GetTypeInfo(item.CoreType, ct).Type is not { } oldType)
        {
            return;
        }

        var collectionExpressionsStay = item.View is "System.Collections.Generic.IReadOnlyList`1" or "System.Collections.Generic.IReadOnlyCollection`1";
        foreach (var returned in ResultRules.ReturnedExpressions(core))
        {
            var expression = returned is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } invocation
                && model.GetSymbolInfo(invocation, ct).Symbol is IMethodSymbol { Name: "FromResult", IsStatic: true }
                ? invocation.ArgumentList.Arguments[0].Expression
                : returned;
            if (!SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(expression, ct).ConvertedType, oldType))
            {
                continue;
            }

            var type = item.CoreType.WithoutTrivia();
            switch (expression)
            {
                case ImplicitObjectCreationExpressionSyntax creation:
                    var explicitCreation = ObjectCreationExpression(Token(SyntaxKind.NewKeyword).WithTrailingTrivia(Space), type, creation.ArgumentList, creation.Initializer)
                        .WithTriviaFrom(creation);
                    replacements[expression] = _ => explicitCreation;
                    break;
                case CollectionExpressionSyntax collection when !collectionExpressionsStay && collection.Elements.All(static e => e is ExpressionElementSyntax):
                    var elements = string.Join(", ", collection.Elements.Cast<ExpressionElementSyntax>().Select(static e => e.Expression.WithoutTrivia().ToFullString()));
                    var created = ParseExpression(elements.Length == 0 ? $"new {type.ToFullString()}{(type is ArrayTypeSyntax ? " { }" : "()")}" : $"new {type.ToFullString()} {{ {elements} }}")
                        .WithTriviaFrom(collection);
                    replacements[expression] = _ => created;
                    break;
            }
        }
    }

    /// <summary>
    /// For a core that returns its <c>Task&lt;T&gt;</c>/<c>ValueTask&lt;T&gt;</c> without <c>async</c>: adds to
    /// <paramref name="replacements"/> what each <c>return</c> of a task becomes, and says whether the core must become
    /// <c>async</c> (see the remarks of the type).
    /// </summary>
    private static bool RewriteReturns(MethodDeclarationSyntax core, SemanticModel model, TypeSyntax newReturnType, Dictionary<SyntaxNode, System.Func<SyntaxNode, SyntaxNode>> replacements, CancellationToken ct)
    {
        if (core.Modifiers.Any(SyntaxKind.AsyncKeyword) || ResultRules.TypeArguments(newReturnType) is not { Count: 1 } wrapped)
        {
            return false;
        }

        var newValue = wrapped[0].WithoutTrivia();
        var tasks = new List<(ExpressionSyntax Expression, bool IsFromResult)>();
        foreach (var expression in ResultRules.ReturnedExpressions(core))
        {
            if (model.GetTypeInfo(expression, ct).Type is not INamedTypeSymbol { Arity: 1 } task
                || !(task.OriginalDefinition.IsNamed(TasksNamespace, "Task", 1) || task.OriginalDefinition.IsNamed(TasksNamespace, "ValueTask", 1)))
            {
                continue;
            }

            tasks.Add((expression, IsFromResult(expression, model, ct)));
        }

        if (tasks.Count == 0)
        {
            return false;
        }

        // Each replacement works on the expression as already rewritten inside (an explicit creation of its value).
        if (tasks.All(static t => t.IsFromResult))
        {
            foreach (var (expression, _) in tasks)
            {
                replacements[expression] = rewritten => NameNewType((ExpressionSyntax)rewritten, newValue);
            }

            return false;
        }

        foreach (var (expression, isFromResult) in tasks)
        {
            replacements[expression] = isFromResult
                ? rewritten => ValueOf((ExpressionSyntax)rewritten).WithTriviaFrom(rewritten)
                : rewritten => AwaitExpression(Parenthesize(((ExpressionSyntax)rewritten).WithoutTrivia())).WithTriviaFrom(rewritten);
        }

        return true;
    }

    /// <summary><c>Task.FromResult(value)</c>, <c>ValueTask.FromResult(value)</c>, <c>new ValueTask&lt;T&gt;(value)</c> or a target-typed <c>new(value)</c>.</summary>
    private static bool IsFromResult(ExpressionSyntax expression, SemanticModel model, CancellationToken ct) => expression switch
    {
        InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1, Expression: MemberAccessExpressionSyntax or SimpleNameSyntax } invocation
            => model.GetSymbolInfo(invocation, ct).Symbol is IMethodSymbol { Name: "FromResult", IsStatic: true } method
                && (method.ContainingType.IsNamed(TasksNamespace, "Task") || method.ContainingType.IsNamed(TasksNamespace, "ValueTask")),
        BaseObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: 1 } creation
            => model.GetSymbolInfo(creation, ct).Symbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
                && constructor.ContainingType.OriginalDefinition.IsNamed(TasksNamespace, "ValueTask", 1)
                && constructor.OriginalDefinition.Parameters[0].Type.TypeKind == TypeKind.TypeParameter,
        _ => false,
    };

    /// <summary>The value of a <see cref="IsFromResult"/> expression.</summary>
    private static ExpressionSyntax ValueOf(ExpressionSyntax expression) => expression switch
    {
        InvocationExpressionSyntax invocation => invocation.ArgumentList.Arguments[0].Expression,
        BaseObjectCreationExpressionSyntax creation => creation.ArgumentList!.Arguments[0].Expression,
        _ => expression,
    };

    /// <summary>The <see cref="IsFromResult"/> expression with the new type named: <c>Task.FromResult&lt;T&gt;(value)</c>, <c>new ValueTask&lt;T&gt;(value)</c>; a target-typed <c>new(value)</c> as it is.</summary>
    private static ExpressionSyntax NameNewType(ExpressionSyntax expression, TypeSyntax newValue)
    {
        var typeArguments = TypeArgumentList(SingletonSeparatedList(newValue));
        return expression switch
        {
            InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } invocation
                => invocation.WithExpression(access.WithName(GenericName(Identifier("FromResult"), typeArguments))),
            InvocationExpressionSyntax { Expression: SimpleNameSyntax name } invocation
                => invocation.WithExpression(GenericName(Identifier("FromResult"), typeArguments).WithTriviaFrom(name)),
            ObjectCreationExpressionSyntax creation
                => creation.WithType(GenericName(Identifier("ValueTask"), typeArguments).WithTriviaFrom(creation.Type)),
            _ => expression,
        };
    }

    private static ExpressionSyntax Parenthesize(ExpressionSyntax expression)
        => expression is InvocationExpressionSyntax or MemberAccessExpressionSyntax or IdentifierNameSyntax or ObjectCreationExpressionSyntax
            or ElementAccessExpressionSyntax or ParenthesizedExpressionSyntax or GenericNameSyntax
            ? expression
            : ParenthesizedExpression(expression);

    /// <summary>The method with <c>async</c> before its return type.</summary>
    private static MethodDeclarationSyntax AddAsync(MethodDeclarationSyntax method)
    {
        if (method.Modifiers.Count == 0)
        {
            var returnType = method.ReturnType;
            return method
                .WithReturnType(returnType.WithLeadingTrivia(Space))
                .WithModifiers(TokenList(Token(returnType.GetLeadingTrivia(), SyntaxKind.AsyncKeyword, TriviaList())));
        }

        return method.WithModifiers(method.Modifiers.Add(Token(SyntaxKind.AsyncKeyword).WithTrailingTrivia(Space)));
    }

    /// <summary>Every fixable SF0014 in scope, grouped by core, so that the edits do not collide.</summary>
    private sealed class FixAll : FixAllProvider
    {
        public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() => [FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution];

        public override async Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
        {
            var documents = fixAllContext.Scope switch
            {
                FixAllScope.Document when fixAllContext.Document is not null => [fixAllContext.Document],
                FixAllScope.Project => fixAllContext.Project.Documents.ToList(),
                FixAllScope.Solution => fixAllContext.Solution.Projects.SelectMany(static p => p.Documents).ToList(),
                _ => new List<Document>(),
            };

            var diagnostics = new List<Diagnostic>();
            foreach (var document in documents)
            {
                diagnostics.AddRange(await fixAllContext.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false));
            }

            var solution = fixAllContext.Solution;
            return CodeAction.Create("Return read-only collections from the flights", ct => ApplyAsync(solution, diagnostics, ct), EquivalenceKey);
        }
    }
}
