using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using SingleFlight.Generator.Diagnostics;
using SingleFlight.Generator.Parsing;

namespace SingleFlight.Generator.Analyzers;

/// <summary>
/// Explains what the generator cannot do (SF0001–SF0004: the failures for which it emits nothing), warns
/// about keys that will not deduplicate or will share results wrongly (SF0005–SF0009) and about results the callers
/// of a flight cannot safely share (SF0014). Runs the same
/// <see cref="MethodParser"/> as the generator, which reports SF0001–SF0004 and SF0010 itself, so the two always agree.
/// </summary>
/// <remarks>
/// One symbol action per method: only methods that carry <c>[SingleFlight]</c> are parsed, and nothing walks
/// the whole compilation.
/// </remarks>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class SingleFlightAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => DiagnosticDescriptors.All;

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();

        // Analyze, but never report in generated code. Not None: the generator's implementation of the method
        // carries [GeneratedCode], and a partial method's attributes are merged, so the driver counts the
        // user's own declaration as generated code and would skip it under None. Diagnostics located in
        // generated files are still dropped by the driver (no ReportDiagnostics flag).
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.Analyze);
        context.RegisterCompilationStartAction(static start =>
        {
            var attributeType = start.Compilation.GetTypeByMetadataName(MethodParser.AttributeMetadataName);
            if (attributeType is null)
            {
                return;
            }

            var operations = new DistributedOperations();
            var readOnlyTypes = new ResultRules.ReadOnlyTypes(start.Compilation);
            start.RegisterSymbolAction(context => AnalyzeMethod(context, attributeType, operations, readOnlyTypes), SymbolKind.Method);
            start.RegisterCompilationEndAction(operations.ReportReuse);

            // Local functions and lambdas may carry the attribute too (it targets methods), but the generator
            // only implements partial methods: say so rather than let the attribute do nothing.
            // Syntax nodes, not operations: asking for operations would make the driver build an operation tree
            // for every method body of the compilation; these callbacks only run for the few functions that
            // carry attributes.
            start.RegisterSyntaxNodeAction(
                context => AnalyzeFunction(context, attributeType),
                SyntaxKind.LocalFunctionStatement,
                SyntaxKind.ParenthesizedLambdaExpression);
        });
    }

    private static void AnalyzeFunction(SyntaxNodeAnalysisContext context, INamedTypeSymbol attributeType)
    {
        var attributeLists = context.Node switch
        {
            LocalFunctionStatementSyntax local => local.AttributeLists,
            ParenthesizedLambdaExpressionSyntax lambda => lambda.AttributeLists,
            _ => default,
        };
        if (attributeLists.Count == 0)
        {
            return;
        }

        var function = context.Node is LocalFunctionStatementSyntax
            ? context.SemanticModel.GetDeclaredSymbol(context.Node, context.CancellationToken) as IMethodSymbol
            : context.SemanticModel.GetSymbolInfo(context.Node, context.CancellationToken).Symbol as IMethodSymbol;
        var attribute = function?.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attributeType));
        if (function is null || attribute is null)
        {
            return;
        }

        var location = context.Node is LocalFunctionStatementSyntax statement
            ? statement.Identifier.GetLocation()
            : attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation() ?? context.Node.GetLocation();
        var what = function.MethodKind == MethodKind.LocalFunction ? $"local function '{function.Name}'" : "a lambda";
        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NotAMethod, location, what));
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, INamedTypeSymbol attributeType, DistributedOperations operations, ResultRules.ReadOnlyTypes readOnlyTypes)
    {
        var method = (IMethodSymbol)context.Symbol;

        // SF0012/SF0013 are reported from the core's own symbol, so that they are local to the code they point at.
        InstanceStateRules.AnalyzeIfCore(context, attributeType);

        // The driver visits both parts of a partial method, and each part's attributes include the other's
        // (they are merged). Each visit handles the attributes written on its own declaration, so that every
        // diagnostic is reported from the symbol whose declaration it is in (a local diagnostic, which the
        // IDE can compute for just that span).
        HashSet<MethodDeclarationSyntax>? seen = null;
        foreach (var attribute in method.GetAttributes())
        {
            if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeType)
                || attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken) is not AttributeSyntax attributeSyntax
                || attributeSyntax.Parent?.Parent is not MethodDeclarationSyntax declaration
                || !IsDeclarationOf(method, declaration))
            {
                continue;
            }

            seen ??= new HashSet<MethodDeclarationSyntax>();
            if (!seen.Add(declaration))
            {
                continue;
            }

            AnalyzeDeclaration(context, declaration, attributeSyntax, operations, readOnlyTypes);
        }
    }

    private static bool IsDeclarationOf(IMethodSymbol method, MethodDeclarationSyntax declaration)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree == declaration.SyntaxTree && reference.Span == declaration.Span)
            {
                return true;
            }
        }

        return false;
    }

    private static void AnalyzeDeclaration(
        SymbolAnalysisContext context,
        MethodDeclarationSyntax declaration,
        AttributeSyntax attributeSyntax,
        DistributedOperations operations,
        ResultRules.ReadOnlyTypes readOnlyTypes)
    {
        var ct = context.CancellationToken;

        // The analyzer driver caches semantic models per tree for the compilation it analyses, so this is the
        // model the compiler already built; a symbol action has no other way to get one.
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
        var model = context.Compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
        if (model.GetDeclaredSymbol(declaration, ct) is not IMethodSymbol symbol)
        {
            return;
        }

        var parsed = MethodParser.Parse(symbol, declaration, model, ignoreGeneratedImplementation: true, context.ReportDiagnostic, out _, ct);
        if (parsed is null)
        {
            return;
        }

        if (parsed.IsDistributed)
        {
            var argument = attributeSyntax.ArgumentList?.Arguments.FirstOrDefault(static a => a.NameEquals?.Name.Identifier.ValueText == "Distributed");
            operations.Add(
                MethodParser.OperationNameOf(parsed.Method, parsed.Attribute.OperationName),
                parsed.Method,
                argument?.GetLocation() ?? declaration.Identifier.GetLocation());
        }

        KeyRules.Report(context, parsed, attributeSyntax);
        ResultRules.Report(context, parsed, readOnlyTypes);
    }
}
