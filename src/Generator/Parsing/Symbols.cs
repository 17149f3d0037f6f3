using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SingleFlight.Generator.Parsing;

/// <summary>The symbol helpers of the parser, the model builder and the analyzer: one place, one argument order.</summary>
internal static class Symbols
{
    /// <summary>
    /// Whether <paramref name="a"/> and <paramref name="b"/> are the same type to C#: equal symbols, or types that differ
    /// only in tuple element names (an identity conversion). Nullability is not compared.
    /// </summary>
    public static bool SameType(ITypeSymbol a, ITypeSymbol b, Compilation compilation)
        => SymbolEqualityComparer.Default.Equals(a, b)
            || (compilation is CSharpCompilation csharp && a.TypeKind != TypeKind.Error && b.TypeKind != TypeKind.Error && csharp.ClassifyConversion(a, b).IsIdentity);

    /// <summary>
    /// Whether <paramref name="type"/> is the top-level type <paramref name="namespaceName"/>.<paramref name="name"/>
    /// with <paramref name="arity"/> type parameters. Compares names: <c>Compilation.GetTypeByMetadataName</c>
    /// searches every reference on each call, which is too slow per method.
    /// </summary>
    public static bool IsNamed(this ITypeSymbol? type, string namespaceName, string name, int arity = 0)
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

    /// <summary>Whether <paramref name="type"/> or one of its base types is <paramref name="namespaceName"/>.<paramref name="name"/>.</summary>
    public static bool IsOrDerivesFrom(this ITypeSymbol? type, string namespaceName, string name, int arity = 0)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.IsNamed(namespaceName, name, arity))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><see langword="true"/> for <c>System.Threading.CancellationToken</c> (not its nullable).</summary>
    public static bool IsCancellationToken(this ITypeSymbol type)
        => type.IsValueType && type.IsNamed("System.Threading", "CancellationToken");

    /// <summary>Whether the parameter carries <c>[SingleFlight.NotKey]</c>.</summary>
    public static bool HasNotKeyAttribute(this IParameterSymbol parameter)
        => parameter.GetAttributes().Any(static a => a.AttributeClass.IsNamed("SingleFlight", "NotKeyAttribute"));

    /// <summary>Whether a value of <paramref name="type"/> can be stored, passed as a type argument and shared.</summary>
    public static bool CanBeGenericArgument(this ITypeSymbol type)
        => !type.IsRefLikeType
        && type.TypeKind is not (TypeKind.Pointer or TypeKind.FunctionPointer)
        && type.SpecialType is not (SpecialType.System_Void or SpecialType.System_TypedReference or SpecialType.System_ArgIterator or SpecialType.System_RuntimeArgumentHandle);

    /// <summary>
    /// Whether <paramref name="type"/> or a type it is made of (element, pointed-at, type argument, function-pointer
    /// signature) satisfies <paramref name="predicate"/>: the one walk over a type's parts.
    /// </summary>
    public static bool Contains(this ITypeSymbol type, Func<ITypeSymbol, bool> predicate)
        => predicate(type)
        || type switch
        {
            IArrayTypeSymbol array => array.ElementType.Contains(predicate),
            IPointerTypeSymbol pointer => pointer.PointedAtType.Contains(predicate),
            IFunctionPointerTypeSymbol function => function.Signature.ReturnType.Contains(predicate)
                || function.Signature.Parameters.Any(p => p.Type.Contains(predicate)),
            INamedTypeSymbol named => named.TypeArguments.Any(t => t.Contains(predicate)),
            _ => false,
        };

    /// <summary>Whether the type, or a type it is made of, does not bind.</summary>
    public static bool ContainsError(ITypeSymbol type) => type.Contains(static t => t.TypeKind == TypeKind.Error);

    /// <summary>Whether the type, or a type it is made of, is anonymous (it cannot be named in generated code).</summary>
    public static bool ContainsAnonymousType(ITypeSymbol type) => type.Contains(static t => t.IsAnonymousType);

    /// <summary>Whether the type, or a type it is made of, is a pointer or function pointer.</summary>
    public static bool ContainsPointer(ITypeSymbol type) => type.Contains(static t => t.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer);

    /// <summary>The name as C# source writes it: a keyword gets <c>@</c>.</summary>
    public static string EscapeIdentifier(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
