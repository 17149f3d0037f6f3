using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SingleFlight.Generator.Diagnostics;

namespace SingleFlight.Generator.Parsing;

internal static partial class MethodParser
{
    /// <summary>SF0002 and SF0003: the one core method that matches, its <c>[FromFlightScope]</c> parameters and their scope factory.</summary>
    private static CoreMethodMatch? FindCoreMethod(Context context, MethodShape shape, Compilation compilation, CancellationToken ct)
    {
        var method = context.Method;
        IMethodSymbol? core = null;
        var candidates = ImmutableArray.CreateBuilder<IMethodSymbol>();
        foreach (var member in method.ContainingType.GetMembers(context.CoreMethodName))
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
                if (core is not null)
                {
                    // Two cores with one signature: the compiler reports CS0111; our call would be ambiguous.
                    return null;
                }

                core = candidate;
            }
            else
            {
                candidates.Add(candidate);
            }
        }

        if (core is not null && candidates.Any(c => SameParameterTypes(core, c)))
        {
            // Another method of that name with the same parameter types (differing only in constraints or
            // return type): the compiler reports it, and our call would be ambiguous.
            return null;
        }

        if (core is null)
        {
            if (candidates.Count == 0)
            {
                context.Report(DiagnosticDescriptors.CoreMethod, context.NameLocation, null, context.CoreProperties, context.TypeName, context.CoreMethodName, context.Name, DescribeCore(context));
            }
            else
            {
                var candidate = candidates[0];
                context.Report(
                    DiagnosticDescriptors.CoreMethodMismatch,
                    context.NameLocation,
                    candidate.Locations.Where(static l => l.IsInSource).Take(1),
                    context.CoreProperties,
                    candidate.ToDisplayString(s_signatureFormat),
                    context.Name,
                    DescribeCore(context));
            }

            return null;
        }

        if (shape.ReturnKind == SingleFlightReturnKind.Void && (core.PartialImplementationPart ?? core).IsAsync)
        {
            context.Report(DiagnosticDescriptors.AsyncVoid, context.NameLocation, context.CoreMethodName, context.Name);
            return null;
        }

        var coreSyntax = GetCoreBody(core, ct);
        if (coreSyntax is not null && IsIterator(coreSyntax))
        {
            context.Report(DiagnosticDescriptors.Iterator, context.NameLocation, context.Name, method.ReturnType.ToDisplayString());
            return null;
        }

        var flightScopeParameters = core.Parameters.Where(IsFromFlightScope).ToImmutableArray();
        if (flightScopeParameters.IsEmpty)
        {
            return new CoreMethodMatch(core, flightScopeParameters, null);
        }

        return FindScopeFactory(context, compilation) is { } factory ? new CoreMethodMatch(core, flightScopeParameters, factory) : null;
    }

    // Minimal names, with '?' on nullable reference types: a nullability difference is a mismatch too.
    private static readonly SymbolDisplayFormat s_signatureFormat = SymbolDisplayFormat.MinimallyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>The core method's signature as SF0002 asks for it.</summary>
    private static string DescribeCore(Context context)
    {
        var method = context.Method;
        var format = s_signatureFormat;
        var typeParameters = method.IsGenericMethod ? "<" + string.Join(", ", method.TypeParameters.Select(static t => t.Name)) + ">" : string.Empty;
        var parameters = string.Join(", ", method.Parameters.Select(p =>
            (p.RefKind == RefKind.In ? "in " : string.Empty) + p.Type.ToDisplayString(format) + " " + p.Name));
        return $"{(method.IsStatic ? "static " : string.Empty)}{(method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString(format))} {context.CoreMethodName}{typeParameters}({parameters})";
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
                // A container hands out non-null services of a named type: not a bare type parameter, not a Nullable<T>.
                if (actual.RefKind != RefKind.None || actual.IsParams || actual.Type.IsRefLikeType || actual.Type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer
                    || actual.Type is ITypeParameterSymbol
                    || actual.Type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
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

    /// <summary>
    /// Whether a primary-constructor parameter is passed to the base constructor or is the whole initializer of a member:
    /// capturing it as well makes the compiler warn that it is kept twice.
    /// </summary>
    private static bool IsHandedOn(string name, TypeDeclarationSyntax primary, INamedTypeSymbol type)
    {
        static bool Is(ExpressionSyntax? expression, string name) => expression is IdentifierNameSyntax identifier && identifier.Identifier.ValueText == name;

        if (primary.BaseList?.Types.OfType<PrimaryConstructorBaseTypeSyntax>().Any(b => b.ArgumentList.Arguments.Any(a => Is(a.Expression, name))) == true)
        {
            return true;
        }

        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax part)
            {
                continue;
            }

            foreach (var member in part.Members)
            {
                var initializers = member switch
                {
                    BaseFieldDeclarationSyntax field => field.Declaration.Variables.Select(static v => v.Initializer?.Value),
                    PropertyDeclarationSyntax property => new[] { property.Initializer?.Value },
                    _ => Enumerable.Empty<ExpressionSyntax?>(),
                };
                if (initializers.Any(i => Is(i, name)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether a core method's parameter carries <c>[FromFlightScope]</c>.</summary>
    public static bool IsFromFlightScope(IParameterSymbol parameter)
    {
        foreach (var attribute in parameter.GetAttributes())
        {
            if (attribute.AttributeClass.IsNamed("SingleFlight", "FromFlightScopeAttribute"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Finds the <c>IServiceScopeFactory</c> a flight's scope is created from: the containing type's field or property
    /// of that type (its own, or a base type's that is not private), static for a static method; failing those, a
    /// primary-constructor parameter that no parameter of the method hides.
    /// </summary>
    private static ISymbol? FindScopeFactory(Context context, Compilation compilation)
    {
        var method = context.Method;
        static bool IsScopeFactory(ITypeSymbol? type) => type.IsNamed("Microsoft.Extensions.DependencyInjection", "IServiceScopeFactory");

        // The most derived type that has one wins: a derived type's own factory over a base type's.
        var members = new List<ISymbol>();
        for (var type = method.ContainingType; type is not null && members.Count == 0; type = type.BaseType)
        {
            foreach (var member in type.GetMembers())
            {
                if (member.IsImplicitlyDeclared
                    || (method.IsStatic && !member.IsStatic)
                    || !compilation.IsSymbolAccessibleWithin(member, method.ContainingType))
                {
                    continue;
                }

                var memberType = member switch
                {
                    IFieldSymbol field => field.Type,
                    IPropertySymbol { IsIndexer: false, ExplicitInterfaceImplementations.IsEmpty: true, GetMethod: { } getter } property
                        when compilation.IsSymbolAccessibleWithin(getter, method.ContainingType) => property.Type,
                    _ => null,
                };
                if (IsScopeFactory(memberType))
                {
                    members.Add(member);
                }
            }
        }

        if (members.Count == 0 && !method.IsStatic)
        {
            foreach (var constructor in method.ContainingType.InstanceConstructors)
            {
                if (constructor.DeclaringSyntaxReferences.Select(static r => r.GetSyntax()).OfType<TypeDeclarationSyntax>().FirstOrDefault() is not { } typeDeclaration)
                {
                    continue;
                }

                foreach (var parameter in constructor.Parameters)
                {
                    if (!IsScopeFactory(parameter.Type) || method.Parameters.Any(mp => mp.Name == parameter.Name))
                    {
                        continue;
                    }

                    // Captured by the generated code and also handed on by the user's: the compiler warns (CS9107, CS9124).
                    if (IsHandedOn(parameter.Name, typeDeclaration, method.ContainingType))
                    {
                        context.Report(
                            DiagnosticDescriptors.FlightScopeFactoryHandedOn,
                            context.NameLocation,
                            null,
                            context.CoreProperties,
                            context.CoreMethodName,
                            parameter.Name);
                        return null;
                    }

                    members.Add(parameter);
                }
            }
        }

        if (members.Count > 1)
        {
            context.Report(
                DiagnosticDescriptors.FlightScopeAmbiguousScopeFactory,
                context.NameLocation,
                null,
                context.CoreProperties,
                context.CoreMethodName,
                context.TypeName,
                string.Join(", ", members.Select(static m => "'" + m.Name + "'")));
            return null;
        }

        if (members.Count == 0)
        {
            context.Report(
                DiagnosticDescriptors.FlightScopeWithoutScopeFactory,
                context.NameLocation,
                null,
                context.CoreProperties,
                context.CoreMethodName,
                context.TypeName,
                method.IsStatic ? "in a static field or property" : "as a constructor parameter, field or property");
            return null;
        }

        return members[0];
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
}
