using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SingleFlight.Redis;

/// <summary>
/// The fingerprint of a result type's JSON contract: 16 hex digits that a leader writes in front of its value and a
/// follower compares with its own before it reads the value. Two processes get the same fingerprint when their
/// contracts read and write the same JSON: the same type names, the same JSON property names and property types,
/// the same required members, the same polymorphic discriminators, all the way down the type graph.
/// </summary>
/// <remarks>
/// <para>
/// Computed from what both builds of System.Text.Json expose (the <c>net8.0</c> build compiles against version 8, the
/// <c>netstandard2.0</c> one against the package), never from assembly names or versions, so processes on either build
/// and on any runtime agree. Properties are sorted by JSON name, so a reflection contract and a source-generated one
/// for the same type agree too. It errs on the side of caution: a difference that would not change the JSON (a type
/// moved to another namespace) still gives another fingerprint, and then costs coalescing, never a wrong value.
/// </para>
/// <para>The description starts with a version tag, so a later change to what goes in starts a new series.</para>
/// </remarks>
internal static class ResultContract
{
    /// <summary>The length of a fingerprint, in ASCII hex digits.</summary>
    internal const int Length = 16;

    private const string Version = "sf-contract-1";

    /// <summary>The fingerprint of <paramref name="typeInfo"/>, as ASCII bytes.</summary>
    internal static byte[] Fingerprint(JsonTypeInfo typeInfo) => Encoding.ASCII.GetBytes(Hash(Describe(typeInfo)));

    /// <summary>The canonical description that the fingerprint hashes (exposed for tests).</summary>
    internal static string Describe(JsonTypeInfo typeInfo)
    {
        var text = new StringBuilder(Version);
        try
        {
            var described = new HashSet<Type>();
            var pending = new Queue<Type>();
            Describe(text, typeInfo, described, pending);
            while (pending.Count > 0)
            {
                var next = pending.Dequeue();
                if (described.Contains(next))
                {
                    continue;
                }

                if (typeInfo.Options.TryGetTypeInfo(next, out var nested))
                {
                    Describe(text, nested, described, pending);
                }
                else
                {
                    // The resolver does not know the type: the same in every process that uses the same resolver.
                    described.Add(next);
                    text.Append("|?").Append(Name(next));
                }
            }
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            // A contract that cannot be explored fails the same way everywhere: the description so far still
            // tells processes apart by the root type's name.
            text.Append("|!").Append(ex.GetType().Name);
        }

        return text.ToString();
    }

    private static void Describe(StringBuilder text, JsonTypeInfo typeInfo, HashSet<Type> described, Queue<Type> pending)
    {
        var type = typeInfo.Type;
        described.Add(type);
        text.Append('|').Append(Name(type)).Append('=').Append(typeInfo.Kind.ToString());
        switch (typeInfo.Kind)
        {
            case JsonTypeInfoKind.Object:
                text.Append('{');
                foreach (var property in typeInfo.Properties.OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    text.Append(property.Name.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(property.Name)
                        .Append(':').Append(Name(property.PropertyType));
                    if (property.IsRequired)
                    {
                        text.Append('!');
                    }

                    if (property.IsExtensionData)
                    {
                        text.Append('*');
                    }

                    text.Append(';');
                    Enqueue(property.PropertyType, pending);
                }

                text.Append('}');
                break;

            case JsonTypeInfoKind.Enumerable:
            case JsonTypeInfoKind.Dictionary:
                // JsonTypeInfo.ElementType and KeyType are newer than System.Text.Json 8: the element types come from
                // the type (an array's element, or the type arguments of the type or of its first generic base).
                text.Append('<');
                foreach (var element in Elements(type))
                {
                    text.Append(Name(element)).Append(';');
                    Enqueue(element, pending);
                }

                text.Append('>');
                break;
        }

        if (typeInfo.PolymorphismOptions is { } polymorphism)
        {
            text.Append("[$").Append(polymorphism.TypeDiscriminatorPropertyName).Append(';');
            foreach (var derived in polymorphism.DerivedTypes
                .Select(d => (Type: Name(d.DerivedType), Discriminator: Convert.ToString(d.TypeDiscriminator, CultureInfo.InvariantCulture) ?? string.Empty, d.DerivedType))
                .OrderBy(d => d.Type, StringComparer.Ordinal))
            {
                text.Append(derived.Type).Append('=').Append(derived.Discriminator).Append(';');
                Enqueue(derived.DerivedType, pending);
            }

            text.Append(']');
        }
    }

    private static void Enqueue(Type type, Queue<Type> pending)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        pending.Enqueue(underlying ?? type);
    }

    private static IEnumerable<Type> Elements(Type type)
    {
        if (type.IsArray)
        {
            return [type.GetElementType()!];
        }

        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.IsGenericType)
            {
                return current.GetGenericArguments();
            }
        }

        return [];
    }

    /// <summary>A type's name without assembly names or versions: namespace, nesting, and type arguments by the same rule.</summary>
    internal static string Name(Type type)
    {
        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            var definition = type.GetGenericTypeDefinition();
            return (definition.FullName ?? definition.Name) + "[" + string.Join(",", type.GetGenericArguments().Select(Name)) + "]";
        }

        return type.FullName ?? type.Name;
    }

    // FNV-1a, 64 bits, over the UTF-16 code units: stable everywhere (string.GetHashCode is randomised per process).
    private static string Hash(string text)
    {
        const ulong offset = 14695981039346656037;
        const ulong prime = 1099511628211;
        var hash = offset;
        foreach (var c in text)
        {
            hash ^= (byte)c;
            hash *= prime;
            hash ^= (byte)(c >> 8);
            hash *= prime;
        }

        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }
}
