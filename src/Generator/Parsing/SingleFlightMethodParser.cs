using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace SingleFlight.Generator.Parsing;

/// <summary>
/// Decides whether a <c>[SingleFlight]</c> method can be generated and, if so, binds its key. Shared by the
/// generator and the analyzer, so that both agree on what is valid: the analyzer reports exactly the
/// failures for which the generator emits nothing.
/// </summary>
/// <remarks>
/// <para>Checks run in this order and the first failure wins: attribute arguments, declaration
/// (partial, containing types), shape (parameters, return type), scope, core method, <c>KeyFrom</c>.</para>
/// <para>
/// <c>KeyFrom</c> is parsed as an argument list and bound speculatively: as the body of a local function that
/// has the annotated method's parameters, inside the core method's body. This sees the usings of the core
/// method's file, the members of the containing type and <c>this</c> (for instance methods), and the
/// annotated method's parameters shadow the core's. A name that resolves to one of the core method's own
/// parameters counts as unknown, because the generated wrapper does not have it.
/// </para>
/// </remarks>
internal static class SingleFlightMethodParser
{
    /// <summary>The attribute's metadata name.</summary>
    public const string AttributeMetadataName = "SingleFlight.SingleFlightAttribute";

    /// <summary>The <c>[NotKey]</c> attribute's metadata name.</summary>
    public const string NotKeyAttributeMetadataName = "SingleFlight.NotKeyAttribute";

    private const string KeyLocalFunctionName = "__singleFlightKey";

    /// <summary>
    /// The core method's name for an annotated method: <c>Core</c> inserted before a trailing <c>Async</c>
    /// (<c>GetUserAsync</c> → <c>GetUserCoreAsync</c>), otherwise appended (<c>GetUser</c> → <c>GetUserCore</c>).
    /// </summary>
    public static string GetCoreMethodName(string methodName)
        => methodName.EndsWith("Async", StringComparison.Ordinal)
            ? methodName.Substring(0, methodName.Length - "Async".Length) + "CoreAsync"
            : methodName + "Core";

    /// <summary>
    /// Analyses one annotated method. Never throws for bad user code (only for cancellation).
    /// </summary>
    /// <param name="method">The annotated method symbol.</param>
    /// <param name="declaration">The annotated declaration (the syntax the attribute is on).</param>
    /// <param name="semanticModel">A semantic model of <paramref name="declaration"/>'s tree.</param>
    /// <param name="cancellationToken">Cancels the analysis.</param>
    /// <returns>The analysis: a failure reason with its data, or everything the generator needs.</returns>
    public static SingleFlightMethodInfo Parse(
        IMethodSymbol method,
        MethodDeclarationSyntax declaration,
        SemanticModel semanticModel,
        CancellationToken cancellationToken)
        => Parse(method, declaration, semanticModel, ignoreGeneratedImplementation: false, cancellationToken);

    /// <summary>
    /// Analyses one annotated method; with <paramref name="ignoreGeneratedImplementation"/>, as the generator
    /// saw it: an implementation part that this generator wrote does not count as one. The analyzer runs on
    /// the compilation that already contains the generator's output, the generator on the one without it.
    /// </summary>
    /// <param name="method">The annotated method symbol.</param>
    /// <param name="declaration">The annotated declaration (the syntax the attribute is on).</param>
    /// <param name="semanticModel">A semantic model of <paramref name="declaration"/>'s tree.</param>
    /// <param name="ignoreGeneratedImplementation">Ignore an implementation part emitted by this generator.</param>
    /// <param name="cancellationToken">Cancels the analysis.</param>
    /// <returns>The analysis: a failure reason with its data, or everything the generator needs.</returns>
    public static SingleFlightMethodInfo Parse(
        IMethodSymbol method,
        MethodDeclarationSyntax declaration,
        SemanticModel semanticModel,
        bool ignoreGeneratedImplementation,
        CancellationToken cancellationToken)
    {
        var info = new SingleFlightMethodInfo(method, declaration) { IgnoresGeneratedImplementation = ignoreGeneratedImplementation };
        info.Failure = Run(info, semanticModel, cancellationToken);
        return info;
    }

    /// <summary>The tool name in the <c>[GeneratedCode]</c> attribute of everything the generator emits.</summary>
    public const string GeneratedCodeToolName = "SingleFlight.Generator";

    /// <summary>
    /// Whether the implementation part was written by this generator: its declaration carries
    /// <c>[GeneratedCode("SingleFlight.Generator", ...)]</c>, or it is in a file that this generator added (the
    /// compiler names generated files <c>{assembly}/{generator type}/{hint name}</c>).
    /// </summary>
    public static bool IsGeneratedImplementation(IMethodSymbol implementation)
    {
        foreach (var reference in implementation.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree.FilePath.IndexOf(typeof(SingleFlightGenerator).FullName, StringComparison.Ordinal) >= 0)
            {
                return true;
            }

            if (reference.GetSyntax() is not MethodDeclarationSyntax syntax)
            {
                continue;
            }

            foreach (var attribute in syntax.AttributeLists.SelectMany(static l => l.Attributes))
            {
                var name = attribute.Name.ToString();
                if ((name.EndsWith("GeneratedCode", StringComparison.Ordinal) || name.EndsWith("GeneratedCodeAttribute", StringComparison.Ordinal))
                    && attribute.ArgumentList?.Arguments.FirstOrDefault()?.Expression is LiteralExpressionSyntax literal
                    && literal.Token.ValueText == GeneratedCodeToolName)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static SingleFlightFailure Run(SingleFlightMethodInfo info, SemanticModel semanticModel, CancellationToken ct)
    {
        var method = info.Method;
        var declaration = info.Declaration;

        var failure = ReadAttribute(info);
        if (failure != SingleFlightFailure.None)
        {
            return failure;
        }

        failure = CheckDeclaration(info);
        if (failure != SingleFlightFailure.None)
        {
            return failure;
        }

        failure = CheckShape(info);
        if (failure != SingleFlightFailure.None)
        {
            return failure;
        }

        if (info.Scope == SingleFlightScopeKind.Instance)
        {
            if (method.IsStatic)
            {
                return SingleFlightFailure.InstanceScopeOnStaticMethod;
            }

            if (method.ContainingType.IsValueType)
            {
                return SingleFlightFailure.InstanceScopeOnStruct;
            }

            if (method.ContainingType.IsRecord)
            {
                return SingleFlightFailure.InstanceScopeOnRecord;
            }

            if (method.IsGenericMethod)
            {
                return SingleFlightFailure.InstanceScopeOnGenericMethod;
            }
        }

        failure = FindCoreMethod(info, semanticModel.Compilation, ct);
        if (failure != SingleFlightFailure.None)
        {
            return failure;
        }

        ct.ThrowIfCancellationRequested();
        failure = BindKey(info, semanticModel, declaration, ct);
        if (failure == SingleFlightFailure.None && info.Distributed)
        {
            // Not a failure of the method: it is generated as an in-process flight, and SF0010 (an error) says why it
            // is not shared across processes. Generating nothing would bury SF0010 under the compiler's CS8795 in a
            // command-line build, where analyzers do not report once the compilation has errors.
            info.DistributedFailure = CheckDistributed(info, semanticModel.Compilation);
            if (info.DistributedFailure == SingleFlightFailure.None)
            {
                info.DistributedFailure = CheckDistributedKey(info);
            }
        }

        return failure;
    }

    /// <summary>The metadata name of the type the generated code of a distributed method holds.</summary>
    public const string DistributedOperationMetadataName = "SingleFlight.Redis.DistributedSingleFlightOperation`2";

    private static SingleFlightFailure CheckDistributed(SingleFlightMethodInfo info, Compilation compilation)
    {
        var method = info.Method;
        if (compilation.GetTypeByMetadataName(DistributedOperationMetadataName) is null)
        {
            return SingleFlightFailure.DistributedWithoutRedisPackage;
        }

        if (info.ReturnKind is SingleFlightReturnKind.Void or SingleFlightReturnKind.Value)
        {
            return SingleFlightFailure.DistributedBlockingMethod;
        }

        if (info.Scope == SingleFlightScopeKind.Instance)
        {
            return SingleFlightFailure.DistributedInstanceScope;
        }

        if (method.IsGenericMethod)
        {
            return SingleFlightFailure.DistributedGeneric;
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.TypeParameters.Length > 0)
            {
                info.FailureType = type;
                return SingleFlightFailure.DistributedGeneric;
            }
        }

        // The operation name is what processes share flights on: two methods of one type must not share it.
        var name = OperationNameOf(method, info.OperationName);
        foreach (var member in method.ContainingType.GetMembers())
        {
            if (member is IMethodSymbol other
                && !SymbolEqualityComparer.Default.Equals(other, method)
                && !SymbolEqualityComparer.Default.Equals(other, method.PartialImplementationPart)
                && !SymbolEqualityComparer.Default.Equals(other.PartialDefinitionPart, method)
                && DistributedOperationName(other) is { } otherName
                && string.Equals(otherName, name, StringComparison.Ordinal))
            {
                info.FailureMessage = name;
                info.FailureOther = other;
                return SingleFlightFailure.DistributedDuplicateOperationName;
            }
        }

        return SingleFlightFailure.None;
    }

    // Namespace.Type<T>.Nested: readable in a dashboard, no global:: prefix.
    private static readonly SymbolDisplayFormat s_operationTypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

    /// <summary>A method's operation name: <paramref name="operationName"/> when set, otherwise <c>Namespace.Type.Method</c>.</summary>
    public static string OperationNameOf(IMethodSymbol method, string? operationName)
        => string.IsNullOrWhiteSpace(operationName)
            ? method.ContainingType.ToDisplayString(s_operationTypeFormat) + "." + method.Name
            : operationName!;

    /// <summary>The operation name of <paramref name="method"/> if it carries <c>[SingleFlight(Distributed = true)]</c>; otherwise null.</summary>
    private static string? DistributedOperationName(IMethodSymbol method)
    {
        if (FindAttribute(method) is not { } attribute)
        {
            return null;
        }

        var distributed = false;
        string? operationName = null;
        foreach (var pair in attribute.NamedArguments)
        {
            if (pair.Key == "Distributed" && pair.Value.Value is true)
            {
                distributed = true;
            }
            else if (pair.Key == "OperationName" && pair.Value.Value is string text)
            {
                operationName = text;
            }
        }

        return distributed ? OperationNameOf(method, operationName) : null;
    }

    /// <summary>The <c>[SingleFlight]</c> attribute of <paramref name="method"/>, or null.</summary>
    private static AttributeData? FindAttribute(IMethodSymbol method)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (IsNamed(attribute.AttributeClass, "SingleFlight", "SingleFlightAttribute"))
            {
                return attribute;
            }
        }

        return null;
    }

    private static SingleFlightFailure CheckDistributedKey(SingleFlightMethodInfo info)
    {
        foreach (var part in info.KeyParts)
        {
            if (!HasDistributedEncoding(part.Type))
            {
                info.FailureSpanInKeyFrom = part.SpanInKeyFrom;
                info.FailureParameter = info.IsDefaultKey ? part.Parameter : null;
                info.FailureMessage = part.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
                return SingleFlightFailure.DistributedKeyType;
            }
        }

        return SingleFlightFailure.None;
    }

    /// <summary>Whether the runtime's <c>DistributedKey</c> encodes every value of <paramref name="type"/> (keep the two in step).</summary>
    public static bool HasDistributedEncoding(ITypeSymbol type)
    {
        if (type is not INamedTypeSymbol named)
        {
            return false;
        }

        switch (named.SpecialType)
        {
            case SpecialType.System_String:
            case SpecialType.System_Char:
            case SpecialType.System_Boolean:
            case SpecialType.System_SByte:
            case SpecialType.System_Int16:
            case SpecialType.System_Int32:
            case SpecialType.System_Int64:
            case SpecialType.System_Byte:
            case SpecialType.System_UInt16:
            case SpecialType.System_UInt32:
            case SpecialType.System_UInt64:
            case SpecialType.System_Single:
            case SpecialType.System_Double:
            case SpecialType.System_Decimal:
            case SpecialType.System_DateTime:
                return true;
        }

        if (named.TypeKind == TypeKind.Enum)
        {
            return true;
        }

        if (IsNamed(named, "System", "Guid") || IsNamed(named, "System", "DateTimeOffset") || IsNamed(named, "System", "TimeSpan")
            || IsNamed(named, "System", "DateOnly") || IsNamed(named, "System", "TimeOnly")
            || IsNamed(named, "SingleFlight", "Unit"))
        {
            return true;
        }

        if (named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T || named.IsTupleType)
        {
            var elements = named.IsTupleType ? named.TupleElements.Select(static e => e.Type) : named.TypeArguments;
            return elements.All(HasDistributedEncoding);
        }

        return false;
    }

    private static SingleFlightFailure ReadAttribute(SingleFlightMethodInfo info)
    {
        info.Attribute = FindAttribute(info.Method);

        if (info.Attribute is null)
        {
            return SingleFlightFailure.InvalidAttributeArguments;
        }

        if (info.Attribute.ConstructorArguments.Length != 0)
        {
            return SingleFlightFailure.InvalidAttributeArguments;
        }

        foreach (var pair in info.Attribute.NamedArguments)
        {
            var value = pair.Value;
            if (value.Kind == TypedConstantKind.Error)
            {
                return SingleFlightFailure.InvalidAttributeArguments;
            }

            switch (pair.Key)
            {
                case "KeyFrom":
                    if (value.Value is not null and not string)
                    {
                        return SingleFlightFailure.InvalidAttributeArguments;
                    }

                    info.KeyFrom = value.Value is string text
                        ? KeyFromValue.Create(
                            text,
                            info.Attribute.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax,
                            info.Declaration.SyntaxTree.Options as CSharpParseOptions ?? CSharpParseOptions.Default)
                        : null;
                    break;
                case "Scope":
                    if (value.Value is not int scope || (scope != 0 && scope != 1))
                    {
                        return SingleFlightFailure.InvalidAttributeArguments;
                    }

                    info.Scope = (SingleFlightScopeKind)scope;
                    break;
                case "Distributed":
                    if (value.Value is not bool distributed)
                    {
                        return SingleFlightFailure.InvalidAttributeArguments;
                    }

                    info.Distributed = distributed;
                    break;
                case "OperationName":
                    if (value.Value is not null and not string)
                    {
                        return SingleFlightFailure.InvalidAttributeArguments;
                    }

                    info.OperationName = (string?)value.Value;
                    break;
                default:
                    return SingleFlightFailure.InvalidAttributeArguments;
            }
        }

        return SingleFlightFailure.None;
    }

    private static SingleFlightFailure CheckDeclaration(SingleFlightMethodInfo info)
    {
        var method = info.Method;
        var declaration = info.Declaration;

        if (declaration.ExplicitInterfaceSpecifier is not null || !method.ExplicitInterfaceImplementations.IsEmpty)
        {
            return SingleFlightFailure.ExplicitInterfaceImplementation;
        }

        var modifiers = declaration.Modifiers;
        if (!modifiers.Any(SyntaxKind.PartialKeyword))
        {
            return SingleFlightFailure.MethodNotPartial;
        }

        if (declaration.Body is not null || declaration.ExpressionBody is not null
            || (method.PartialImplementationPart is { } implementation && !(info.IgnoresGeneratedImplementation && IsGeneratedImplementation(implementation)))
            || method.PartialDefinitionPart is not null)
        {
            return SingleFlightFailure.MethodAlreadyImplemented;
        }

        // Things the compiler already rejects on a partial declaration; repeating them would add errors.
        if (!modifiers.Last().IsKind(SyntaxKind.PartialKeyword)
            || modifiers.Any(SyntaxKind.AsyncKeyword)
            || modifiers.Any(SyntaxKind.ExternKeyword)
            || modifiers.Any(SyntaxKind.AbstractKeyword)
            || method.MethodKind != MethodKind.Ordinary
            || method.IsVararg)
        {
            return method.IsVararg ? SingleFlightFailure.UnsupportedParameterType : SingleFlightFailure.InvalidDeclaration;
        }

        // A declaration with syntax errors (a missing name, a stray token) would be copied with its errors.
        if (declaration.ContainsDiagnostics || declaration.Parent is not TypeDeclarationSyntax)
        {
            return SingleFlightFailure.InvalidDeclaration;
        }

        for (SyntaxNode? node = declaration.Parent; node is not null; node = node.Parent)
        {
            if (node is BaseNamespaceDeclarationSyntax { Name: var namespaceName } && (namespaceName.IsMissing || namespaceName.ContainsDiagnostics))
            {
                return SingleFlightFailure.InvalidDeclaration;
            }

            if (node is TypeDeclarationSyntax typeDeclaration)
            {
                if (typeDeclaration.Identifier.IsMissing || typeDeclaration.TypeParameterList?.ContainsDiagnostics == true)
                {
                    return SingleFlightFailure.InvalidDeclaration;
                }

                if (!typeDeclaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    info.FailureType = FindTypeSymbol(method, typeDeclaration);
                    return SingleFlightFailure.ContainingTypeNotPartial;
                }

                if (typeDeclaration is InterfaceDeclarationSyntax
                    || typeDeclaration.Modifiers.Any(SyntaxKind.FileKeyword)
                    || typeDeclaration.Modifiers.Any(SyntaxKind.RefKeyword))
                {
                    info.FailureType = FindTypeSymbol(method, typeDeclaration);
                    return SingleFlightFailure.UnsupportedContainingType;
                }
            }
            else if (node is not (BaseNamespaceDeclarationSyntax or CompilationUnitSyntax))
            {
                // Enums, delegates, or a method in some broken place: nothing sensible to extend.
                return SingleFlightFailure.InvalidDeclaration;
            }
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsImplicitlyDeclared || !type.CanBeReferencedByName)
            {
                return SingleFlightFailure.InvalidDeclaration;
            }

            if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || type.IsRefLikeType)
            {
                info.FailureType = type;
                return SingleFlightFailure.UnsupportedContainingType;
            }
        }

        // An instance method in a static class: the compiler reports CS0708; `this` would not compile here.
        if (!method.IsStatic && method.ContainingType.IsStatic)
        {
            return SingleFlightFailure.InvalidDeclaration;
        }

        // Another member with the same signature: the compiler reports it; a second implementation would
        // add errors of ours.
        foreach (var member in method.ContainingType.GetMembers(method.Name))
        {
            if (member is IMethodSymbol other
                && !SymbolEqualityComparer.Default.Equals(other, method)
                && !SymbolEqualityComparer.Default.Equals(other.PartialDefinitionPart, method)
                && SameParameterTypes(method, other))
            {
                return SingleFlightFailure.DuplicateDeclaration;
            }
        }

        return SingleFlightFailure.None;
    }

    private static INamedTypeSymbol? FindTypeSymbol(IMethodSymbol method, TypeDeclarationSyntax typeDeclaration)
    {
        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.Name == typeDeclaration.Identifier.ValueText)
            {
                return type;
            }
        }

        return method.ContainingType;
    }

    private static SingleFlightFailure CheckShape(SingleFlightMethodInfo info)
    {
        var method = info.Method;
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            return SingleFlightFailure.RefReturn;
        }

        if (ContainsErrorType(method.ReturnType))
        {
            return SingleFlightFailure.InvalidDeclaration;
        }

        foreach (var parameter in method.Parameters)
        {
            if (ContainsErrorType(parameter.Type))
            {
                return SingleFlightFailure.InvalidDeclaration;
            }

            if (parameter.RefKind is not (RefKind.None or RefKind.In))
            {
                info.FailureParameter = parameter;
                return SingleFlightFailure.RefOrOutParameter;
            }

            if (!CanBeGenericArgument(parameter.Type))
            {
                info.FailureParameter = parameter;
                return SingleFlightFailure.UnsupportedParameterType;
            }
        }

        // `allows ref struct` (C# 13): a type argument could then be a ref struct, which a flight cannot store. Found in
        // the syntax, which the Roslyn 4.8 API this generator builds against can still read as text.
        foreach (var clause in info.Declaration.ConstraintClauses)
        {
            foreach (var constraint in clause.Constraints)
            {
                if (constraint.ToString().StartsWith("allows", StringComparison.Ordinal))
                {
                    info.FailureMessage = clause.Name.Identifier.ValueText;
                    return SingleFlightFailure.TypeParameterAllowsRefStruct;
                }
            }
        }

        foreach (var typeParameter in method.TypeParameters)
        {
            // Same name as an outer type's type parameter: the compiler warns (CS0693) on the declaration, and
            // the generated holder class would repeat the warning in our file.
            for (var type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                if (type.TypeParameters.Any(t => t.Name == typeParameter.Name))
                {
                    return SingleFlightFailure.InvalidDeclaration;
                }
            }

            foreach (var constraint in typeParameter.ConstraintTypes)
            {
                if (ContainsErrorType(constraint))
                {
                    return SingleFlightFailure.InvalidDeclaration;
                }
            }
        }

        var returnType = method.ReturnType;
        if (method.ReturnsVoid)
        {
            info.ReturnKind = SingleFlightReturnKind.Void;
            return SingleFlightFailure.None;
        }

        if (!CanBeGenericArgument(returnType))
        {
            return SingleFlightFailure.UnsupportedReturnType;
        }

        if (returnType is INamedTypeSymbol named)
        {
            var definition = named.OriginalDefinition;
            if (IsNamed(definition, "System.Collections.Generic", "IAsyncEnumerable", 1)
                || IsNamed(definition, "System.Collections.Generic", "IAsyncEnumerator", 1))
            {
                return SingleFlightFailure.Iterator;
            }

            if (IsNamed(definition, "System.Threading.Tasks", "Task"))
            {
                info.ReturnKind = SingleFlightReturnKind.Task;
                return SingleFlightFailure.None;
            }

            if (IsNamed(definition, "System.Threading.Tasks", "ValueTask"))
            {
                info.ReturnKind = SingleFlightReturnKind.ValueTask;
                return SingleFlightFailure.None;
            }

            if (IsNamed(definition, "System.Threading.Tasks", "Task", 1))
            {
                info.ReturnKind = SingleFlightReturnKind.TaskOfT;
                info.FlightValueType = named.TypeArguments[0];
                return SingleFlightFailure.None;
            }

            if (IsNamed(definition, "System.Threading.Tasks", "ValueTask", 1))
            {
                info.ReturnKind = SingleFlightReturnKind.ValueTaskOfT;
                info.FlightValueType = named.TypeArguments[0];
                return SingleFlightFailure.None;
            }
        }

        info.ReturnKind = SingleFlightReturnKind.Value;
        info.FlightValueType = returnType;
        return SingleFlightFailure.None;
    }

    private static SingleFlightFailure FindCoreMethod(SingleFlightMethodInfo info, Compilation compilation, CancellationToken ct)
    {
        var method = info.Method;
        var candidates = ImmutableArray.CreateBuilder<IMethodSymbol>();
        foreach (var member in method.ContainingType.GetMembers(info.CoreMethodName))
        {
            if (member is not IMethodSymbol candidate || candidate.MethodKind != MethodKind.Ordinary)
            {
                continue;
            }

            // A partial core is matched through its definition; its implementation holds the body.
            if (candidate.PartialDefinitionPart is not null)
            {
                continue;
            }

            if (CoreMatches(method, candidate))
            {
                if (info.CoreMethod is not null)
                {
                    // Two cores with one signature: the compiler reports CS0111; our call would be ambiguous.
                    return SingleFlightFailure.DuplicateDeclaration;
                }

                info.CoreMethod = candidate;
            }
            else
            {
                candidates.Add(candidate);
            }
        }

        info.CoreCandidates = candidates.ToImmutable();
        if (info.CoreMethod is { } found && info.CoreCandidates.Any(c => SameParameterTypes(found, c)))
        {
            // Another method of that name with the same parameter types (differing only in constraints or
            // return type): the compiler reports it, and our call would be ambiguous.
            return SingleFlightFailure.DuplicateDeclaration;
        }

        if (info.CoreMethod is null)
        {
            return info.CoreCandidates.IsEmpty ? SingleFlightFailure.CoreMethodMissing : SingleFlightFailure.CoreMethodMismatch;
        }

        if (info.ReturnKind == SingleFlightReturnKind.Void && (info.CoreMethod.PartialImplementationPart ?? info.CoreMethod).IsAsync)
        {
            return SingleFlightFailure.AsyncVoid;
        }

        var coreSyntax = GetCoreBody(info.CoreMethod, ct);
        if (coreSyntax is not null && IsIterator(coreSyntax))
        {
            return SingleFlightFailure.Iterator;
        }

        info.FlightScopeParameters = info.CoreMethod.Parameters.Where(IsFromFlightScope).ToImmutableArray();
        return info.FlightScopeParameters.IsEmpty ? SingleFlightFailure.None : FindScopeFactory(info, compilation);
    }

    private static bool CoreMatches(IMethodSymbol method, IMethodSymbol core)
    {
        // An instance method may have a static core: the work then cannot touch the leader's instance.
        if ((method.IsStatic && !core.IsStatic)
            || core.Arity != method.Arity
            || core.Parameters.Length - core.Parameters.Count(IsFromFlightScope) != method.Parameters.Length
            || core.ReturnsByRef || core.ReturnsByRefReadonly
            || core.IsVararg)
        {
            return false;
        }

        var constructed = core;
        if (core.IsGenericMethod)
        {
            for (var i = 0; i < core.Arity; i++)
            {
                if (!SameConstraintKinds(core.TypeParameters[i], method.TypeParameters[i]))
                {
                    return false;
                }
            }

            constructed = core.Construct(method.TypeParameters.Cast<ITypeSymbol>().ToArray());
        }

        // The core's result flows into the wrapper's (invariant: Task<T>, ValueTask<T>), and the wrapper's
        // arguments flow into the core's parameters: a nullability difference there is a warning (CS8620,
        // CS8604...) in the generated code, so it counts as a mismatch.
        if (!SymbolEqualityComparer.Default.Equals(constructed.ReturnType, method.ReturnType)
            || !NullabilityMatches(constructed.ReturnType, method.ReturnType, topLevelFrom: false))
        {
            return false;
        }

        var next = 0;
        foreach (var actual in constructed.Parameters)
        {
            if (IsFromFlightScope(actual))
            {
                // Resolved from the flight's scope and passed by value; a ref struct cannot come from a container.
                if (actual.RefKind != RefKind.None || actual.IsParams || actual.Type.IsRefLikeType || actual.Type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer)
                {
                    return false;
                }

                continue;
            }

            var expected = method.Parameters[next++];
            if (expected.RefKind != actual.RefKind
                || !SymbolEqualityComparer.Default.Equals(expected.Type, actual.Type)
                || !NullabilityMatches(expected.Type, actual.Type, topLevelFrom: true))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether a core method's parameter carries <c>[FromFlightScope]</c>.</summary>
    public static bool IsFromFlightScope(IParameterSymbol parameter)
    {
        foreach (var attribute in parameter.GetAttributes())
        {
            if (attribute.AttributeClass is { } type && IsNamed(type, "SingleFlight", "FromFlightScopeAttribute"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The metadata name of the DI abstraction a flight's scope is created from.</summary>
    public const string ScopeFactoryMetadataName = "Microsoft.Extensions.DependencyInjection.IServiceScopeFactory";

    /// <summary>
    /// Finds the <c>IServiceScopeFactory</c> a flight's scope is created from: the containing type's field or property
    /// of that type (its own, or a base type's that is not private), static for a static method; failing those, a
    /// primary-constructor parameter that no parameter of the method hides.
    /// </summary>
    private static SingleFlightFailure FindScopeFactory(SingleFlightMethodInfo info, Compilation compilation)
    {
        var method = info.Method;
        var factoryType = compilation.GetTypeByMetadataName(ScopeFactoryMetadataName);
        if (factoryType is null)
        {
            return SingleFlightFailure.FlightScopeWithoutScopeFactory;
        }

        var members = new List<ISymbol>();
        for (var type = method.ContainingType; type is not null; type = type.BaseType)
        {
            foreach (var member in type.GetMembers())
            {
                if (member.IsImplicitlyDeclared
                    || (method.IsStatic && !member.IsStatic)
                    || (!SymbolEqualityComparer.Default.Equals(type, method.ContainingType) && member.DeclaredAccessibility == Accessibility.Private))
                {
                    continue;
                }

                var memberType = member switch
                {
                    IFieldSymbol field => field.Type,
                    IPropertySymbol { IsIndexer: false, GetMethod: not null } property => property.Type,
                    _ => null,
                };
                if (memberType is not null && SymbolEqualityComparer.Default.Equals(memberType, factoryType))
                {
                    members.Add(member);
                }
            }
        }

        if (members.Count == 0 && !method.IsStatic)
        {
            foreach (var constructor in method.ContainingType.InstanceConstructors)
            {
                if (!constructor.DeclaringSyntaxReferences.Any(static r => r.GetSyntax() is TypeDeclarationSyntax))
                {
                    continue;
                }

                members.AddRange(constructor.Parameters.Where(p =>
                    SymbolEqualityComparer.Default.Equals(p.Type, factoryType)
                    && !method.Parameters.Any(mp => mp.Name == p.Name)));
            }
        }

        if (members.Count > 1)
        {
            info.FailureMessage = string.Join(", ", members.Select(static m => "'" + m.Name + "'"));
            return SingleFlightFailure.FlightScopeAmbiguousScopeFactory;
        }

        if (members.Count == 0)
        {
            return SingleFlightFailure.FlightScopeWithoutScopeFactory;
        }

        info.ScopeFactory = members[0];
        return SingleFlightFailure.None;
    }

    /// <summary>
    /// Whether a value of type <paramref name="from"/> converts to <paramref name="to"/> (equal but for
    /// nullability) without a nullable warning. Oblivious annotations match anything. With
    /// <paramref name="topLevelFrom"/>, a non-nullable value may go to a nullable target at the top level;
    /// type arguments must agree exactly (generic types are invariant here).
    /// </summary>
    private static bool NullabilityMatches(ITypeSymbol from, ITypeSymbol to, bool topLevelFrom)
    {
        var a = from.NullableAnnotation;
        var b = to.NullableAnnotation;
        if (a != NullableAnnotation.None && b != NullableAnnotation.None && a != b)
        {
            var allowed = topLevelFrom && a == NullableAnnotation.NotAnnotated && b == NullableAnnotation.Annotated;
            if (!allowed)
            {
                return false;
            }
        }

        switch (from, to)
        {
            case (IArrayTypeSymbol fromArray, IArrayTypeSymbol toArray):
                return NullabilityMatches(fromArray.ElementType, toArray.ElementType, topLevelFrom: false);
            case (INamedTypeSymbol fromNamed, INamedTypeSymbol toNamed) when fromNamed.TypeArguments.Length == toNamed.TypeArguments.Length:
                for (var i = 0; i < fromNamed.TypeArguments.Length; i++)
                {
                    if (!NullabilityMatches(fromNamed.TypeArguments[i], toNamed.TypeArguments[i], topLevelFrom: false))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }
    }

    private static bool SameConstraintKinds(ITypeParameterSymbol core, ITypeParameterSymbol declared)
        => core.HasReferenceTypeConstraint == declared.HasReferenceTypeConstraint
        && core.HasValueTypeConstraint == declared.HasValueTypeConstraint
        && core.HasUnmanagedTypeConstraint == declared.HasUnmanagedTypeConstraint
        && core.HasNotNullConstraint == declared.HasNotNullConstraint
        && core.HasConstructorConstraint == declared.HasConstructorConstraint
        && core.ConstraintTypes.Length == declared.ConstraintTypes.Length;

    private static bool SameParameterTypes(IMethodSymbol a, IMethodSymbol b)
    {
        if (a.Parameters.Length != b.Parameters.Length || a.Arity != b.Arity)
        {
            return false;
        }

        for (var i = 0; i < a.Parameters.Length; i++)
        {
            var left = a.Parameters[i].Type;
            var right = b.Parameters[i].Type;

            // Type parameters of two different generic methods are equal by position.
            if (left is ITypeParameterSymbol { TypeParameterKind: TypeParameterKind.Method } l
                && right is ITypeParameterSymbol { TypeParameterKind: TypeParameterKind.Method } r)
            {
                if (l.Ordinal != r.Ordinal)
                {
                    return false;
                }

                continue;
            }

            if (!SymbolEqualityComparer.Default.Equals(left, right))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The core method's declaration that has a body (block or expression), if any.</summary>
    private static MethodDeclarationSyntax? GetCoreBody(IMethodSymbol core, CancellationToken ct)
    {
        var withBody = core.PartialImplementationPart ?? core;
        foreach (var reference in withBody.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(ct) is MethodDeclarationSyntax syntax && (syntax.Body is not null || syntax.ExpressionBody is not null))
            {
                return syntax;
            }
        }

        return null;
    }

    private static bool IsIterator(MethodDeclarationSyntax core)
    {
        SyntaxNode? body = (SyntaxNode?)core.Body ?? core.ExpressionBody;
        if (body is null)
        {
            return false;
        }

        return body
            .DescendantNodes(static node => node is not (LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax))
            .OfType<YieldStatementSyntax>()
            .Any();
    }

    // ---- the key ---------------------------------------------------------------------------------------

    private static SingleFlightFailure BindKey(
        SingleFlightMethodInfo info,
        SemanticModel semanticModel,
        MethodDeclarationSyntax declaration,
        CancellationToken ct)
    {
        var method = info.Method;

        if (info.KeyFrom is not { } keyFrom || KeyFromValue.IsDefaultKey(keyFrom.Text))
        {
            // The attribute's documented contract: null or empty KeyFrom means "every parameter except tokens
            // and [NotKey] ones". Whitespace is treated as empty.
            info.IsDefaultKey = true;
            var parts = ImmutableArray.CreateBuilder<SingleFlightKeyPart>();
            foreach (var parameter in method.Parameters)
            {
                if (IsCancellationToken(parameter.Type) || HasNotKeyAttribute(parameter))
                {
                    continue;
                }

                parts.Add(new SingleFlightKeyPart(EscapeIdentifier(parameter.Name), parameter.Type, null, parameter, null));
            }

            info.KeyParts = parts.ToImmutable();
            return SingleFlightFailure.None;
        }

        var parseOptions = declaration.SyntaxTree.Options as CSharpParseOptions ?? CSharpParseOptions.Default;

        // 1. Syntax: KeyFrom must be exactly one argument list.
        var argumentList = keyFrom.Arguments;
        if (keyFrom.SyntaxError is { } syntaxError)
        {
            info.FailureSpanInKeyFrom = keyFrom.ToValueSpan(syntaxError.Location.SourceSpan);
            info.FailureMessage = syntaxError.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
            return SingleFlightFailure.KeyFromSyntaxError;
        }

        foreach (var argument in argumentList.Arguments)
        {
            if (argument.NameColon is not null || !argument.RefKindKeyword.IsKind(SyntaxKind.None))
            {
                info.FailureSpanInKeyFrom = keyFrom.SpanOf(argument);
                info.FailureMessage = "A key part must be a plain expression, not a named or ref/out/in argument.";
                return SingleFlightFailure.KeyFromSyntaxError;
            }

            // The key is computed synchronously at the start of the generated method: no await there (outside
            // a lambda of its own), whatever the method returns. And it only reads: no assignment (but for
            // member initializers: `new Point { X = id }`, `request with { Id = 0 }`), no ++/--.
            var offending = argument.Expression
                .DescendantNodesAndSelf(static n => n is not AnonymousFunctionExpressionSyntax)
                .FirstOrDefault(static n => n is AwaitExpressionSyntax or AssignmentExpressionSyntax { Parent: not InitializerExpressionSyntax }
                    || n.IsKind(SyntaxKind.PreIncrementExpression) || n.IsKind(SyntaxKind.PreDecrementExpression)
                    || n.IsKind(SyntaxKind.PostIncrementExpression) || n.IsKind(SyntaxKind.PostDecrementExpression));
            if (offending is not null)
            {
                info.FailureSpanInKeyFrom = keyFrom.SpanOf(offending);
                info.FailureMessage = offending is AwaitExpressionSyntax
                    ? "A key cannot await: it is computed before the flight starts."
                    : "A key expression must not assign.";
                return offending is AwaitExpressionSyntax ? SingleFlightFailure.KeyFromDoesNotCompile : SingleFlightFailure.KeyFromSyntaxError;
            }
        }

        // 2. The common case, bound without a semantic model: every part is a parameter or a chain of
        //    field/property accesses on one ("id", "tenant, id", "request.TenantId, request.Id").
        //    Speculative binding costs about a millisecond per method; this costs next to nothing.
        if (TryResolvePaths(info, keyFrom, semanticModel.Compilation))
        {
            return SingleFlightFailure.None;
        }

        // 3. Anything else: bind inside the core method's body.
        var host = GetCoreBody(info.CoreMethod!, ct);
        if (host is null)
        {
            return SingleFlightFailure.CoreMethodHasNoBody;
        }

        var hostModel = host.SyntaxTree == semanticModel.SyntaxTree
            ? semanticModel
            : semanticModel.Compilation.GetSemanticModel(host.SyntaxTree);

        // The key goes into `{ void __singleFlightKey(<the method's parameters>) { _ = (<parts>); } }`: the local function
        // is parsed from the declaration's text with a placeholder, which KeyFrom's own parsed parts then replace.
        if (SyntaxFactory.ParseStatement(BuildKeyPrefix(declaration) + "0\n); } }", 0, parseOptions) is not BlockSyntax template
            || template.ContainsDiagnostics
            || template.Statements.OfType<LocalFunctionStatementSyntax>().FirstOrDefault() is not { } templateFunction
            || (templateFunction.Body?.Statements.FirstOrDefault() as ExpressionStatementSyntax)?.Expression is not AssignmentExpressionSyntax { Right: ParenthesizedExpressionSyntax placeholder })
        {
            // The declaration's own parameter list does not round-trip.
            return SingleFlightFailure.InvalidDeclaration;
        }

        ExpressionSyntax keyTuple = argumentList.Arguments.Count == 1
            ? SyntaxFactory.ParenthesizedExpression(argumentList.Arguments[0].Expression)
            : SyntaxFactory.TupleExpression(argumentList.Arguments);
        var body = template.ReplaceNode(placeholder, keyTuple);

        var speculativeMethod = host
            .WithBody(body)
            .WithExpressionBody(null)
            .WithSemicolonToken(default);
        var position = host.Body?.SpanStart ?? host.ExpressionBody!.SpanStart;
        if (!hostModel.TryGetSpeculativeSemanticModelForMethodBody(position, speculativeMethod, out var keyModel) || keyModel is null)
        {
            return SingleFlightFailure.CoreMethodHasNoBody;
        }

        // Find the nodes again in the speculative tree (WithBody re-parented them).
        var speculativeBody = speculativeMethod.Body!;
        var bodyStart = speculativeBody.SpanStart;
        var speculativeFunction = speculativeBody.Statements.OfType<LocalFunctionStatementSyntax>().First();

        // Not GetDeclaredSymbol(speculativeFunction): with nullable analysis on, it costs over a millisecond.
        // Our local function's parameters are recognised by their container's kind and name instead.
        var speculativeAssignment = (AssignmentExpressionSyntax)((ExpressionStatementSyntax)speculativeFunction.Body!.Statements[0]).Expression;
        var expressions = speculativeAssignment.Right is TupleExpressionSyntax speculativeTuple
            ? speculativeTuple.Arguments.Select(static a => a.Expression).ToArray()
            : new[] { ((ParenthesizedExpressionSyntax)speculativeAssignment.Right).Expression };

        var keyParts = ImmutableArray.CreateBuilder<SingleFlightKeyPart>(expressions.Length);
        var mentioned = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < expressions.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            var expression = expressions[i];
            var partSpan = keyFrom.SpanOf(argumentList.Arguments[i].Expression);

            // Where the part's text starts in the speculative tree: spans inside it map back to the value from there.
            var failure = CheckKeyExpression(info, keyModel, expression, expression.SpanStart - partSpan.Start, method, mentioned, ct);
            if (failure != SingleFlightFailure.None)
            {
                return failure;
            }

            var typeInfo = keyModel.GetTypeInfo(expression, ct);
            var type = typeInfo.Type;
            if (type is null || !IsValidKeyType(type))
            {
                info.FailureSpanInKeyFrom = partSpan;
                info.FailureMessage = type is null
                    ? "The expression has no type."
                    : $"A value of type '{type.ToDisplayString()}' cannot be a key.";
                return SingleFlightFailure.KeyFromInvalidType;
            }

            if (type.IsReferenceType || type.TypeKind == TypeKind.TypeParameter)
            {
                type = type.WithNullableAnnotation(typeInfo.Nullability.FlowState switch
                {
                    NullableFlowState.MaybeNull => NullableAnnotation.Annotated,
                    NullableFlowState.NotNull => type.NullableAnnotation == NullableAnnotation.Annotated ? NullableAnnotation.Annotated : NullableAnnotation.NotAnnotated,
                    _ => type.NullableAnnotation,
                });
            }

            var symbol = keyModel.GetSymbolInfo(expression, ct).Symbol as IParameterSymbol;
            var parameter = symbol is not null && IsKeyFunctionParameter(symbol) && symbol.Ordinal < method.Parameters.Length
                ? method.Parameters[symbol.Ordinal]
                : null;

            var text = argumentList.Arguments[i].Expression.ToString();
            keyParts.Add(new SingleFlightKeyPart(text, type, expression, parameter, partSpan));
        }

        info.KeyParts = keyParts.MoveToImmutable();
        info.KeySemanticModel = keyModel;
        info.KeyBindingHost = host;

        var left = ImmutableArray.CreateBuilder<IParameterSymbol>();
        foreach (var parameter in method.Parameters)
        {
            if (!IsCancellationToken(parameter.Type)
                && !HasNotKeyAttribute(parameter)
                && !mentioned.Contains(parameter.Name))
            {
                left.Add(parameter);
            }
        }

        info.ParametersLeftOutOfKey = left.ToImmutable();
        return SingleFlightFailure.None;
    }

    private static bool TryResolvePaths(
        SingleFlightMethodInfo info,
        KeyFromValue keyFrom,
        Compilation compilation)
    {
        var method = info.Method;
        var argumentList = keyFrom.Arguments;
        var parts = ImmutableArray.CreateBuilder<SingleFlightKeyPart>(argumentList.Arguments.Count);
        var mentioned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var argument in argumentList.Arguments)
        {
            var type = ResolvePath(argument.Expression, method, compilation, mentioned, out var parameter);
            if (type is null || !IsValidKeyType(type))
            {
                return false;
            }

            parts.Add(new SingleFlightKeyPart(
                argument.Expression.ToString(),
                type,
                argument.Expression,
                argument.Expression is IdentifierNameSyntax ? parameter : null,
                keyFrom.SpanOf(argument.Expression)));
        }

        info.KeyParts = parts.MoveToImmutable();
        info.ParametersLeftOutOfKey = method.Parameters
            .Where(p => !IsCancellationToken(p.Type) && !HasNotKeyAttribute(p) && !mentioned.Contains(p.Name))
            .ToImmutableArray();
        return true;
    }

    /// <summary>
    /// The type of <c>parameter</c> or <c>parameter.Member.Member...</c>, or null when the expression is anything
    /// else (or a step might be null, or the lookup is not plain), so that full binding decides.
    /// </summary>
    private static ITypeSymbol? ResolvePath(
        ExpressionSyntax expression,
        IMethodSymbol method,
        Compilation compilation,
        HashSet<string> mentioned,
        out IParameterSymbol? parameter)
    {
        parameter = null;
        switch (expression)
        {
            case IdentifierNameSyntax identifier:
                foreach (var candidate in method.Parameters)
                {
                    if (candidate.Name == identifier.Identifier.ValueText)
                    {
                        parameter = candidate;
                        mentioned.Add(candidate.Name);
                        return candidate.Type;
                    }
                }

                return null;

            case MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression, Name: IdentifierNameSyntax name } access:
                var receiver = ResolvePath(access.Expression, method, compilation, mentioned, out parameter);

                // Only receivers that cannot be null, of class or struct types, take the fast path: a maybe-null
                // receiver would be a nullable warning in the generated code, which full binding reports.
                if (receiver is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } named
                    || named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T
                    || (named.IsReferenceType && named.NullableAnnotation != NullableAnnotation.NotAnnotated))
                {
                    return null;
                }

                for (var type = named; type is not null; type = type.BaseType)
                {
                    var members = type.GetMembers(name.Identifier.ValueText);
                    if (members.IsEmpty)
                    {
                        continue;
                    }

                    if (members.Length != 1 || members[0].IsStatic || !compilation.IsSymbolAccessibleWithin(members[0], method.ContainingType))
                    {
                        return null;
                    }

                    return members[0] switch
                    {
                        IFieldSymbol field => field.Type,
                        IPropertySymbol { IsIndexer: false, GetMethod: { } getter, ReturnsByRef: false, ReturnsByRefReadonly: false } property
                            when compilation.IsSymbolAccessibleWithin(getter, method.ContainingType) => property.Type,
                        _ => null,
                    };
                }

                return null;

            default:
                return null;
        }
    }

    private static SingleFlightFailure CheckKeyExpression(
        SingleFlightMethodInfo info,
        SemanticModel keyModel,
        ExpressionSyntax expression,
        int keyStartInTree,
        IMethodSymbol method,
        HashSet<string> mentioned,
        CancellationToken ct)
    {
        // Unknown names first: they are the most useful message.
        foreach (var node in expression.DescendantNodesAndSelf())
        {
            if (node is not IdentifierNameSyntax identifier || IsRightOfDot(identifier))
            {
                continue;
            }

            var name = identifier.Identifier.ValueText;
            if (name == "nameof" && identifier.Parent is InvocationExpressionSyntax)
            {
                continue;
            }

            var symbolInfo = keyModel.GetSymbolInfo(identifier, ct);
            var symbol = symbolInfo.Symbol;
            var unknown = symbol is null && symbolInfo.CandidateSymbols.IsEmpty;

            // The core's own parameters and locals are in scope where the key is bound, but not in the
            // generated wrapper.
            if (symbol is IParameterSymbol parameter)
            {
                if (IsKeyFunctionParameter(parameter))
                {
                    mentioned.Add(parameter.Name);
                }
                else if (parameter.ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction })
                {
                    unknown = true;
                }
            }
            else if (symbol is ILocalSymbol local && !IsDeclaredInside(local, expression))
            {
                unknown = true;
            }

            // The speculative binding does not report CS0120: an instance member used from a static method.
            if (!unknown && method.IsStatic && symbol is { IsStatic: false } && symbol.Kind is SymbolKind.Field or SymbolKind.Property or SymbolKind.Method or SymbolKind.Event
                && symbol.ContainingType is not null && !IsObjectInitializerMember(identifier))
            {
                info.FailureSpanInKeyFrom = new TextSpan(identifier.SpanStart - keyStartInTree, identifier.Span.Length);
                info.FailureMessage = $"'{name}' is an instance member; '{method.Name}' is static.";
                return SingleFlightFailure.KeyFromDoesNotCompile;
            }

            if (unknown)
            {
                info.FailureIdentifier = name;
                info.FailureSpanInKeyFrom = new TextSpan(identifier.SpanStart - keyStartInTree, identifier.Span.Length);
                info.SuggestedName = SuggestName(name, method.Parameters.Select(static p => p.Name));
                info.FailureMessage = $"The name '{name}' is not a parameter of '{method.Name}'.";
                return SingleFlightFailure.KeyFromUnknownName;
            }
        }

        // Then anything else that failed to bind, innermost first.
        foreach (var node in expression.DescendantNodesAndSelf().Reverse())
        {
            // Patterns need constants (CS9135, CS0150), which the speculative model does not report.
            var constant = node switch
            {
                ConstantPatternSyntax pattern => pattern.Expression,
                RelationalPatternSyntax pattern => pattern.Expression,
                BinaryExpressionSyntax { RawKind: (int)SyntaxKind.IsExpression } isExpression => isExpression.Right,
                _ => null,
            };
            if (constant is not null
                && keyModel.GetSymbolInfo(constant, ct).Symbol is not ITypeSymbol
                && !keyModel.GetConstantValue(constant, ct).HasValue)
            {
                info.FailureSpanInKeyFrom = new TextSpan(constant.SpanStart - keyStartInTree, constant.Span.Length);
                info.FailureMessage = $"'{constant}' is not a constant.";
                return SingleFlightFailure.KeyFromDoesNotCompile;
            }

            if (node is not ExpressionSyntax sub)
            {
                continue;
            }

            // A dereference of a maybe-null value is a nullable warning (CS8602/CS8629) in the generated code.
            if (sub is MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression } access
                && !IsInNameof(access)
                && keyModel.GetTypeInfo(access.Expression, ct) is { Nullability.FlowState: NullableFlowState.MaybeNull } receiverInfo
                && receiverInfo.Type is { } receiverType
                && keyModel.GetSymbolInfo(access.Expression, ct).Symbol is not ITypeSymbol and not INamespaceSymbol
                && (receiverType.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T || access.Name.Identifier.ValueText == "Value"))
            {
                info.FailureSpanInKeyFrom = new TextSpan(access.Expression.SpanStart - keyStartInTree, access.Expression.Span.Length);
                info.FailureMessage = $"'{access.Expression}' may be null here.";
                return SingleFlightFailure.KeyFromDoesNotCompile;
            }

            if (method.IsStatic && sub is ThisExpressionSyntax or BaseExpressionSyntax)
            {
                info.FailureSpanInKeyFrom = new TextSpan(sub.SpanStart - keyStartInTree, sub.Span.Length);
                info.FailureMessage = $"'{sub}' is not available: '{method.Name}' is static.";
                return SingleFlightFailure.KeyFromDoesNotCompile;
            }

            var symbolInfo = keyModel.GetSymbolInfo(sub, ct);
            var typeInfo = keyModel.GetTypeInfo(sub, ct);
            if (symbolInfo.CandidateReason != CandidateReason.None
                || typeInfo.Type is { TypeKind: TypeKind.Error }
                || typeInfo.ConvertedType is { TypeKind: TypeKind.Error })
            {
                info.FailureSpanInKeyFrom = new TextSpan(sub.SpanStart - keyStartInTree, sub.Span.Length);
                info.FailureMessage = symbolInfo.CandidateReason != CandidateReason.None
                    ? $"'{sub}' does not bind ({symbolInfo.CandidateReason})."
                    : $"'{sub}' does not compile.";
                return SingleFlightFailure.KeyFromDoesNotCompile;
            }
        }

        return SingleFlightFailure.None;
    }

    // `new T { Member = ... }`: the simple name on the left names a member of T, not of this type.
    private static bool IsObjectInitializerMember(IdentifierNameSyntax identifier)
        => identifier.Parent is AssignmentExpressionSyntax { Parent: InitializerExpressionSyntax } assignment && assignment.Left == identifier;

    private static bool IsDeclaredInside(ILocalSymbol local, ExpressionSyntax expression)
    {
        foreach (var reference in local.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree == expression.SyntaxTree && expression.Span.Contains(reference.Span))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsKeyFunctionParameter(IParameterSymbol parameter)
        => parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.LocalFunction, Name: KeyLocalFunctionName };

    private static bool IsInNameof(SyntaxNode node)
        => node.Ancestors().Any(static a => a is InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "nameof" } });

    private static bool IsRightOfDot(IdentifierNameSyntax identifier)
        => identifier.Parent switch
        {
            MemberAccessExpressionSyntax access => access.Name == identifier,
            QualifiedNameSyntax qualified => qualified.Right == identifier,
            MemberBindingExpressionSyntax => true,
            NameColonSyntax or NameEqualsSyntax => true,
            AliasQualifiedNameSyntax alias => alias.Name == identifier,
            _ => false,
        };

    private static string BuildKeyPrefix(MethodDeclarationSyntax declaration)
    {
        var builder = new StringBuilder();
        builder.Append("{ void ").Append(KeyLocalFunctionName);
        if (declaration.TypeParameterList is { } typeParameters)
        {
            builder.Append(typeParameters.WithoutTrivia().ToFullString());
        }

        builder.Append('(');
        var first = true;
        foreach (var parameter in declaration.ParameterList.Parameters)
        {
            if (!first)
            {
                builder.Append(", ");
            }

            first = false;
            foreach (var modifier in parameter.Modifiers)
            {
                if (!modifier.IsKind(SyntaxKind.ThisKeyword))
                {
                    builder.Append(modifier.Text).Append(' ');
                }
            }

            builder.Append(parameter.Type?.WithoutTrivia().ToFullString()).Append(' ').Append(parameter.Identifier.Text);
        }

        builder.Append(')');
        foreach (var clause in declaration.ConstraintClauses)
        {
            builder.Append(' ').Append(clause.WithoutTrivia().ToFullString());
        }

        // A newline before KeyFrom keeps a trailing line comment in the user's text from eating our ")".
        builder.Append(" { _ = (\n");
        return builder.ToString();
    }

    // ---- helpers, also used by the generator's parser ---------------------------------------------------

    /// <summary><see langword="true"/> for <c>System.Threading.CancellationToken</c> (not its nullable).</summary>
    public static bool IsCancellationToken(ITypeSymbol type)
        => type.IsValueType && IsNamed(type, "System.Threading", "CancellationToken");

    /// <summary>Whether the parameter carries <c>[SingleFlight.NotKey]</c>.</summary>
    public static bool HasNotKeyAttribute(IParameterSymbol parameter)
        => parameter.GetAttributes().Any(static a => IsNamed(a.AttributeClass, "SingleFlight", "NotKeyAttribute"));

    /// <summary>
    /// Whether <paramref name="type"/> is the top-level type <paramref name="namespaceName"/>.<paramref name="name"/>
    /// with <paramref name="arity"/> type parameters. Compares names: <c>Compilation.GetTypeByMetadataName</c>
    /// searches every reference on each call, which is too slow per method.
    /// </summary>
    public static bool IsNamed(ITypeSymbol? type, string namespaceName, string name, int arity = 0)
    {
        if (type is not INamedTypeSymbol named || named.Arity != arity || named.ContainingType is not null || named.Name != name)
        {
            return false;
        }

        var end = namespaceName.Length;
        for (var ns = named.ContainingNamespace; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
        {
            var start = end - ns.Name.Length;
            if (start < 0 || string.CompareOrdinal(namespaceName, start, ns.Name, 0, ns.Name.Length) != 0)
            {
                return false;
            }

            if (start == 0)
            {
                return ns.ContainingNamespace is null or { IsGlobalNamespace: true };
            }

            if (namespaceName[start - 1] != '.')
            {
                return false;
            }

            end = start - 1;
        }

        return false;
    }

    /// <summary>An identifier as C# source: keywords get an <c>@</c>.</summary>
    public static string EscapeIdentifier(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    private static bool CanBeGenericArgument(ITypeSymbol type)
        => !type.IsRefLikeType
        && type.TypeKind is not (TypeKind.Pointer or TypeKind.FunctionPointer)
        && type.SpecialType is not (SpecialType.System_Void or SpecialType.System_TypedReference or SpecialType.System_ArgIterator or SpecialType.System_RuntimeArgumentHandle);

    private static bool IsValidKeyType(ITypeSymbol type)
        => CanBeGenericArgument(type) && !ContainsErrorType(type) && !ContainsAnonymousType(type);

    private static bool ContainsErrorType(ITypeSymbol type)
        => type switch
        {
            { TypeKind: TypeKind.Error } => true,
            IArrayTypeSymbol array => ContainsErrorType(array.ElementType),
            IPointerTypeSymbol pointer => ContainsErrorType(pointer.PointedAtType),
            INamedTypeSymbol named => named.TypeArguments.Any(ContainsErrorType),
            _ => false,
        };

    private static bool ContainsAnonymousType(ITypeSymbol type)
        => type switch
        {
            { IsAnonymousType: true } => true,
            IArrayTypeSymbol array => ContainsAnonymousType(array.ElementType),
            INamedTypeSymbol named => named.TypeArguments.Any(ContainsAnonymousType),
            _ => false,
        };

    /// <summary>The candidate closest to <paramref name="name"/> by edit distance, if close enough.</summary>
    public static string? SuggestName(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best is not null && bestDistance <= Math.Max(2, name.Length / 3) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
