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
internal static class ModelBuilder
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

    /// <summary>
    /// Whether the signature names a pointer or function pointer type: repeating it needs an <c>unsafe</c> context, which
    /// the user's <c>unsafe</c> on another part of the type does not give the generated part (the stub's part says it).
    /// </summary>
    private static bool HasPointer(IMethodSymbol method)
        => Symbols.ContainsPointer(method.ReturnType) || method.Parameters.Any(static p => Symbols.ContainsPointer(p.Type));

    /// <summary>
    /// Whether a method the parser refused gets a stub: when the error reported on it is SF0002, SF0003 or SF0004 and its
    /// declaration can still be implemented. Not for SF0001 (nothing to implement), nor where the compiler already
    /// reports the problem (no error of ours), nor for an explicit interface implementation, a type the generator cannot
    /// extend, <c>__arglist</c>, or a shape refused before the core method was looked for.
    /// </summary>
    private static bool IsStubbed(string? error, IMethodSymbol method, MethodDeclarationSyntax declaration)
    {
        if (error is DiagnosticDescriptors.CoreMethodId or DiagnosticDescriptors.InvalidKeyFromId)
        {
            return true;
        }

        return error == DiagnosticDescriptors.UnsupportedShapeId && CanImplement(method, declaration);
    }

    /// <summary>
    /// Whether a generated part can implement a declaration that SF0003 refused: not an explicit interface implementation
    /// (the compiler reports CS0754 itself), not in a type the generator cannot extend, not <c>__arglist</c>, not with an
    /// undefined <c>Scope</c>. Refused signatures (ref structs, pointers, a <c>ref</c> return, <c>allows ref struct</c>)
    /// get a stub that repeats them (<see cref="StubModel"/>).
    /// </summary>
    private static bool CanImplement(IMethodSymbol method, MethodDeclarationSyntax declaration)
    {
        if (method.IsVararg
            || declaration.ExplicitInterfaceSpecifier is not null || !method.ExplicitInterfaceImplementations.IsEmpty
            || AttributeArguments.Read(method, declaration.SyntaxTree.Options) is null)
        {
            return false;
        }

        for (SyntaxNode? node = declaration.Parent; node is not null; node = node.Parent)
        {
            if (node is TypeDeclarationSyntax type
                && (type is InterfaceDeclarationSyntax || type.Modifiers.Any(SyntaxKind.FileKeyword) || type.Modifiers.Any(SyntaxKind.RefKeyword)))
            {
                return false;
            }
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || type.IsRefLikeType)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether a stub can repeat the signature without an error of its own. The shape checks stop at the first refusal, so
    /// what they did not reach yet is checked here: types that do not bind, a type parameter named like an outer type's
    /// (CS0693), pointers in a compilation without <c>AllowUnsafeBlocks</c> (the user's own code has CS0227 then).
    /// </summary>
    private static bool CanRepeatSignature(IMethodSymbol method, Compilation compilation)
    {
        if (Symbols.ContainsError(method.ReturnType) || method.Parameters.Any(static p => Symbols.ContainsError(p.Type))
            || method.TypeParameters.Any(static t => t.ConstraintTypes.Any(Symbols.ContainsError)))
        {
            return false;
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.TypeParameters.Any(t => method.TypeParameters.Any(m => m.Name == t.Name)))
            {
                return false;
            }
        }

        return !HasPointer(method) || compilation.Options is CSharpCompilationOptions { AllowUnsafe: true };
    }

    /// <summary>
    /// The stub's model: the parts of the signature that a generated method never has, because the shape is refused for
    /// one: a <c>ref</c> return, <c>allows ref struct</c>, <c>unsafe</c> on the type part that repeats a pointer.
    /// </summary>
    private static MethodModel StubModel(MethodModel model, IMethodSymbol method, MethodDeclarationSyntax declaration)
    {
        var signature = model.Signature;
        var returnType = method.ReturnsByRefReadonly ? "ref readonly " + signature.ReturnType
            : method.ReturnsByRef ? "ref " + signature.ReturnType
            : signature.ReturnType;

        // `allows ref struct` (C# 13) has no symbol API in Roslyn 4.8: read from the declaration, as the parser does.
        var constraints = signature.ConstraintClauses.ToList();
        if (!method.IsOverride)
        {
            foreach (var clause in declaration.ConstraintClauses)
            {
                if (!clause.Constraints.Any(static c => c.ToString().StartsWith("allows", StringComparison.Ordinal)))
                {
                    continue;
                }

                var head = "where " + Symbols.EscapeIdentifier(clause.Name.Identifier.ValueText) + " :";
                var index = constraints.FindIndex(c => c.StartsWith(head + " ", StringComparison.Ordinal));
                if (index >= 0)
                {
                    constraints[index] += ", allows ref struct";
                }
                else
                {
                    constraints.Add(head + " allows ref struct");
                }
            }
        }

        var types = model.Hierarchy.ContainingTypes;
        if (HasPointer(method))
        {
            var list = types.ToList();
            list[list.Count - 1] = list[list.Count - 1] with { Modifiers = "unsafe " };
            types = list.ToEquatableArray();
        }

        return model with
        {
            Signature = signature with { ReturnType = returnType, ConstraintClauses = constraints.ToEquatableArray() },
            Hierarchy = model.Hierarchy with { ContainingTypes = types },
        };
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
        var flightValueType = parsed?.FlightValueType?.ToDisplayString(s_typeFormat) ?? "global::SingleFlight.Unit";

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
                    : null),
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
            StubDiagnostic: null);
    }

    /// <summary>How the wrapper reads the scope factory: through <c>this</c> or the declaring type, or a primary-constructor parameter by name.</summary>
    private static string? ScopeFactoryExpression(ISymbol? factory)
        => factory switch
        {
            null => null,
            IParameterSymbol parameter => Symbols.EscapeIdentifier(parameter.Name),
            { IsStatic: true } member => member.ContainingType.ToDisplayString(s_typeFormat) + "." + Symbols.EscapeIdentifier(member.Name),
            var member => "this." + Symbols.EscapeIdentifier(member.Name),
        };

    private const string DynamicallyAccessedMembers = "global::System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers";

    /// <summary>
    /// <c>[DynamicallyAccessedMembers(...)]</c> and a space when <paramref name="attributes"/> has it, otherwise empty. The
    /// generated code repeats it wherever the annotated value or type parameter is stored or passed on (a state field, the
    /// holder class's type parameter), so that the trim analyzers see the requirement kept.
    /// </summary>
    private static string TrimAnnotation(IEnumerable<AttributeData> attributes)
    {
        foreach (var attribute in attributes)
        {
            if (attribute.AttributeClass.IsNamed("System.Diagnostics.CodeAnalysis", "DynamicallyAccessedMembersAttribute")
                && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0] is { Kind: TypedConstantKind.Enum, Type: INamedTypeSymbol enumType, Value: { } value })
            {
                return "[" + DynamicallyAccessedMembers + "(" + EnumConstant(enumType, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)) + ")] ";
            }
        }

        return string.Empty;
    }

    /// <summary>An enum value as C#: its member, members joined by <c>|</c> (largest first), or a cast of the number.</summary>
    private static string EnumConstant(INamedTypeSymbol enumType, long value)
    {
        var typeName = enumType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var members = enumType.GetMembers()
            .OfType<IFieldSymbol>()
            .Where(static f => f.HasConstantValue)
            .Select(f => (f.Name, Value: Convert.ToInt64(f.ConstantValue, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        foreach (var member in members)
        {
            if (member.Value == value)
            {
                return typeName + "." + member.Name;
            }
        }

        var parts = new List<string>();
        var rest = value;
        foreach (var member in members.Where(static m => m.Value > 0).OrderByDescending(static m => m.Value))
        {
            if (rest != 0 && (rest & member.Value) == member.Value)
            {
                parts.Add(typeName + "." + member.Name);
                rest &= ~member.Value;
            }
        }

        return rest == 0 && parts.Count > 0
            ? string.Join(" | ", parts)
            : "(" + typeName + ")(" + value.ToString(System.Globalization.CultureInfo.InvariantCulture) + ")";
    }

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

    private static (EquatableArray<string> FileUsings, EquatableArray<NamespaceModel> Namespaces) CollectUsings(
        SyntaxNode host,
        SemanticModel model,
        CancellationToken ct)
    {
        var namespaces = new List<NamespaceModel>();
        EquatableArray<string> fileUsings = EquatableArray<string>.Empty;
        foreach (var ancestor in host.Ancestors())
        {
            switch (ancestor)
            {
                case BaseNamespaceDeclarationSyntax ns:
                    namespaces.Insert(0, new NamespaceModel(
                        ns.Name.WithoutTrivia().ToString(),
                        UsingTexts(ns.Externs, ns.Usings, model, ct).ToEquatableArray()));
                    break;
                case CompilationUnitSyntax unit:
                    fileUsings = UsingTexts(unit.Externs, unit.Usings, model, ct).ToEquatableArray();
                    break;
            }
        }

        return (fileUsings, namespaces.ToEquatableArray());
    }

    private static IEnumerable<string> UsingTexts(
        SyntaxList<ExternAliasDirectiveSyntax> externs,
        SyntaxList<UsingDirectiveSyntax> usings,
        SemanticModel model,
        CancellationToken ct)
    {
        foreach (var externAlias in externs)
        {
            yield return externAlias.WithoutTrivia().ToString();
        }

        // A duplicate (same text, or the same alias name) is the user's warning or error already; repeating
        // it would put one in our file too.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var directive in usings)
        {
            // Global usings already apply to the generated file; a using that does not resolve would only
            // repeat the user's error in our file.
            if (directive.GlobalKeyword.IsKind(SyntaxKind.GlobalKeyword) || !Resolves(directive, model, ct))
            {
                continue;
            }

            var text = directive.WithoutTrivia().ToString();
            var identity = directive.Alias is { } alias ? "alias " + alias.Name.Identifier.ValueText : text;
            if (seen.Add(identity))
            {
                yield return text;
            }
        }
    }

    private static bool Resolves(UsingDirectiveSyntax directive, SemanticModel model, CancellationToken ct)
    {
        SyntaxNode? target = directive.NamespaceOrType;
        if (target is null)
        {
            return false;
        }

        if (directive.Alias is not null)
        {
            var alias = model.GetDeclaredSymbol(directive, ct) as IAliasSymbol;
            return alias?.Target is { } aliasTarget && !(aliasTarget is ITypeSymbol { TypeKind: TypeKind.Error });
        }

        var symbol = model.GetSymbolInfo(target, ct).Symbol;
        return symbol is INamespaceSymbol or ITypeSymbol { TypeKind: not TypeKind.Error };
    }

    private static string NamespaceName(INamespaceSymbol ns)
        => ns.ContainingNamespace is { IsGlobalNamespace: false } parent
            ? NamespaceName(parent) + "." + Symbols.EscapeIdentifier(ns.Name)
            : Symbols.EscapeIdentifier(ns.Name);

    private static string TypeKeyword(INamedTypeSymbol type)
        => (type.IsRecord, type.IsValueType) switch
        {
            (true, true) => "record struct",
            (true, false) => "record",
            (false, true) => "struct",
            _ => "class",
        };

    private static string TypeNameWithParameters(INamedTypeSymbol type)
        => type.TypeParameters.Length == 0
            ? Symbols.EscapeIdentifier(type.Name)
            : Symbols.EscapeIdentifier(type.Name) + "<"
                + string.Join(", ", type.TypeParameters.Select(static t => Symbols.EscapeIdentifier(t.Name))) + ">";

    private static string BuildHintName(IMethodSymbol method, string hash)
    {
        var builder = new StringBuilder();
        if (method.ContainingNamespace is { IsGlobalNamespace: false } ns)
        {
            builder.Append(ns.ToDisplayString()).Append('.');
        }

        var types = new List<INamedTypeSymbol>();
        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            types.Insert(0, type);
        }

        foreach (var type in types)
        {
            builder.Append(type.Name);
            if (type.Arity > 0)
            {
                builder.Append('`').Append(type.Arity);
            }

            builder.Append('.');
        }

        builder.Append(method.Name);
        if (method.Arity > 0)
        {
            builder.Append('`').Append(method.Arity);
        }

        builder.Append('.').Append(hash).Append(".g.cs");

        // Hint names allow a limited set of characters ('@' of an escaped namespace is not one of them).
        for (var i = 0; i < builder.Length; i++)
        {
            var c = builder[i];
            if (!(char.IsLetterOrDigit(c) || c is '.' or '_' or '-' or '`'))
            {
                builder[i] = '_';
            }
        }

        return builder.ToString();
    }

    /// <summary>FNV-1a over UTF-16 code units: stable across runs and processes, unlike string.GetHashCode.</summary>
    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return hash;
    }
}
