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
using Microsoft.CodeAnalysis.Operations;
using SingleFlight.Generator.Diagnostics;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace SingleFlight.Generator.CodeFixes;

/// <summary>
/// SF0012: turns the caller-owned member the core uses into a <c>[FromFlightScope]</c> parameter of the core, so that the
/// flight resolves its own from a scope it owns. The core's uses of the member become the parameter; the containing type
/// gets an <c>IServiceScopeFactory</c> when it has none (a primary-constructor parameter, or a field set by its one
/// constructor); the core becomes <c>static</c> when it no longer uses the instance.
/// </summary>
/// <remarks>
/// Not offered when the member is used by a method the core calls (the diagnostic names that method), or when the type
/// has no <c>IServiceScopeFactory</c> and neither a primary constructor nor exactly one instance constructor with a body
/// that does not chain to <c>this(...)</c>. Fix All groups the diagnostics by core and by type, so that one core gets all
/// its parameters and one type gets one scope factory.
/// </remarks>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(UseFlightScopeCodeFixProvider)), Shared]
public sealed class UseFlightScopeCodeFixProvider : CodeFixProvider
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "SF0012.UseFlightScope";

    private const string ScopeFactoryNamespace = "Microsoft.Extensions.DependencyInjection";
    private const string ScopeFactoryMetadataName = ScopeFactoryNamespace + ".IServiceScopeFactory";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticDescriptors.CallerOwnedDisposable.Id);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => new FixAll();

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (await FindFixableAsync(context.Document, diagnostic, context.CancellationToken).ConfigureAwait(false) is not { } target)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Take '{target.Member.Name}' from the flight's own scope ([FromFlightScope] parameter of '{target.Core.Name}')",
                    ct => ApplyAsync(document.Project.Solution, [(document, diagnostic)], ct),
                    EquivalenceKey),
                diagnostic);
        }
    }

    /// <summary>The flagged use when the fix applies to it (see the remarks of the type).</summary>
    private static async Task<Target?> FindFixableAsync(Document document, Diagnostic diagnostic, CancellationToken ct)
        => await FindAsync(document, diagnostic, ct).ConfigureAwait(false) is { } target
            && !IsServiceScope(target.MemberType)
            && CanProvideScopeFactory(target.Type, ct)
            ? target
            : null;

    /// <summary>Whether the fix applies to the diagnostic (for tests that apply it in bulk).</summary>
    internal static async Task<bool> IsFixableAsync(Document document, Diagnostic diagnostic, CancellationToken ct)
        => await FindFixableAsync(document, diagnostic, ct).ConfigureAwait(false) is not null;

    // A container does not hand out IServiceScope: the work needs the services the scope was used for, as parameters.
    private static bool IsServiceScope(ITypeSymbol type)
        => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.None))
            is "global::Microsoft.Extensions.DependencyInjection.IServiceScope" or "global::Microsoft.Extensions.DependencyInjection.AsyncServiceScope";

    /// <summary>One flagged use: the core's declaration and symbol, the member, the containing type.</summary>
    private sealed record Target(Document Document, MethodDeclarationSyntax CoreSyntax, IMethodSymbol Core, ISymbol Member, ITypeSymbol MemberType, INamedTypeSymbol Type);

    private static async Task<Target?> FindAsync(Document document, Diagnostic diagnostic, CancellationToken ct)
    {
        if (diagnostic.Properties.ContainsKey(DiagnosticDescriptors.ThroughMethodProperty))
        {
            return null;
        }

        var root = await document.GetSyntaxRootAsync(ct).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(ct).ConfigureAwait(false);
        if (root is null || model is null || !diagnostic.Location.IsInSource || diagnostic.Location.SourceTree != root.SyntaxTree)
        {
            return null;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (node.FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { } coreSyntax
            || model.GetDeclaredSymbol(coreSyntax, ct) is not { } core
            || model.GetSymbolInfo(node, ct).Symbol is not { } member)
        {
            return null;
        }

        var memberType = member switch
        {
            IFieldSymbol field => field.Type,
            IPropertySymbol property => property.Type,
            IParameterSymbol parameter => parameter.Type,
            _ => null,
        };
        return memberType is null ? null : new Target(document, coreSyntax, core, member.OriginalDefinition, memberType, core.ContainingType);
    }

    // ---- the scope factory -------------------------------------------------------------------------------------

    /// <summary>What the type needs so that [FromFlightScope] works: nothing, a primary-constructor parameter, or a field and a constructor parameter.</summary>
    private enum FactoryPlan
    {
        None,
        Exists,
        PrimaryConstructorParameter,
        FieldAndConstructorParameter,
        RemoveParametersOnly,
    }

    private static bool CanProvideScopeFactory(INamedTypeSymbol type, CancellationToken ct) => PlanFactory(type, ct).Plan != FactoryPlan.None;

    private static (FactoryPlan Plan, SyntaxNode? Node) PlanFactory(INamedTypeSymbol type, CancellationToken ct)
    {
        static bool IsFactory(ITypeSymbol? t) => t?.ToDisplayString() == ScopeFactoryMetadataName;

        for (var t = type; t is not null; t = t.BaseType)
        {
            foreach (var member in t.GetMembers())
            {
                if (member.IsStatic || (!SymbolEqualityComparer.Default.Equals(t, type) && member.DeclaredAccessibility == Accessibility.Private))
                {
                    continue;
                }

                if ((member is IFieldSymbol field && IsFactory(field.Type)) || (member is IPropertySymbol property && IsFactory(property.Type)))
                {
                    return (FactoryPlan.Exists, null);
                }
            }
        }

        foreach (var constructor in type.InstanceConstructors)
        {
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(ct) is TypeDeclarationSyntax { ParameterList: not null } declaration)
                {
                    return constructor.Parameters.Any(p => IsFactory(p.Type))
                        ? (FactoryPlan.Exists, null)
                        : (FactoryPlan.PrimaryConstructorParameter, declaration);
                }
            }
        }

        var explicitConstructors = type.InstanceConstructors.Where(static c => !c.IsImplicitlyDeclared).ToList();
        if (explicitConstructors.Count == 1
            && explicitConstructors[0].DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(ct) is ConstructorDeclarationSyntax constructorSyntax
            && (constructorSyntax.Body is not null || constructorSyntax.ExpressionBody is not null)
            && constructorSyntax.Initializer is not { RawKind: (int)SyntaxKind.ThisConstructorInitializer })
        {
            return (FactoryPlan.FieldAndConstructorParameter, constructorSyntax);
        }

        return (FactoryPlan.None, null);
    }

    // ---- the edit ----------------------------------------------------------------------------------------------

    /// <summary>Applies the fix to every fixable diagnostic of <paramref name="items"/> at once (a single fix is a list of one).</summary>
    internal static async Task<Solution> ApplyAsync(Solution solution, IReadOnlyList<(Document Document, Diagnostic Diagnostic)> items, CancellationToken ct)
    {
        var targets = new List<Target>();
        foreach (var (document, diagnostic) in items)
        {
            if (await FindFixableAsync(document, diagnostic, ct).ConfigureAwait(false) is { } target)
            {
                targets.Add(target);
            }
        }

        var editor = new SolutionEditor(solution);
        var usings = new Dictionary<DocumentId, SortedSet<string>>();
        foreach (var byType in targets.GroupBy(static t => t.Type.OriginalDefinition, SymbolEqualityComparer.Default))
        {
            var type = (INamedTypeSymbol)byType.Key!;
            var (plan, node) = PlanFactory(type, ct);
            if (plan == FactoryPlan.None)
            {
                continue;
            }

            foreach (var byCore in byType.GroupBy(static t => t.CoreSyntax))
            {
                var first = byCore.First();
                var documentEditor = await editor.GetDocumentEditorAsync(first.Document.Id, ct).ConfigureAwait(false);
                var members = byCore.GroupBy(static t => t.Member, SymbolEqualityComparer.Default).Select(static g => g.First()).ToList();
                var rewritten = await RewriteCoreAsync(first.Document, first.CoreSyntax, first.Core, members, Usings(first.Document.Id), ct).ConfigureAwait(false);
                documentEditor.ReplaceNode(first.CoreSyntax, rewritten);
            }

            // A primary-constructor parameter that only the rewritten cores used goes away (it would be unread: CS9113).
            var unread = new HashSet<string>();
            foreach (var parameter in byType.Select(static t => t.Member).OfType<IParameterSymbol>().Distinct(SymbolEqualityComparer.Default).Cast<IParameterSymbol>())
            {
                if (!await IsUsedOutsideAsync(solution, type, parameter, byType.Select(static t => t.CoreSyntax).ToList(), ct).ConfigureAwait(false))
                {
                    unread.Add(parameter.Name);
                }
            }

            if (unread.Count > 0 && plan != FactoryPlan.PrimaryConstructorParameter)
            {
                node = PrimaryConstructorDeclaration(type, ct);
                plan = node is null ? plan : FactoryPlan.RemoveParametersOnly;
            }

            if (node is not null && solution.GetDocument(node.SyntaxTree) is { } typeDocument)
            {
                var documentEditor = await editor.GetDocumentEditorAsync(typeDocument.Id, ct).ConfigureAwait(false);
                AddScopeFactory(documentEditor, plan, node, type, unread, Usings(typeDocument.Id));
            }
        }

        foreach (var pair in usings)
        {
            var documentEditor = await editor.GetDocumentEditorAsync(pair.Key, ct).ConfigureAwait(false);
            if (documentEditor.OriginalRoot is CompilationUnitSyntax)
            {
                documentEditor.ReplaceNode(documentEditor.OriginalRoot, (current, _) => pair.Value.Aggregate((CompilationUnitSyntax)current, AddUsing));
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
    /// The type as the fix writes it: fully qualified for the simplifier, with the namespaces it needs (itself and its type
    /// arguments) added to <paramref name="usings"/> when the file does not already see them by their simple names.
    /// </summary>
    private static TypeSyntax TypeSyntaxFor(ITypeSymbol type, SyntaxGenerator generator, SemanticModel model, int position, SortedSet<string> usings)
    {
        void Need(ITypeSymbol t)
        {
            if (t is INamedTypeSymbol named)
            {
                var original = named.OriginalDefinition;
                if (original.ContainingType is null
                    && original.SpecialType == SpecialType.None
                    && !original.ContainingNamespace.IsGlobalNamespace
                    && !model.LookupNamespacesAndTypes(position, name: original.Name).Any(s => SymbolEqualityComparer.Default.Equals(s, original)))
                {
                    usings.Add(original.ContainingNamespace.ToDisplayString());
                }

                foreach (var argument in named.TypeArguments)
                {
                    Need(argument);
                }
            }
            else if (t is IArrayTypeSymbol array)
            {
                Need(array.ElementType);
            }
        }

        Need(type);
        return (TypeSyntax)generator.TypeExpression(type);
    }

    /// <summary>The core with one [FromFlightScope] parameter per member, its uses replaced, static when nothing of the instance is left.</summary>
    private static async Task<MethodDeclarationSyntax> RewriteCoreAsync(
        Document document,
        MethodDeclarationSyntax core,
        IMethodSymbol coreSymbol,
        IReadOnlyList<Target> members,
        SortedSet<string> usings,
        CancellationToken ct)
    {
        var model = (await document.GetSemanticModelAsync(ct).ConfigureAwait(false))!;
        var generator = SyntaxGenerator.GetGenerator(document);
        var taken = new HashSet<string>(core.DescendantTokens().Where(static t => t.IsKind(SyntaxKind.IdentifierToken)).Select(static t => t.ValueText));
        taken.UnionWith(coreSymbol.Parameters.Select(static p => p.Name));

        var replacements = new Dictionary<SyntaxNode, string>();
        var parameters = new List<ParameterSyntax>();
        var attributeType = model.Compilation.GetTypeByMetadataName("SingleFlight.FromFlightScopeAttribute");
        foreach (var target in members)
        {
            var name = ParameterName(target.Member, taken);
            var uses = UsesOf(core, model, target.Member, ct);
            foreach (var use in uses)
            {
                replacements[use] = name;
            }

            var attributes = attributeType is null
                ? AttributeList(SingletonSeparatedList(Attribute(ParseName("SingleFlight.FromFlightScope"))))
                : (AttributeListSyntax)generator.Attribute(TypeSyntaxFor(attributeType, generator, model, core.SpanStart, usings));
            parameters.Add(Parameter(Identifier(name))
                .WithAttributeLists(SingletonList(attributes))
                .WithType(TypeSyntaxFor(target.MemberType, generator, model, core.SpanStart, usings))
                .WithAdditionalAnnotations(Formatter.Annotation));
        }

        var makeStatic = !core.Modifiers.Any(SyntaxKind.StaticKeyword) && !UsesInstanceBesides(core, model, replacements.Keys, ct);
        var rewritten = core.ReplaceNodes(
            replacements.Keys,
            (original, _) => IdentifierName(replacements[original]).WithTriviaFrom(original));

        // Before the trailing CancellationToken parameters, like the README's GetUserCoreAsync(int id, [FromFlightScope] AppDb db, CancellationToken ct).
        var list = rewritten.ParameterList.Parameters;
        var index = list.Count;
        while (index > 0 && coreSymbol.Parameters.Length >= index && IsCancellationToken(coreSymbol.Parameters[index - 1].Type))
        {
            index--;
        }

        list = list.InsertRange(index, parameters);
        rewritten = rewritten.WithParameterList(rewritten.ParameterList.WithParameters(list).WithAdditionalAnnotations(Formatter.Annotation));

        if (makeStatic)
        {
            var modifiers = rewritten.Modifiers;
            var at = 0;
            while (at < modifiers.Count && SyntaxFacts.IsAccessibilityModifier(modifiers[at].Kind()))
            {
                at++;
            }

            var staticToken = Token(SyntaxKind.StaticKeyword).WithTrailingTrivia(Space);
            if (modifiers.Count == 0)
            {
                var first = rewritten.ReturnType.GetFirstToken();
                rewritten = rewritten
                    .ReplaceToken(first, first.WithLeadingTrivia(Space))
                    .WithModifiers(TokenList(staticToken.WithLeadingTrivia(first.LeadingTrivia)));
            }
            else
            {
                rewritten = rewritten.WithModifiers(modifiers.Insert(at, staticToken));
            }
        }

        return rewritten;
    }

    private static bool IsCancellationToken(ITypeSymbol type) => type.ToDisplayString() == "System.Threading.CancellationToken";

    /// <summary>The core's references to the member: <c>db</c>, <c>_db</c>, <c>Db</c>, or <c>this._db</c> / <c>base.Db</c> as a whole.</summary>
    private static List<SyntaxNode> UsesOf(MethodDeclarationSyntax core, SemanticModel model, ISymbol member, CancellationToken ct)
    {
        var uses = new List<SyntaxNode>();
        foreach (var identifier in core.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (identifier.Identifier.ValueText != member.Name
                || model.GetSymbolInfo(identifier, ct).Symbol is not { } symbol
                || !SymbolEqualityComparer.Default.Equals(symbol.OriginalDefinition, member))
            {
                continue;
            }

            if (identifier.Parent is MemberAccessExpressionSyntax access && access.Name == identifier)
            {
                if (access.Expression is ThisExpressionSyntax or BaseExpressionSyntax)
                {
                    uses.Add(access);
                }

                // Another instance's member (other._db) is not this instance's.
                continue;
            }

            uses.Add(identifier);
        }

        return uses;
    }

    /// <summary>Whether the core uses anything of the instance other than <paramref name="replaced"/>.</summary>
    private static bool UsesInstanceBesides(MethodDeclarationSyntax core, SemanticModel model, IEnumerable<SyntaxNode> replaced, CancellationToken ct)
    {
        if (model.GetOperation(core, ct) is not { } body)
        {
            return true;
        }

        var spans = replaced.Select(static n => n.Span).ToList();
        foreach (var operation in body.Descendants())
        {
            var usesInstance = operation switch
            {
                IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } => true,
                IParameterReferenceOperation { Parameter.ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.Constructor } } => true,
                _ => false,
            };
            if (usesInstance && !spans.Any(s => s.Contains(operation.Syntax.Span)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The member's name as a parameter name: <c>_db</c>, <c>m_db</c>, <c>Db</c> → <c>db</c>; unique in the core.</summary>
    private static string ParameterName(ISymbol member, HashSet<string> taken)
    {
        var name = member.Name;
        if (name.StartsWith("m_", System.StringComparison.Ordinal) || name.StartsWith("s_", System.StringComparison.Ordinal))
        {
            name = name.Substring(2);
        }

        name = name.TrimStart('_');
        if (name.Length == 0)
        {
            name = "service";
        }

        name = char.ToLowerInvariant(name[0]) + name.Substring(1);
        if (SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None)
        {
            name = "@" + name;
        }

        // A primary-constructor parameter keeps its name: the new parameter hides it in the core, which is the point.
        if (member is IParameterSymbol && name == member.Name)
        {
            taken.Add(name);
            return name;
        }

        var candidate = name;
        for (var i = 2; taken.Contains(candidate); i++)
        {
            candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        taken.Add(candidate);
        return candidate;
    }

    private static TypeDeclarationSyntax? PrimaryConstructorDeclaration(INamedTypeSymbol type, CancellationToken ct)
        => type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(ct)).OfType<TypeDeclarationSyntax>().FirstOrDefault(static d => d.ParameterList is not null);

    /// <summary>Whether any declaration of the type, outside the cores being rewritten, refers to the parameter.</summary>
    private static async Task<bool> IsUsedOutsideAsync(Solution solution, INamedTypeSymbol type, IParameterSymbol parameter, IReadOnlyList<MethodDeclarationSyntax> cores, CancellationToken ct)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(ct) is not TypeDeclarationSyntax declaration || solution.GetDocument(declaration.SyntaxTree) is not { } document)
            {
                continue;
            }

            SemanticModel? model = null;
            foreach (var identifier in declaration.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (identifier.Identifier.ValueText != parameter.Name
                    || cores.Any(c => c.SyntaxTree == identifier.SyntaxTree && c.Span.Contains(identifier.Span)))
                {
                    continue;
                }

                model ??= await document.GetSemanticModelAsync(ct).ConfigureAwait(false);
                if (model is not null && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, ct).Symbol?.OriginalDefinition, parameter))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static void AddScopeFactory(DocumentEditor editor, FactoryPlan plan, SyntaxNode node, INamedTypeSymbol type, HashSet<string> unread, SortedSet<string> usings)
    {
        var factoryType = editor.SemanticModel.Compilation.GetTypeByMetadataName(ScopeFactoryMetadataName);
        var factorySyntax = factoryType is null
            ? ParseTypeName("global::" + ScopeFactoryMetadataName)
            : TypeSyntaxFor(factoryType, editor.Generator, editor.SemanticModel, node.SpanStart, usings);
        TypeSyntax TypeSyntaxOf() => factorySyntax;

        var memberNames = new HashSet<string>(type.MemberNames);
        var parameterName = "scopes";
        if (plan is FactoryPlan.PrimaryConstructorParameter or FactoryPlan.RemoveParametersOnly)
        {
            var declaration = (TypeDeclarationSyntax)node;
            var kept = declaration.ParameterList!.Parameters.Where(p => !unread.Contains(p.Identifier.ValueText)).ToList();
            parameterName = Unique(parameterName, new HashSet<string>(kept.Select(static p => p.Identifier.ValueText)));
            var addFactory = plan == FactoryPlan.PrimaryConstructorParameter;
            editor.ReplaceNode(declaration.ParameterList!, (current, _) =>
            {
                var parameterList = (ParameterListSyntax)current;
                var parameters = parameterList.Parameters;
                while (parameters.FirstOrDefault(p => unread.Contains(p.Identifier.ValueText)) is { } gone)
                {
                    parameters = parameters.Remove(gone);
                }

                if (addFactory)
                {
                    parameters = parameters.Add(Parameter(Identifier(parameterName)).WithType(TypeSyntaxOf()).WithAdditionalAnnotations(Formatter.Annotation));
                }

                return parameterList.WithParameters(parameters);
            });
            return;
        }

        var constructor = (ConstructorDeclarationSyntax)node;
        var constructorSymbol = editor.SemanticModel.GetDeclaredSymbol(constructor);
        var existingParameter = constructorSymbol?.Parameters.FirstOrDefault(p => SymbolEqualityComparer.Default.Equals(p.Type, factoryType));
        parameterName = existingParameter?.Name
            ?? Unique(parameterName, new HashSet<string>(constructor.ParameterList.Parameters.Select(static p => p.Identifier.ValueText)));
        var fieldName = Unique("_" + parameterName.TrimStart('@'), memberNames);
        editor.ReplaceNode(constructor, (current, _) =>
        {
            var ctor = (ConstructorDeclarationSyntax)current;
            var assignment = ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, IdentifierName(fieldName), IdentifierName(parameterName)));
            var body = ctor.Body ?? Block(ExpressionStatement(ctor.ExpressionBody!.Expression));
            return ctor
                .WithExpressionBody(null)
                .WithSemicolonToken(default)
                .WithBody(body.AddStatements(assignment))
                .WithParameterList(existingParameter is null ? ctor.ParameterList.AddParameters(Parameter(Identifier(parameterName)).WithType(TypeSyntaxOf())) : ctor.ParameterList)
                .WithAdditionalAnnotations(Formatter.Annotation);
        });

        var field = FieldDeclaration(VariableDeclaration(TypeSyntaxOf(), SingletonSeparatedList(VariableDeclarator(fieldName))))
            .WithModifiers(TokenList(Token(SyntaxKind.PrivateKeyword), Token(SyntaxKind.ReadOnlyKeyword)))
            .WithAdditionalAnnotations(Formatter.Annotation);
        editor.InsertMembers(constructor.Parent!, 0, [field]);
    }

    /// <summary>The compilation unit with <c>using <paramref name="namespaceName"/>;</c>, in order among its usings (System first).</summary>
    internal static CompilationUnitSyntax AddUsing(CompilationUnitSyntax root, string namespaceName)
    {
        var endOfLine = root.DescendantTrivia().FirstOrDefault(static t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        var directive = UsingDirective(ParseName(namespaceName).WithLeadingTrivia(Space))
            .WithTrailingTrivia(endOfLine.IsKind(SyntaxKind.EndOfLineTrivia) ? endOfLine : ElasticLineFeed)
            .WithAdditionalAnnotations(Formatter.Annotation);
        var usings = root.Usings;
        if (usings.Count == 0)
        {
            // The first using of the file: a blank line between it and what follows.
            if (root.Members.FirstOrDefault() is { } member)
            {
                root = root.ReplaceNode(member, member.WithLeadingTrivia(member.GetLeadingTrivia().Insert(0, directive.GetTrailingTrivia().Last())));
            }

            return root.WithUsings(SingletonList(directive));
        }

        static bool IsSystem(string name) => name == "System" || name.StartsWith("System.", System.StringComparison.Ordinal);
        var index = 0;
        var isSystem = IsSystem(namespaceName);
        while (index < usings.Count
            && usings[index].Alias is null
            && usings[index].StaticKeyword.IsKind(SyntaxKind.None)
            && usings[index].Name is { } name
            && (isSystem
                ? IsSystem(name.ToString()) && string.CompareOrdinal(name.ToString(), namespaceName) < 0
                : IsSystem(name.ToString()) || string.CompareOrdinal(name.ToString(), namespaceName) < 0))
        {
            index++;
        }

        directive = directive.WithTrailingTrivia(usings[0].GetTrailingTrivia());
        if (index == 0)
        {
            // The new first using takes over the file's leading trivia (a header comment).
            var first = usings[0];
            return root.WithUsings(usings.Replace(first, first.WithLeadingTrivia()).Insert(0, directive.WithLeadingTrivia(first.GetLeadingTrivia())));
        }

        return root.WithUsings(usings.Insert(index, directive));
    }

    private static string Unique(string name, HashSet<string> taken)
    {
        var candidate = name;
        for (var i = 2; taken.Contains(candidate); i++)
        {
            candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }

    /// <summary>Every SF0012 in scope, grouped by type and core, so that the edits do not collide.</summary>
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

            var items = new List<(Document, Diagnostic)>();
            foreach (var document in documents)
            {
                foreach (var diagnostic in await fixAllContext.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false))
                {
                    items.Add((document, diagnostic));
                }
            }

            var solution = fixAllContext.Solution;
            return CodeAction.Create(
                "Take the caller-owned members from the flights' own scopes",
                ct => ApplyAsync(solution, items, ct),
                EquivalenceKey);
        }
    }
}
