using Microsoft.CodeAnalysis;

namespace SingleFlight.Generator.Parsing;

/// <summary>
/// The types of the batch shapes: the collections a batch method takes its keys in, the dictionaries it returns, the
/// collections a batch core receives. Recognised by name, like the rest of the parser.
/// </summary>
internal static class BatchTypes
{
    /// <summary>
    /// Whether <paramref name="type"/> is a collection of keys a batch method can take: <c>IEnumerable&lt;K&gt;</c>,
    /// <c>IReadOnlyCollection&lt;K&gt;</c>, <c>IReadOnlyList&lt;K&gt;</c>, <c>ICollection&lt;K&gt;</c>, <c>IList&lt;K&gt;</c>,
    /// <c>K[]</c>, <c>List&lt;K&gt;</c>, <c>ISet&lt;K&gt;</c>, <c>HashSet&lt;K&gt;</c>, <c>IReadOnlySet&lt;K&gt;</c> or
    /// <c>ImmutableArray&lt;K&gt;</c>; never <c>string</c> (a collection of chars that is a key of its own).
    /// </summary>
    public static bool IsKeyCollection(ITypeSymbol type, out ITypeSymbol element, out KeyCollectionKind kind)
    {
        element = null!;
        kind = default;
        if (type is IArrayTypeSymbol { IsSZArray: true } array)
        {
            element = array.ElementType;
            kind = KeyCollectionKind.Array;
            return true;
        }

        if (type is not INamedTypeSymbol { Arity: 1 } named)
        {
            return false;
        }

        var definition = named.OriginalDefinition;
        KeyCollectionKind? found =
            definition.IsNamed("System.Collections.Generic", "IEnumerable", 1) ? KeyCollectionKind.Enumerable
            : definition.IsNamed("System.Collections.Generic", "IReadOnlyCollection", 1) ? KeyCollectionKind.ReadOnlyCollection
            : definition.IsNamed("System.Collections.Generic", "IReadOnlyList", 1) ? KeyCollectionKind.ReadOnlyList
            : definition.IsNamed("System.Collections.Generic", "ICollection", 1) ? KeyCollectionKind.Collection
            : definition.IsNamed("System.Collections.Generic", "IList", 1) ? KeyCollectionKind.List
            : definition.IsNamed("System.Collections.Generic", "List", 1) ? KeyCollectionKind.ConcreteList
            : definition.IsNamed("System.Collections.Generic", "ISet", 1) ? KeyCollectionKind.Set
            : definition.IsNamed("System.Collections.Generic", "HashSet", 1) ? KeyCollectionKind.HashSet
            : definition.IsNamed("System.Collections.Generic", "IReadOnlySet", 1) ? KeyCollectionKind.ReadOnlySet
            : definition.IsNamed("System.Collections.Immutable", "ImmutableArray", 1) ? KeyCollectionKind.ImmutableArray
            : null;
        if (found is not { } value)
        {
            return false;
        }

        element = named.TypeArguments[0];
        kind = value;
        return true;
    }

    /// <summary>Whether a batch core's keys parameter can receive a batch: <c>IReadOnlyCollection&lt;K&gt;</c>, <c>IReadOnlyList&lt;K&gt;</c> or <c>IEnumerable&lt;K&gt;</c>.</summary>
    public static bool IsBatchCoreKeys(ITypeSymbol type, out KeyCollectionKind kind, out ITypeSymbol element)
        => IsKeyCollection(type, out element, out kind) && kind is KeyCollectionKind.ReadOnlyCollection or KeyCollectionKind.ReadOnlyList or KeyCollectionKind.Enumerable;

    /// <summary>
    /// Whether <paramref name="type"/> is <c>Task</c> or <c>ValueTask</c> of <c>IReadOnlyDictionary&lt;K, V&gt;</c>,
    /// <c>IDictionary&lt;K, V&gt;</c> or <c>Dictionary&lt;K, V&gt;</c>.
    /// </summary>
    public static bool IsAsyncDictionary(ITypeSymbol type, out DictionaryKind kind, out ITypeSymbol key, out ITypeSymbol value, out bool valueTask)
    {
        kind = default;
        key = null!;
        value = null!;
        valueTask = false;
        if (type is not INamedTypeSymbol { Arity: 1 } task)
        {
            return false;
        }

        var definition = task.OriginalDefinition;
        valueTask = definition.IsNamed("System.Threading.Tasks", "ValueTask", 1);
        if (!valueTask && !definition.IsNamed("System.Threading.Tasks", "Task", 1))
        {
            return false;
        }

        if (task.TypeArguments[0] is not INamedTypeSymbol { Arity: 2 } dictionary)
        {
            return false;
        }

        var dictionaryDefinition = dictionary.OriginalDefinition;
        DictionaryKind? found =
            dictionaryDefinition.IsNamed("System.Collections.Generic", "IReadOnlyDictionary", 2) ? DictionaryKind.ReadOnlyDictionary
            : dictionaryDefinition.IsNamed("System.Collections.Generic", "IDictionary", 2) ? DictionaryKind.Dictionary
            : dictionaryDefinition.IsNamed("System.Collections.Generic", "Dictionary", 2) ? DictionaryKind.ConcreteDictionary
            : null;
        if (found is not { } foundKind)
        {
            return false;
        }

        kind = foundKind;
        key = dictionary.TypeArguments[0];
        value = dictionary.TypeArguments[1];
        return true;
    }

    /// <summary>
    /// Whether a batch key type is never null (a dictionary key): not a nullable reference, not <c>Nullable&lt;T&gt;</c>,
    /// not a type parameter without <c>notnull</c>. An oblivious reference type (nullable context off) is accepted.
    /// </summary>
    public static bool IsNotNullKey(ITypeSymbol type)
        => type.NullableAnnotation != NullableAnnotation.Annotated
        && type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T
        && (type is not ITypeParameterSymbol parameter || parameter.HasNotNullConstraint || parameter.HasValueTypeConstraint || parameter.HasUnmanagedTypeConstraint);
}
