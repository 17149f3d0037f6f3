using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using SingleFlight.Generator.Model;

namespace SingleFlight.Generator.Parsing;

/// <summary>
/// Finds the source-generated <c>JsonSerializerContext</c>s of the compilation and the types they list, so that a
/// distributed method's result crosses processes through a context (trimming and AOT safe) when one lists it.
/// </summary>
/// <remarks>
/// The generator cannot write such a context itself: the System.Text.Json generator does not see other generators'
/// output. It uses the user's.
/// </remarks>
internal static class JsonContexts
{
    /// <summary>The attribute that lists a type on a context.</summary>
    public const string AttributeMetadataName = "System.Text.Json.Serialization.JsonSerializableAttribute";

    /// <summary>The entries of one context declaration; empty when the class is not a context the generated code can use.</summary>
    public static EquatableArray<JsonContextEntry> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        try
        {
            if (context.TargetSymbol is not INamedTypeSymbol type || !IsUsableContext(type))
            {
                return EquatableArray<JsonContextEntry>.Empty;
            }

            var name = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            var serializationOnly = type.GetAttributes().Any(static a =>
                a.AttributeClass is { Name: "JsonSourceGenerationOptionsAttribute" } && IsSerializationOnly(a));
            var entries = new List<JsonContextEntry>();
            foreach (var attribute in context.Attributes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var mode = attribute.NamedArguments.FirstOrDefault(static p => p.Key == "GenerationMode").Value;
                var onlySerializes = mode.Value is int ? IsSerializationOnly(attribute) : serializationOnly;
                if (!onlySerializes
                    && attribute.ConstructorArguments.Length == 1
                    && attribute.ConstructorArguments[0].Value is ITypeSymbol listed
                    && listed.TypeKind != TypeKind.Error)
                {
                    entries.Add(new JsonContextEntry(name, listed.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)));
                }
            }

            return entries.ToEquatableArray();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return EquatableArray<JsonContextEntry>.Empty;
        }
    }

    /// <summary>Every entry, in a stable order (by type, then context), with duplicates removed.</summary>
    public static EquatableArray<JsonContextEntry> Merge(ImmutableArray<EquatableArray<JsonContextEntry>> all)
        => all.SelectMany(static entries => entries)
            .Distinct()
            .OrderBy(static e => e.Type, StringComparer.Ordinal)
            .ThenBy(static e => e.Context, StringComparer.Ordinal)
            .ToEquatableArray();

    /// <summary><paramref name="model"/> with the context that lists its result type, if it is distributed and one does.</summary>
    public static MethodModel Resolve(MethodModel model, EquatableArray<JsonContextEntry> entries)
    {
        if (model.Group.Distributed is not { JsonValueType: { } valueType } distributed)
        {
            return model;
        }

        foreach (var entry in entries)
        {
            if (string.Equals(entry.Type, valueType, StringComparison.Ordinal))
            {
                return model with { Group = model.Group with { Distributed = distributed with { JsonContext = entry.Context } } };
            }
        }

        return model;
    }

    // JsonSourceGenerationMode.Serialization (2): the contract can write values but not read them, which a follower must.
    private static bool IsSerializationOnly(AttributeData attribute)
        => attribute.NamedArguments.Any(static p => p.Key == "GenerationMode" && p.Value.Value is int mode && mode == 2);

    // The generated code reads Context.Default from another type of the same assembly: the context must derive from
    // JsonSerializerContext, be non-generic and non-abstract, and be reachable (no private, protected or file-local
    // type on the way).
    private static bool IsUsableContext(INamedTypeSymbol type)
    {
        if (type.IsAbstract || type.IsGenericType)
        {
            return false;
        }

        var derives = false;
        for (var baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            if (baseType.IsNamed("System.Text.Json.Serialization", "JsonSerializerContext"))
            {
                derives = true;
                break;
            }
        }

        if (!derives)
        {
            return false;
        }

        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal)
                || current.IsFileLocal)
            {
                return false;
            }
        }

        return true;
    }
}
