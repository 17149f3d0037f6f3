using Microsoft.CodeAnalysis;

namespace SingleFlight.Generator.Analyzers;

/// <summary>Which key types compare by reference (SF0006) and which values format with the current culture (SF0005).</summary>
internal static class KeyTypeRules
{
    /// <summary>
    /// Whether a key of <paramref name="type"/> compares by reference. Value tuples and <c>System.Tuple</c>s are
    /// judged element by element; <paramref name="culprit"/> is the offending (element) type and
    /// <paramref name="why"/> says what it is.
    /// </summary>
    public static bool ComparesByReference(ITypeSymbol type, out ITypeSymbol culprit, out string why)
    {
        culprit = type;
        why = string.Empty;

        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            return ComparesByReference(nullable.TypeArguments[0], out culprit, out why);
        }

        switch (type.TypeKind)
        {
            case TypeKind.Error:
            case TypeKind.TypeParameter:
            case TypeKind.Pointer:
            case TypeKind.FunctionPointer:
                return false;
            case TypeKind.Array:
                why = "an array";
                return true;
            case TypeKind.Delegate:
                why = "a delegate";
                return true;
            case TypeKind.Interface:
                why = "an interface (its implementations may compare by reference)";
                return true;
            case TypeKind.Dynamic:
                why = "'dynamic'";
                return true;
        }

        if (type.SpecialType == SpecialType.System_Object)
        {
            why = "'object'";
            return true;
        }

        if (type is INamedTypeSymbol { IsTupleType: true } tuple)
        {
            foreach (var element in tuple.TupleElements)
            {
                if (ComparesByReference(element.Type, out culprit, out why))
                {
                    return true;
                }
            }

            return false;
        }

        if (type.IsValueType || type.SpecialType == SpecialType.System_String)
        {
            return false;
        }

        if (type is not INamedTypeSymbol named || named.TypeKind != TypeKind.Class)
        {
            return false;
        }

        if (IsOrDerivesFrom(named, "Task", "System.Threading.Tasks"))
        {
            why = "a Task";
            return true;
        }

        if (named.IsRecord)
        {
            return false;
        }

        if (named.ContainingNamespace?.ToDisplayString() == "System" && named.Name == "Tuple")
        {
            foreach (var argument in named.TypeArguments)
            {
                if (ComparesByReference(argument, out culprit, out why))
                {
                    return true;
                }
            }

            return false;
        }

        if (HasValueEquality(named))
        {
            return false;
        }

        why = "a class that neither overrides Equals(object) nor implements IEquatable<T>";
        return true;
    }

    private static bool HasValueEquality(INamedTypeSymbol type)
    {
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            foreach (var member in current.GetMembers("Equals"))
            {
                if (member is IMethodSymbol { IsOverride: true, Parameters.Length: 1 } equals
                    && equals.Parameters[0].Type.SpecialType == SpecialType.System_Object)
                {
                    return true;
                }
            }
        }

        foreach (var @interface in type.AllInterfaces)
        {
            if (@interface.Name == "IEquatable"
                && @interface.ContainingNamespace?.ToDisplayString() == "System"
                && @interface.TypeArguments.Length == 1
                && @interface.TypeArguments[0] is INamedTypeSymbol argument
                && IsSelfOrBase(type, argument))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsSelfOrBase(INamedTypeSymbol type, INamedTypeSymbol candidate)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, candidate))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the type or one of its base types is <paramref name="ns"/>.<paramref name="name"/>.</summary>
    public static bool IsOrDerivesFrom(ITypeSymbol? type, string name, string ns)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.Name == name && current.ContainingNamespace?.ToDisplayString() == ns)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the type is <paramref name="ns"/>.<paramref name="name"/>.</summary>
    public static bool Is(ITypeSymbol? type, string name, string ns)
        => type is not null && type.Name == name && type.ContainingNamespace?.ToDisplayString() == ns;

    /// <summary>
    /// Whether formatting a value of the type without a format provider depends on the current culture in a
    /// way that changes ordinary values: the decimal separator of floating-point and decimal numbers, the
    /// date and time formats. Integers and enums are left out on purpose (digits are the same everywhere).
    /// </summary>
    public static bool IsCultureSensitive(ITypeSymbol? type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        if (type is null)
        {
            return false;
        }

        switch (type.SpecialType)
        {
            case SpecialType.System_Single:
            case SpecialType.System_Double:
            case SpecialType.System_Decimal:
            case SpecialType.System_DateTime:
                return true;
        }

        return type.ContainingNamespace?.ToDisplayString() == "System"
            && type.Name is "DateTimeOffset" or "DateOnly" or "TimeOnly" or "Half";
    }
}
