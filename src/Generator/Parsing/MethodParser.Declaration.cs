using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SingleFlight.Generator.Diagnostics;

namespace SingleFlight.Generator.Parsing;

internal static partial class MethodParser
{
    /// <summary>SF0001 and SF0003: a partial declaration without a body, in partial classes and structs the generator can extend.</summary>
    private static bool CheckDeclaration(Context context, bool ignoreGeneratedImplementation)
    {
        var method = context.Method;
        var declaration = context.Declaration;
        var hasBody = declaration.Body is not null || declaration.ExpressionBody is not null;

        if (declaration.ExplicitInterfaceSpecifier is not null || !method.ExplicitInterfaceImplementations.IsEmpty)
        {
            context.Report(DiagnosticDescriptors.ExplicitInterfaceImplementation, context.NameLocation, context.Name);
            return false;
        }

        var modifiers = declaration.Modifiers;
        if (!modifiers.Any(SyntaxKind.PartialKeyword))
        {
            context.Report(
                hasBody ? DiagnosticDescriptors.NotPartialWithBody : DiagnosticDescriptors.NotPartial,
                context.NameLocation,
                null,
                context.CoreProperties.Add(DiagnosticDescriptors.CanSplitProperty, hasBody ? "true" : "false"),
                context.Name,
                context.CoreMethodName);
            return false;
        }

        if (hasBody
            || (method.PartialImplementationPart is { } implementation && !(ignoreGeneratedImplementation && IsGeneratedImplementation(implementation)))
            || method.PartialDefinitionPart is not null)
        {
            // Splitting applies to a lone partial method with a body, not to the implementing half of a pair.
            var canSplit = hasBody && method.PartialDefinitionPart is null && method.PartialImplementationPart is null;
            context.Report(
                DiagnosticDescriptors.AlreadyImplemented,
                context.NameLocation,
                null,
                context.CoreProperties.Add(DiagnosticDescriptors.CanSplitProperty, canSplit ? "true" : "false"),
                context.Name,
                context.CoreMethodName);
            return false;
        }

        // Things the compiler already rejects on a partial declaration; repeating them would add errors.
        if (!modifiers.Last().IsKind(SyntaxKind.PartialKeyword)
            || modifiers.Any(SyntaxKind.AsyncKeyword)
            || modifiers.Any(SyntaxKind.ExternKeyword)
            || modifiers.Any(SyntaxKind.AbstractKeyword)
            || method.MethodKind != MethodKind.Ordinary
            || method.IsVararg)
        {
            if (method.IsVararg)
            {
                context.Report(DiagnosticDescriptors.ArgList, context.NameLocation, context.Name);
            }

            return false;
        }

        // A declaration with syntax errors (a missing name, a stray token) would be copied with its errors.
        if (declaration.ContainsDiagnostics || declaration.Parent is not TypeDeclarationSyntax)
        {
            return false;
        }

        for (SyntaxNode? node = declaration.Parent; node is not null; node = node.Parent)
        {
            if (node is BaseNamespaceDeclarationSyntax { Name: var namespaceName } && (namespaceName.IsMissing || namespaceName.ContainsDiagnostics))
            {
                return false;
            }

            if (node is TypeDeclarationSyntax typeDeclaration)
            {
                if (typeDeclaration.Identifier.IsMissing || typeDeclaration.TypeParameterList?.ContainsDiagnostics == true)
                {
                    return false;
                }

                if (!typeDeclaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    var type = FindTypeSymbol(method, typeDeclaration);
                    context.Report(
                        DiagnosticDescriptors.ContainingTypeNotPartial,
                        context.NameLocation,
                        new[] { typeDeclaration.Identifier.GetLocation() },
                        context.CoreProperties.Add(DiagnosticDescriptors.CanSplitProperty, "false"),
                        type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
                        context.Name,
                        type.Name);
                    return false;
                }

                if (typeDeclaration is InterfaceDeclarationSyntax
                    || typeDeclaration.Modifiers.Any(SyntaxKind.FileKeyword)
                    || typeDeclaration.Modifiers.Any(SyntaxKind.RefKeyword))
                {
                    ReportUnsupportedContainingType(context, FindTypeSymbol(method, typeDeclaration));
                    return false;
                }
            }
            else if (node is not (BaseNamespaceDeclarationSyntax or CompilationUnitSyntax))
            {
                // Enums, delegates, or a method in some broken place: nothing sensible to extend.
                return false;
            }
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.IsImplicitlyDeclared || !type.CanBeReferencedByName)
            {
                return false;
            }

            if (type.TypeKind is not (TypeKind.Class or TypeKind.Struct) || type.IsRefLikeType)
            {
                ReportUnsupportedContainingType(context, type);
                return false;
            }
        }

        // An instance method in a static class: the compiler reports CS0708; `this` would not compile here.
        if (!method.IsStatic && method.ContainingType.IsStatic)
        {
            return false;
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
                return false;
            }
        }

        return true;
    }

    private static void ReportUnsupportedContainingType(Context context, INamedTypeSymbol type)
    {
        var kind = type.TypeKind == TypeKind.Interface ? "an interface"
            : type.IsRefLikeType ? "a ref struct"
            : type.IsFileLocal ? "a file-local type"
            : "a " + type.TypeKind.ToString().ToLowerInvariant();
        context.Report(
            DiagnosticDescriptors.UnsupportedContainingType,
            context.NameLocation,
            type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
            kind,
            context.Name);
    }

    private static INamedTypeSymbol FindTypeSymbol(IMethodSymbol method, TypeDeclarationSyntax typeDeclaration)
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
}
