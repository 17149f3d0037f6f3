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
/// Explains what the generator cannot do (SF0001–SF0004: the failures for which it emits nothing) and warns
/// about keys that will not deduplicate or will share results wrongly (SF0005–SF0009). Runs the same
/// <see cref="SingleFlightMethodParser"/> as the generator, so the two always agree.
/// </summary>
/// <remarks>
/// One symbol action per method: only methods that carry <c>[SingleFlight]</c> are parsed, and nothing walks
/// the whole compilation.
/// </remarks>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class SingleFlightAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.NotPartial,
        DiagnosticDescriptors.CoreMethod,
        DiagnosticDescriptors.UnsupportedShape,
        DiagnosticDescriptors.InvalidKeyFrom,
        DiagnosticDescriptors.NonDeterministicKey,
        DiagnosticDescriptors.ReferenceEqualityKey,
        DiagnosticDescriptors.CancellationTokenInKey,
        DiagnosticDescriptors.ParameterNotInKey,
        DiagnosticDescriptors.StringCompositeKey,
        DiagnosticDescriptors.DistributedNotSupported,
        DiagnosticDescriptors.DistributedOperationNameReused);

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
            var attributeType = start.Compilation.GetTypeByMetadataName(SingleFlightMethodParser.AttributeMetadataName);
            if (attributeType is null)
            {
                return;
            }

            var operations = new DistributedOperations();
            start.RegisterSymbolAction(context => AnalyzeMethod(context, attributeType, operations), SymbolKind.Method);
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
        context.ReportDiagnostic(Shape(
            location,
            $"[SingleFlight] on {what} has no effect: the generator only implements partial methods of classes and structs. Move the work into a partial method of the containing type."));
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, INamedTypeSymbol attributeType, DistributedOperations operations)
    {
        var method = (IMethodSymbol)context.Symbol;

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

            AnalyzeDeclaration(context, declaration, attributeSyntax, operations);
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
        DistributedOperations operations)
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

        var info = SingleFlightMethodParser.Parse(symbol, declaration, model, ignoreGeneratedImplementation: true, ct);
        var keyFrom = info.KeyFrom;

        if (!info.IsSuccess)
        {
            var diagnostic = CreateFailureDiagnostic(info, keyFrom, attributeSyntax);
            if (diagnostic is not null)
            {
                context.ReportDiagnostic(diagnostic);
            }

            return;
        }

        if (info.DistributedFailure != SingleFlightFailure.None && CreateDistributedDiagnostic(info, keyFrom, attributeSyntax) is { } distributed)
        {
            context.ReportDiagnostic(distributed);
        }
        else if (info.IsDistributed)
        {
            var argument = attributeSyntax.ArgumentList?.Arguments.FirstOrDefault(static a => a.NameEquals?.Name.Identifier.ValueText == "Distributed");
            operations.Add(
                SingleFlightMethodParser.OperationNameOf(info.Method, info.OperationName),
                info.Method,
                argument?.GetLocation() ?? declaration.Identifier.GetLocation());
        }

        AnalyzeKey(context, info, keyFrom, attributeSyntax);
    }

    // ---- failures: the generator emits nothing ---------------------------------------------------------------

    private static Diagnostic? CreateFailureDiagnostic(SingleFlightMethodInfo info, KeyFromValue? keyFrom, AttributeSyntax attributeSyntax)
    {
        var method = info.Method;
        var declaration = info.Declaration;
        var name = method.Name;
        var core = info.CoreMethodName;
        var nameLocation = declaration.Identifier.GetLocation();
        var typeName = method.ContainingType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
        var properties = ImmutableDictionary<string, string?>.Empty.Add(DiagnosticDescriptors.CoreMethodNameProperty, core);

        switch (info.Failure)
        {
            case SingleFlightFailure.MethodNotPartial:
                var hasBody = declaration.Body is not null || declaration.ExpressionBody is not null;
                return Diagnostic.Create(
                    DiagnosticDescriptors.NotPartial,
                    nameLocation,
                    properties.Add(DiagnosticDescriptors.CanSplitProperty, hasBody ? "true" : "false"),
                    hasBody
                        ? $"'{name}' is not partial: the generator implements [SingleFlight] methods, so '{name}' must be a partial declaration without a body. Make it partial and move its body into '{core}' (the code fix does both)."
                        : $"'{name}' is not partial: the generator implements [SingleFlight] methods, so '{name}' must be declared 'partial' without a body, with the work in '{core}'.");
            case SingleFlightFailure.MethodAlreadyImplemented:
                return Diagnostic.Create(
                    DiagnosticDescriptors.NotPartial,
                    nameLocation,
                    // Splitting applies to a lone partial method with a body, not to the implementing half of a pair.
                    properties.Add(
                        DiagnosticDescriptors.CanSplitProperty,
                        (declaration.Body is not null || declaration.ExpressionBody is not null) && method.PartialDefinitionPart is null && method.PartialImplementationPart is null ? "true" : "false"),
                    $"'{name}' already has an implementation: the generator writes the implementation of a [SingleFlight] method. Keep a partial declaration without a body and move the work into '{core}'.");
            case SingleFlightFailure.ContainingTypeNotPartial:
                var failureType = info.FailureType ?? method.ContainingType;
                var typeLocation = failureType.DeclaringSyntaxReferences
                    .Select(r => r.GetSyntax())
                    .OfType<TypeDeclarationSyntax>()
                    .FirstOrDefault(t => t.SyntaxTree == declaration.SyntaxTree && t.Span.Contains(declaration.Span))?.Identifier.GetLocation();
                return Diagnostic.Create(
                    DiagnosticDescriptors.NotPartial,
                    nameLocation,
                    typeLocation is null ? null : new[] { typeLocation },
                    properties.Add(DiagnosticDescriptors.CanSplitProperty, "false"),
                    $"'{failureType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}' is not partial: the generator adds the implementation of '{name}' in a partial part of every containing type. Add 'partial' to '{failureType.Name}'.");

            case SingleFlightFailure.CoreMethodMissing:
                return Diagnostic.Create(
                    DiagnosticDescriptors.CoreMethod,
                    nameLocation,
                    properties,
                    $"'{typeName}' has no core method '{core}' for '{name}': add '{DescribeCore(info)}' and put the work there (the code fix adds a stub).");
            case SingleFlightFailure.CoreMethodMismatch:
                var candidate = info.CoreCandidates.FirstOrDefault();
                var additional = candidate?.Locations.Where(static l => l.IsInSource).Take(1).ToArray();
                return Diagnostic.Create(
                    DiagnosticDescriptors.CoreMethod,
                    nameLocation,
                    additional,
                    properties,
                    $"The core method '{candidate?.ToDisplayString(s_signatureFormat) ?? core}' does not match '{name}': it must be '{DescribeCore(info)}', with the same parameters (and their nullability), return type, static-ness and type parameters.");
            case SingleFlightFailure.CoreMethodHasNoBody:
                return Diagnostic.Create(
                    DiagnosticDescriptors.CoreMethod,
                    nameLocation,
                    properties,
                    $"The core method '{core}' has no body in source, so KeyFrom cannot be bound in its context: give '{core}' a body, or remove KeyFrom to key on every parameter.");

            case SingleFlightFailure.FlightScopeWithoutScopeFactory:
                return Diagnostic.Create(
                    DiagnosticDescriptors.CoreMethod,
                    nameLocation,
                    properties,
                    $"The core method '{core}' has [FromFlightScope] parameters, but '{typeName}' has no IServiceScopeFactory to create the flight's scope from: add one{(method.IsStatic ? " in a static field or property" : " as a constructor parameter, field or property")} (Microsoft.Extensions.DependencyInjection.Abstractions).");
            case SingleFlightFailure.FlightScopeAmbiguousScopeFactory:
                return Diagnostic.Create(
                    DiagnosticDescriptors.CoreMethod,
                    nameLocation,
                    properties,
                    $"The core method '{core}' has [FromFlightScope] parameters, and '{typeName}' has several IServiceScopeFactory members ({info.FailureMessage}): keep one, so that it is clear which container the flight's scope comes from.");

            case SingleFlightFailure.RefOrOutParameter:
                return Shape(
                    ParameterLocation(info, info.FailureParameter) ?? nameLocation,
                    $"Parameter '{info.FailureParameter?.Name}' of '{name}' is passed by '{RefKindText(info.FailureParameter)}': callers that share a flight cannot each get a value written back. Pass it by value, or drop [SingleFlight].");
            case SingleFlightFailure.UnsupportedParameterType:
                return Shape(
                    ParameterLocation(info, info.FailureParameter) ?? nameLocation,
                    info.FailureParameter is { } unsupported
                        ? $"Parameter '{unsupported.Name}' of '{name}' has type '{unsupported.Type.ToDisplayString()}', which cannot be kept for the duration of a flight (ref struct, pointer). Use a type that can be stored, such as string or an array."
                        : $"'{name}' takes __arglist, which cannot be kept for the duration of a flight. Use ordinary parameters.");
            case SingleFlightFailure.TypeParameterAllowsRefStruct:
                return Shape(nameLocation, $"Type parameter '{info.FailureMessage}' of '{name}' allows ref struct: a flight keeps its arguments and shares its result, which a ref struct cannot be. Remove 'allows ref struct', or drop [SingleFlight].");
            case SingleFlightFailure.RefReturn:
                return Shape(nameLocation, $"'{name}' returns by reference: a result shared by several callers cannot be a reference. Return by value.");
            case SingleFlightFailure.UnsupportedReturnType:
                return Shape(nameLocation, $"'{name}' returns '{method.ReturnType.ToDisplayString()}', which cannot be shared between callers (ref struct, pointer). Return a type that can be stored.");
            case SingleFlightFailure.Iterator:
                return Shape(nameLocation, $"'{name}' is an iterator or returns an async stream ('{method.ReturnType.ToDisplayString()}'): a lazily produced sequence cannot be shared between callers. Return a materialized collection, for example Task<IReadOnlyList<T>>.");
            case SingleFlightFailure.AsyncVoid:
                return Shape(nameLocation, $"'{core}' is async void: the wrapper of '{name}' could not wait for it, so joiners would not get its outcome. Return Task (or ValueTask) from both methods.");
            case SingleFlightFailure.ExplicitInterfaceImplementation:
                return Shape(nameLocation, $"'{name}' is an explicit interface implementation, which the generator does not implement. Implement the interface member with a method that calls a [SingleFlight] method.");
            case SingleFlightFailure.UnsupportedContainingType:
                var unsupportedType = info.FailureType ?? method.ContainingType;
                return Shape(nameLocation, $"'{unsupportedType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}' is {TypeKindText(unsupportedType)}: the generator cannot add the implementation of '{name}' to it. Move the method to a class or struct.");
            case SingleFlightFailure.InstanceScopeOnStaticMethod:
                return Shape(nameLocation, $"'{name}' is static, so Scope = SingleFlightScope.Instance has no instance to hold its group. Remove Scope (the default, Type, shares one group per type).");
            case SingleFlightFailure.InstanceScopeOnStruct:
                return Shape(nameLocation, $"'{typeName}' is a struct: a per-instance group would be copied with the struct and callers on different copies would not share flights. Remove Scope = SingleFlightScope.Instance, or make '{typeName}' a class.");
            case SingleFlightFailure.InstanceScopeOnRecord:
                return Shape(nameLocation, $"'{typeName}' is a record: a per-instance group field would become part of its value equality. Remove Scope = SingleFlightScope.Instance, or use a class.");
            case SingleFlightFailure.InstanceScopeOnGenericMethod:
                return Shape(nameLocation, $"'{name}' is generic: a per-instance group cannot depend on the method's type parameters. Remove Scope = SingleFlightScope.Instance.");

            case SingleFlightFailure.KeyFromSyntaxError:
            case SingleFlightFailure.KeyFromDoesNotCompile:
            case SingleFlightFailure.KeyFromInvalidType:
                return Diagnostic.Create(
                    DiagnosticDescriptors.InvalidKeyFrom,
                    keyFrom?.GetLocation(info.FailureSpanInKeyFrom, attributeSyntax.GetLocation()) ?? attributeSyntax.GetLocation(),
                    $"KeyFrom \"{info.KeyFrom?.Text}\" of '{name}' does not compile: {info.FailureMessage ?? "the expression is not valid."} Write an expression over the parameters of '{name}'.");
            case SingleFlightFailure.KeyFromUnknownName:
                var parameters = string.Join(", ", method.Parameters.Select(static p => p.Name));
                var keyProperties = ImmutableDictionary<string, string?>.Empty;
                if (info.SuggestedName is { } suggested && info.FailureSpanInKeyFrom is { } span && info.KeyFrom is { } value && span.End <= value.Text.Length)
                {
                    keyProperties = keyProperties.Add(DiagnosticDescriptors.NewKeyFromProperty, value.Rewrite(span, SingleFlightMethodParser.EscapeIdentifier(suggested)));
                }

                return Diagnostic.Create(
                    DiagnosticDescriptors.InvalidKeyFrom,
                    keyFrom?.GetLocation(info.FailureSpanInKeyFrom, attributeSyntax.GetLocation()) ?? attributeSyntax.GetLocation(),
                    keyProperties,
                    info.SuggestedName is { } closest
                        ? $"KeyFrom names '{info.FailureIdentifier}', which is not a parameter of '{name}'. Did you mean '{closest}'?"
                        : $"KeyFrom names '{info.FailureIdentifier}', which is not a parameter of '{name}'. Its parameters are: {(parameters.Length == 0 ? "(none)" : parameters)}.");

            case SingleFlightFailure.InvalidAttributeArguments when UndefinedScope(info) is { } scope:
                // The one argument problem the compiler accepts: a cast to an undefined enum value.
                var scopeArgument = attributeSyntax.ArgumentList?.Arguments.FirstOrDefault(static a => a.NameEquals?.Name.Identifier.ValueText == "Scope");
                return Shape(
                    scopeArgument?.Expression.GetLocation() ?? nameLocation,
                    $"Scope of '{name}' is {scope}, which is not a SingleFlightScope value. Use SingleFlightScope.Type (the default) or SingleFlightScope.Instance.");

            default:
                // InvalidDeclaration, DuplicateDeclaration, other InvalidAttributeArguments: the compiler reports these.
                return null;
        }
    }

    // ---- SF0010: the method is generated as an in-process flight -------------------------------------------

    private static Diagnostic? CreateDistributedDiagnostic(SingleFlightMethodInfo info, KeyFromValue? keyFrom, AttributeSyntax attributeSyntax)
    {
        var method = info.Method;
        var name = method.Name;
        var nameLocation = info.Declaration.Identifier.GetLocation();
        switch (info.DistributedFailure)
        {
            case SingleFlightFailure.DistributedWithoutRedisPackage:
                return Distributed(info, attributeSyntax, $"'{name}' has Distributed = true, but the project does not reference the SingleFlight.Generators.Redis package that shares flights through Redis. Add the package, or remove Distributed.");
            case SingleFlightFailure.DistributedBlockingMethod:
                return Distributed(info, attributeSyntax, $"'{name}' blocks its caller (it returns '{(method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString())}'), and a distributed flight waits on Redis. Return Task or ValueTask (with or without a result), or remove Distributed.");
            case SingleFlightFailure.DistributedInstanceScope:
                return Distributed(info, attributeSyntax, $"'{name}' has Scope = SingleFlightScope.Instance, but a distributed flight is shared by every process, so it cannot belong to one object. Remove Scope, or remove Distributed.");
            case SingleFlightFailure.DistributedGeneric:
                return Distributed(info, attributeSyntax, info.FailureType is { } genericType
                    ? $"'{name}' is in the generic type '{genericType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}': every closed type would share one distributed operation name with different key or result types. Move the method to a non-generic type, or remove Distributed."
                    : $"'{name}' is generic: every type argument list would share one distributed operation name with different key or result types. Make it non-generic, or remove Distributed.");
            case SingleFlightFailure.DistributedDuplicateOperationName:
                return Distributed(info, attributeSyntax, $"'{name}' shares the distributed operation name '{info.FailureMessage}' with '{info.FailureOther?.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat)}': processes share flights by operation name, so the two methods would receive each other's results. Give one of them its own OperationName.");
            case SingleFlightFailure.DistributedKeyType:
                var keyLocation = info.FailureParameter is { } keyParameter
                    ? ParameterLocation(info, keyParameter) ?? nameLocation
                    : keyFrom?.GetLocation(info.FailureSpanInKeyFrom, attributeSyntax.GetLocation()) ?? attributeSyntax.GetLocation();
                return Diagnostic.Create(
                    DiagnosticDescriptors.DistributedNotSupported,
                    keyLocation,
                    $"The key of '{name}' has a part of type '{info.FailureMessage}', which has no text form that is the same in every process, so it cannot name a distributed flight. Key on strings, primitives, enums, Guid, dates or times (for example KeyFrom = \"request.Id\"), or remove Distributed.");

            default:
                return null;
        }
    }

    private static int? UndefinedScope(SingleFlightMethodInfo info)
    {
        if (info.Attribute is not { } attribute || attribute.ConstructorArguments.Length != 0)
        {
            return null;
        }

        foreach (var pair in attribute.NamedArguments)
        {
            if (pair.Value.Kind == TypedConstantKind.Error)
            {
                return null;
            }

            if (pair.Key == "Scope" && pair.Value.Value is int scope && scope is not (0 or 1))
            {
                return scope;
            }
        }

        return null;
    }

    // Minimal names, with '?' on nullable reference types: a nullability difference is a mismatch too.
    private static readonly SymbolDisplayFormat s_signatureFormat = SymbolDisplayFormat.MinimallyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static Diagnostic Distributed(SingleFlightMethodInfo info, AttributeSyntax attributeSyntax, string message)
    {
        var argument = attributeSyntax.ArgumentList?.Arguments.FirstOrDefault(static a => a.NameEquals?.Name.Identifier.ValueText == "Distributed");
        return Diagnostic.Create(DiagnosticDescriptors.DistributedNotSupported, argument?.GetLocation() ?? info.Declaration.Identifier.GetLocation(), message);
    }

    private static Diagnostic Shape(Location location, string message)
        => Diagnostic.Create(DiagnosticDescriptors.UnsupportedShape, location, message);

    private static string DescribeCore(SingleFlightMethodInfo info)
    {
        var method = info.Method;
        var format = s_signatureFormat;
        var typeParameters = method.IsGenericMethod ? "<" + string.Join(", ", method.TypeParameters.Select(static t => t.Name)) + ">" : string.Empty;
        var parameters = string.Join(", ", method.Parameters.Select(p =>
            (p.RefKind == RefKind.In ? "in " : string.Empty) + p.Type.ToDisplayString(format) + " " + p.Name));
        return $"{(method.IsStatic ? "static " : string.Empty)}{(method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString(format))} {info.CoreMethodName}{typeParameters}({parameters})";
    }

    private static Location? ParameterLocation(SingleFlightMethodInfo info, IParameterSymbol? parameter)
    {
        if (parameter is null)
        {
            return null;
        }

        var parameters = info.Declaration.ParameterList.Parameters;
        return parameter.Ordinal < parameters.Count ? parameters[parameter.Ordinal].Identifier.GetLocation() : null;
    }

    private static string RefKindText(IParameterSymbol? parameter)
        => parameter?.RefKind switch
        {
            RefKind.Out => "out",
            RefKind.Ref => "ref",
            RefKind.In => "in",
            _ => "ref readonly",
        };

    private static string TypeKindText(INamedTypeSymbol type)
        => type.TypeKind == TypeKind.Interface ? "an interface"
        : type.IsRefLikeType ? "a ref struct"
        : type.IsFileLocal ? "a file-local type"
        : "a " + type.TypeKind.ToString().ToLowerInvariant();

    // ---- a key that works but may not do what the user wants -----------------------------------------------

    private static void AnalyzeKey(SymbolAnalysisContext context, SingleFlightMethodInfo info, KeyFromValue? keyFrom, AttributeSyntax attributeSyntax)
    {
        var ct = context.CancellationToken;
        var name = info.Method.Name;

        if (info.IsDefaultKey)
        {
            foreach (var part in info.KeyParts)
            {
                if (part.Parameter is { } parameter && KeyTypeRules.ComparesByReference(part.Type, out var culprit, out var why))
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        DiagnosticDescriptors.ReferenceEqualityKey,
                        ParameterLocation(info, parameter) ?? info.Declaration.Identifier.GetLocation(),
                        $"Parameter '{parameter.Name}' is part of the default key of '{name}', and its type '{Display(culprit)}' is {why}: equal values from different callers never share a flight. Set KeyFrom to value members of it (such as an id), mark it [NotKey], or give the type value equality."));
                }
            }

            return;
        }

        // Without a semantic model every part is a parameter or a field/property path on one, resolved from
        // symbols: nothing there can be non-deterministic or a string, but types and tokens still matter.
        var keyModel = info.KeySemanticModel;
        if (info.KeyFrom is not { } keyFromValue)
        {
            return;
        }

        var keyText = keyFromValue.Text;

        Location MapNode(SyntaxNode node, SingleFlightKeyPart part)
        {
            var offset = part.Expression!.SpanStart - part.SpanInKeyFrom!.Value.Start;
            var span = new TextSpan(node.SpanStart - offset, node.Span.Length);
            return keyFromValue.GetLocation(span, attributeSyntax.GetLocation());
        }

        string? newKeyFrom = null;
        var compositeParts = new List<(SingleFlightKeyPart Part, IReadOnlyList<SyntaxNode> Pieces, bool CanSplit)>();

        foreach (var part in info.KeyParts)
        {
            if (part.Expression is null || part.SpanInKeyFrom is null)
            {
                continue;
            }

            var partText = keyFromValue.TextOf(part.SpanInKeyFrom.Value);
            var operation = keyModel?.GetOperation(part.Expression, ct);
            var createsReferenceObject = false;
            var hasToken = false;
            if (operation is null && FindTokenInPath(info.Method, part) is { } token)
            {
                hasToken = true;
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.CancellationTokenInKey,
                    MapNode(token, part),
                    $"KeyFrom uses the CancellationToken '{token}': every caller has its own token, so keys never match. Remove it from KeyFrom; the core method receives the flight's own token."));
            }
            else if (operation is not null)
            {
                foreach (var finding in KeyOperationChecks.Check(operation, out createsReferenceObject))
                {
                    hasToken |= finding.Descriptor == DiagnosticDescriptors.CancellationTokenInKey;
                    context.ReportDiagnostic(Diagnostic.Create(finding.Descriptor, MapNode(finding.Node, part), finding.Message));
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
                    $"Key part '{partText}' has type '{Display(part.Type)}'{element}, which is {why}: equal values from different callers never share a flight. Key on value members (such as an id), or give the type value equality (a record, or Equals and GetHashCode overrides)."));
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
                    $"Key part '{partText}' joins {pieces.Count} values into one string: different arguments can produce the same key, and every call allocates. List them as separate key parts instead: KeyFrom = \"{list}\"{(canSplit ? string.Empty : " (keep any formatting the key needs)")}."));
            }
        }

        foreach (var parameter in info.ParametersLeftOutOfKey)
        {
            ct.ThrowIfCancellationRequested();
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.ParameterNotInKey,
                ParameterLocation(info, parameter) ?? info.Declaration.Identifier.GetLocation(),
                $"Parameter '{parameter.Name}' of '{name}' is not in KeyFrom \"{keyText}\": callers that differ only in '{parameter.Name}' share one flight and get the same result. Add '{parameter.Name}' to KeyFrom, or mark it [NotKey] if sharing is intended."));
        }
    }

    // A parameter path ("ct", "ct.IsCancellationRequested", "options.Token"): the token parameter it starts
    // from, or the whole path when it ends in a token.
    private static SyntaxNode? FindTokenInPath(IMethodSymbol method, SingleFlightKeyPart part)
    {
        var root = part.Expression!;
        while (root is MemberAccessExpressionSyntax access)
        {
            root = access.Expression;
        }

        if (root is IdentifierNameSyntax identifier
            && method.Parameters.FirstOrDefault(p => p.Name == identifier.Identifier.ValueText) is { } parameter
            && KeyTypeRules.Is(parameter.Type, "CancellationToken", "System.Threading"))
        {
            return identifier;
        }

        return KeyTypeRules.Is(part.Type, "CancellationToken", "System.Threading") ? part.Expression : null;
    }

    private static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);


}
