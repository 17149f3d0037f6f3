using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SingleFlight.Generator.Parsing;

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

        if (named.IsOrDerivesFrom("System.Threading.Tasks", "Task"))
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

        if (HasValueEquality(named, out var disguised))
        {
            return false;
        }

        why = disguised is not null
            ? $"a class whose Equals(object) override (in '{disguised.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}') only defers to object.Equals, which compares references"
            : "a class that neither overrides Equals(object) nor implements IEquatable<T>";
        return true;
    }

    /// <summary>
    /// Whether the type compares by value: an <c>Equals(object)</c> override in it or a base, or <c>IEquatable</c> of it or a
    /// base. An override that only defers to the base's (see <see cref="OnlyDefersToBase"/>) does not count: the next one up
    /// decides. <paramref name="disguised"/> is the type of the first such override, when that is why there is none.
    /// </summary>
    private static bool HasValueEquality(INamedTypeSymbol type, out INamedTypeSymbol? disguised)
    {
        disguised = null;
        var hasEqualityOperator = false;
        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            hasEqualityOperator |= !current.GetMembers("op_Equality").IsEmpty;
            foreach (var member in current.GetMembers("Equals"))
            {
                if (member is IMethodSymbol { IsOverride: true, Parameters.Length: 1 } equals
                    && equals.Parameters[0].Type.SpecialType == SpecialType.System_Object)
                {
                    if (!OnlyDefersToBase(equals, hasEqualityOperator))
                    {
                        return true;
                    }

                    disguised ??= current;
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

    /// <summary>
    /// Whether an <c>Equals(object)</c> override adds nothing to the base's: reference equality in disguise (EF Core's
    /// <c>DbContext</c>, <c>DbSet&lt;T&gt;</c> and <c>DatabaseFacade</c> override it only to hide it from IntelliSense).
    /// In source: a body that is only <c>base.Equals(obj)</c>. In metadata, where no body can be read: a known type, or an
    /// override marked <c>[EditorBrowsable(EditorBrowsableState.Never)]</c> in a hierarchy that declares no
    /// <c>operator ==</c> (a type with real value equality hidden from IntelliSense would normally offer one, or
    /// <c>IEquatable&lt;T&gt;</c>, which the caller checks separately).
    /// </summary>
    private static bool OnlyDefersToBase(IMethodSymbol equals, bool hasEqualityOperator)
    {
        if (!equals.DeclaringSyntaxReferences.IsEmpty)
        {
            foreach (var reference in equals.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not MethodDeclarationSyntax declaration || !IsBaseEqualsCall(BodyExpression(declaration), equals.Parameters[0].Name))
                {
                    return false;
                }
            }

            return true;
        }

        var owner = equals.ContainingType;
        if ((owner.Name is "DbContext" && owner.IsNamed("Microsoft.EntityFrameworkCore", "DbContext"))
            || (owner.Name is "DbSet" && owner.Arity == 1 && owner.IsNamed("Microsoft.EntityFrameworkCore", "DbSet", 1))
            || (owner.Name is "DatabaseFacade" && owner.IsNamed("Microsoft.EntityFrameworkCore.Infrastructure", "DatabaseFacade")))
        {
            return true;
        }

        if (hasEqualityOperator)
        {
            return false;
        }

        foreach (var attribute in equals.GetAttributes())
        {
            if (attribute.AttributeClass.IsNamed("System.ComponentModel", "EditorBrowsableAttribute")
                && attribute.ConstructorArguments.Length == 1
                && attribute.ConstructorArguments[0].Value is int state
                && state == 1)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The expression an expression-bodied method returns, or the one <c>return</c> of a block body; otherwise null.</summary>
    private static ExpressionSyntax? BodyExpression(MethodDeclarationSyntax declaration)
        => declaration.ExpressionBody?.Expression
            ?? (declaration.Body is { Statements: { Count: 1 } statements } && statements[0] is ReturnStatementSyntax { Expression: { } returned } ? returned : null);

    private static bool IsBaseEqualsCall(ExpressionSyntax? expression, string parameterName)
    {
        while (expression is ParenthesizedExpressionSyntax parenthesized)
        {
            expression = parenthesized.Expression;
        }

        return expression is InvocationExpressionSyntax
        {
            Expression: MemberAccessExpressionSyntax { Expression: BaseExpressionSyntax, Name.Identifier.ValueText: "Equals" },
            ArgumentList.Arguments: { Count: 1 } arguments,
        }
            && arguments[0].Expression is IdentifierNameSyntax { Identifier.ValueText: var name }
            && name == parameterName;
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
