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
/// How the generated file names things: the usings it repeats, namespaces, containing types, the hint name, and the
/// trimming annotations it copies.
/// </summary>
internal static partial class ModelBuilder
{
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
