using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using System.Collections.Immutable;
using SingleFlight.Generator.Diagnostics;
using SingleFlight.Generator.Model;

namespace SingleFlight.Generator.Parsing;

/// <summary>
/// The generator's step from syntax to model: runs <see cref="MethodParser"/> on an annotated method (reporting
/// nothing) and turns what it accepted, or the stub of what it refused, into a <see cref="MethodModel"/> of plain
/// strings that the pipeline can cache.
/// </summary>
internal static partial class ModelBuilder
{
    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly string s_version = typeof(ModelBuilder).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>
    /// The model for the method the attribute is on, or <see langword="null"/> when the generator must emit
    /// nothing for it. Never throws, except for cancellation.
    /// </summary>
    public static MethodModel? Build(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            if (context.TargetSymbol is not IMethodSymbol method || context.TargetNode is not MethodDeclarationSyntax declaration)
            {
                return null;
            }

            var parsed = MethodParser.Parse(method, declaration, context.SemanticModel, ignoreGeneratedImplementation: false, report: null, out var error, cancellationToken);
            if (parsed is not null)
            {
                return CreateModel(method, declaration, parsed, context.SemanticModel, cancellationToken);
            }

            // A method the analyzer reports with an error, but whose declaration is sound: implement it with a stub that
            // throws, so that the compilation has no error of its own (CS8795) and the analyzer's error is what a
            // command-line build shows (analyzers report nothing once the compilation has errors).
            return IsStubbed(error, method, declaration) && CanRepeatSignature(method, context.SemanticModel.Compilation)
                ? StubModel(CreateModel(method, declaration, null, context.SemanticModel, cancellationToken), method, declaration) with { StubDiagnostic = error }
                : null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Broken user code must never crash the generator (CS8785); the analyzer explains the problem.
            return null;
        }
    }

    /// <summary>The model of a method the parser accepted, or (with <paramref name="parsed"/> null) of its stub.</summary>
    private static MethodModel CreateModel(IMethodSymbol method, MethodDeclarationSyntax declaration, ParsedMethod? parsed, SemanticModel semanticModel, CancellationToken ct)
    {
        var compilation = semanticModel.Compilation;

        var parameters = new ParameterModel[method.Parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            var parameter = method.Parameters[i];
            var modifiers = new StringBuilder();
            if (i < declaration.ParameterList.Parameters.Count)
            {
                foreach (var modifier in declaration.ParameterList.Parameters[i].Modifiers)
                {
                    modifiers.Append(modifier.Text).Append(' ');
                }
            }

            parameters[i] = new ParameterModel(
                modifiers.ToString(),
                parameter.Type.ToDisplayString(s_typeFormat),
                Symbols.EscapeIdentifier(parameter.Name),
                parameter.Type.IsCancellationToken(),
                TrimAnnotation(parameter.GetAttributes()));
        }

        var methodModifiers = string.Join(
            " ",
            declaration.Modifiers
                .Where(static m => !m.IsKind(SyntaxKind.AsyncKeyword) && !m.IsKind(SyntaxKind.PartialKeyword))
                .Select(static m => m.Text)
                .Concat(new[] { "partial" }));

        var (keyType, keyExpression) = BuildKey(parsed?.Key.Parts ?? ImmutableArray<KeyPart>.Empty);
        var flightValueType = parsed?.Batch is { } batchShape
            ? batchShape.ValueType.ToDisplayString(s_typeFormat)
            : parsed?.FlightValueType?.ToDisplayString(s_typeFormat) ?? "global::SingleFlight.Unit";

        var containingTypes = new List<TypeModel>();
        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            containingTypes.Insert(0, new TypeModel(TypeKeyword(type), TypeNameWithParameters(type)));
        }

        var containingTypeName = method.ContainingType.ToDisplayString(s_typeFormat);
        var signature = new StringBuilder()
            .Append(containingTypeName).Append('.').Append(method.Name).Append('`').Append(method.Arity).Append('(')
            .Append(string.Join(",", method.Parameters.Select(p => p.RefKind + " " + p.Type.ToDisplayString(s_typeFormat))))
            .Append(')')
            .ToString();
        var hash = Fnv1a(signature).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

        EquatableArray<string> fileUsings = EquatableArray<string>.Empty;
        EquatableArray<NamespaceModel> namespaces;
        if (parsed?.Key.Host is { } host)
        {
            // KeyFrom was bound in the core method's file: repeat that file's usings so the key expression
            // binds the same way in the generated file.
            var hostModel = host.SyntaxTree == semanticModel.SyntaxTree ? semanticModel : compilation.GetSemanticModel(host.SyntaxTree);
            (fileUsings, namespaces) = CollectUsings(host, hostModel, ct);
        }
        else
        {
            namespaces = method.ContainingNamespace is { IsGlobalNamespace: false } ns
                ? new[] { new NamespaceModel(NamespaceName(ns), EquatableArray<string>.Empty) }.ToEquatableArray()
                : EquatableArray<NamespaceModel>.Empty;
        }

        var escapedName = Symbols.EscapeIdentifier(method.Name);
        return new MethodModel(
            HintName: BuildHintName(method, hash),
            GeneratorVersion: s_version,
            Hierarchy: new HierarchyModel(fileUsings, namespaces, containingTypes.ToEquatableArray(), containingTypeName),
            Signature: new SignatureModel(
                Modifiers: methodModifiers,
                ReturnType: method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString(s_typeFormat),
                Name: escapedName,
                TypeParameters: method.TypeParameters.Select(static t => Symbols.EscapeIdentifier(t.Name)).ToEquatableArray(),
                TypeParameterDeclarations: method.TypeParameters
                    .Select(static t => TrimAnnotation(t.GetAttributes()) + Symbols.EscapeIdentifier(t.Name))
                    .ToEquatableArray(),
                ConstraintClauses: method.IsOverride ? EquatableArray<string>.Empty : BuildConstraints(method.TypeParameters).ToEquatableArray(),
                HolderConstraintClauses: BuildConstraints(method.TypeParameters).ToEquatableArray(),
                Parameters: new EquatableArray<ParameterModel>(parameters),
                ReturnKind: parsed?.ReturnKind ?? SingleFlightReturnKind.Void,
                IsStatic: method.IsStatic),
            Key: new KeyModel(keyType, keyExpression, parsed?.Key.SemanticModel is not null ? parsed.KeyFrom?.Text : null),
            Group: new GroupModel(
                FieldName: "__singleFlightGroup_" + method.Name + "_" + hash,
                Scope: parsed?.Attribute.Scope ?? SingleFlightScopeKind.Type,
                OperationName: MethodParser.OperationNameOf(method, parsed?.Attribute.OperationName),
                FlightValueType: flightValueType,
                HolderClassName: method.IsGenericMethod ? "__SingleFlightGroupHolder_" + method.Name + "_" + hash : null,
                Distributed: parsed is { IsDistributed: true }
                    ? new DistributedModel(parsed.FlightValueType?.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), JsonContext: null)
                    : null,
                DeadlineMilliseconds: parsed?.Attribute.DeadlineMilliseconds ?? 0,
                ShareForMilliseconds: parsed?.Attribute.ShareForMilliseconds ?? 0),
            Core: new CoreModel(
                MethodName: Symbols.EscapeIdentifier(MethodParser.GetCoreMethodName(method.Name)),
                IsStatic: parsed?.CoreMethod.IsStatic ?? method.IsStatic,
                ScopeFactory: ScopeFactoryExpression(parsed?.Core.ScopeFactory),
                FlightServices: parsed?.CoreMethod is { } core
                    ? core.Parameters
                        .Where(MethodParser.IsFromFlightScope)
                        .Select(static p => new FlightServiceModel(
                            p.Ordinal,
                            (p.Type.IsReferenceType ? p.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated) : p.Type).ToDisplayString(s_typeFormat),
                            p.Type.IsReferenceType && p.NullableAnnotation == NullableAnnotation.Annotated))
                        .ToEquatableArray()
                    : EquatableArray<FlightServiceModel>.Empty,
                StateTypeName: "__SingleFlightState_" + method.Name + "_" + hash),
            StubDiagnostic: null,
            Batch: parsed?.Batch is { } batch ? BuildBatch(batch, parsed.Attribute) : null);
    }

    private static BatchModel BuildBatch(BatchShape batch, AttributeArguments attribute)
        => new(
            batch.Kind,
            batch.KeyType.ToDisplayString(s_typeFormat),
            batch.ValueType.ToDisplayString(s_typeFormat),
            batch.Collection is { } collection ? Symbols.EscapeIdentifier(collection.Name) : null,
            batch.CollectionKind,
            batch.DeclaredResult,
            batch.CoreResult,
            batch.CoreReturnsValueTask,
            batch.CoreTakesToken,
            batch.OrDefault,
            attribute.BatchWindowMilliseconds,
            attribute.MaxBatchSize);

    /// <summary>How the wrapper reads the scope factory: through <c>this</c> or the declaring type, or a primary-constructor parameter by name.</summary>
    private static string? ScopeFactoryExpression(ISymbol? factory)
        => factory switch
        {
            null => null,
            IParameterSymbol parameter => Symbols.EscapeIdentifier(parameter.Name),
            { IsStatic: true } member => member.ContainingType.ToDisplayString(s_typeFormat) + "." + Symbols.EscapeIdentifier(member.Name),
            var member => "this." + Symbols.EscapeIdentifier(member.Name),
        };

    private static (string KeyType, string KeyExpression) BuildKey(ImmutableArray<KeyPart> parts)
    {
        if (parts.Length == 0)
        {
            return ("global::SingleFlight.Unit", "default(global::SingleFlight.Unit)");
        }

        if (parts.Length == 1)
        {
            var part = parts[0];
            var type = part.Type.ToDisplayString(s_typeFormat);

            // SingleFlightGroup's key is `notnull`. A key that may be null goes into a one-element value
            // tuple: a struct, so never null, and its equality handles a null element.
            return IsDefinitelyNotNull(part.Type)
                ? (type, part.Text)
                : ("global::System.ValueTuple<" + type + ">", "new global::System.ValueTuple<" + type + ">(" + part.Text + ")");
        }

        return (
            "(" + string.Join(", ", parts.Select(static p => p.Type.ToDisplayString(s_typeFormat))) + ")",
            "(" + string.Join(", ", parts.Select(static p => p.Text)) + ")");
    }

    private static bool IsDefinitelyNotNull(ITypeSymbol type)
    {
        if (type.NullableAnnotation == NullableAnnotation.Annotated)
        {
            return false;
        }

        return type switch
        {
            ITypeParameterSymbol parameter => parameter.HasNotNullConstraint || parameter.HasValueTypeConstraint || parameter.HasUnmanagedTypeConstraint,
            _ when type.IsValueType => type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T,
            _ when type.IsReferenceType => type.NullableAnnotation == NullableAnnotation.NotAnnotated,
            _ => false,
        };
    }

    private static IEnumerable<string> BuildConstraints(IEnumerable<ITypeParameterSymbol> typeParameters)
    {
        foreach (var parameter in typeParameters)
        {
            var constraints = new List<string>();
            if (parameter.HasUnmanagedTypeConstraint)
            {
                constraints.Add("unmanaged");
            }
            else if (parameter.HasValueTypeConstraint)
            {
                constraints.Add("struct");
            }
            else if (parameter.HasReferenceTypeConstraint)
            {
                constraints.Add(parameter.ReferenceTypeConstraintNullableAnnotation == NullableAnnotation.Annotated ? "class?" : "class");
            }
            else if (parameter.HasNotNullConstraint)
            {
                constraints.Add("notnull");
            }

            foreach (var constraintType in parameter.ConstraintTypes)
            {
                constraints.Add(constraintType.ToDisplayString(s_typeFormat));
            }

            if (parameter.HasConstructorConstraint && !parameter.HasValueTypeConstraint)
            {
                constraints.Add("new()");
            }

            if (constraints.Count > 0)
            {
                yield return "where " + Symbols.EscapeIdentifier(parameter.Name) + " : " + string.Join(", ", constraints);
            }
        }
    }

}
