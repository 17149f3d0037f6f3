using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SingleFlight.Generator.Diagnostics;

namespace SingleFlight.Generator.Parsing;

internal static partial class MethodParser
{
    /// <summary>SF0003: parameters a flight can keep and a result it can share; how the method returns.</summary>
    private static MethodShape? CheckShape(Context context)
    {
        var method = context.Method;
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            context.Report(DiagnosticDescriptors.RefReturn, context.NameLocation, context.Name);
            return null;
        }

        if (Symbols.ContainsError(method.ReturnType))
        {
            return null;
        }

        foreach (var parameter in method.Parameters)
        {
            if (Symbols.ContainsError(parameter.Type))
            {
                return null;
            }

            if (parameter.RefKind is not (RefKind.None or RefKind.In))
            {
                var refKind = parameter.RefKind switch
                {
                    RefKind.Out => "out",
                    RefKind.Ref => "ref",
                    RefKind.In => "in",
                    _ => "ref readonly",
                };
                context.Report(DiagnosticDescriptors.RefOrOutParameter, context.ParameterLocation(parameter), parameter.Name, context.Name, refKind);
                return null;
            }

            if (!parameter.Type.CanBeGenericArgument())
            {
                context.Report(DiagnosticDescriptors.UnsupportedParameterType, context.ParameterLocation(parameter), parameter.Name, context.Name, parameter.Type.ToDisplayString());
                return null;
            }
        }

        // `allows ref struct` (C# 13): a type argument could then be a ref struct, which a flight cannot store. Found in
        // the syntax, which the Roslyn 4.8 API this generator builds against can still read as text.
        foreach (var clause in context.Declaration.ConstraintClauses)
        {
            foreach (var constraint in clause.Constraints)
            {
                if (constraint.ToString().StartsWith("allows", StringComparison.Ordinal))
                {
                    context.Report(DiagnosticDescriptors.TypeParameterAllowsRefStruct, context.NameLocation, clause.Name.Identifier.ValueText, context.Name);
                    return null;
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
                    return null;
                }
            }

            foreach (var constraint in typeParameter.ConstraintTypes)
            {
                if (Symbols.ContainsError(constraint))
                {
                    return null;
                }
            }
        }

        var returnType = method.ReturnType;
        if (method.ReturnsVoid)
        {
            return new MethodShape(SingleFlightReturnKind.Void, null);
        }

        if (!returnType.CanBeGenericArgument())
        {
            context.Report(DiagnosticDescriptors.UnsupportedReturnType, context.NameLocation, context.Name, method.ReturnType.ToDisplayString());
            return null;
        }

        if (returnType is INamedTypeSymbol named)
        {
            var definition = named.OriginalDefinition;
            if (definition.IsNamed("System.Collections.Generic", "IAsyncEnumerable", 1)
                || definition.IsNamed("System.Collections.Generic", "IAsyncEnumerator", 1))
            {
                context.Report(DiagnosticDescriptors.Iterator, context.NameLocation, context.Name, method.ReturnType.ToDisplayString());
                return null;
            }

            if (definition.IsNamed("System.Threading.Tasks", "Task"))
            {
                return new MethodShape(SingleFlightReturnKind.Task, null);
            }

            if (definition.IsNamed("System.Threading.Tasks", "ValueTask"))
            {
                return new MethodShape(SingleFlightReturnKind.ValueTask, null);
            }

            if (definition.IsNamed("System.Threading.Tasks", "Task", 1))
            {
                return new MethodShape(SingleFlightReturnKind.TaskOfT, named.TypeArguments[0]);
            }

            if (definition.IsNamed("System.Threading.Tasks", "ValueTask", 1))
            {
                return new MethodShape(SingleFlightReturnKind.ValueTaskOfT, named.TypeArguments[0]);
            }
        }

        return new MethodShape(SingleFlightReturnKind.Value, returnType);
    }

    /// <summary>SF0003: <c>Scope = SingleFlightScope.Instance</c> only where an object can hold the group.</summary>
    private static bool CheckScope(Context context, SingleFlightScopeKind scope)
    {
        var method = context.Method;
        if (scope != SingleFlightScopeKind.Instance)
        {
            return true;
        }

        if (method.IsStatic)
        {
            context.Report(DiagnosticDescriptors.InstanceScopeOnStaticMethod, context.NameLocation, context.Name);
        }
        else if (method.ContainingType.IsValueType)
        {
            context.Report(DiagnosticDescriptors.InstanceScopeOnStruct, context.NameLocation, context.TypeName);
        }
        else if (method.ContainingType.IsRecord)
        {
            context.Report(DiagnosticDescriptors.InstanceScopeOnRecord, context.NameLocation, context.TypeName);
        }
        else if (method.IsGenericMethod)
        {
            context.Report(DiagnosticDescriptors.InstanceScopeOnGenericMethod, context.NameLocation, context.Name);
        }
        else
        {
            return true;
        }

        return false;
    }

    /// <summary>
    /// SF0003 for an argument the compiler accepts: <c>Scope</c> cast from an undefined value, an option of zero or
    /// fewer milliseconds, a share window on a distributed method. On the argument's value.
    /// </summary>
    private static void ReportArgumentProblem(Context context, ArgumentProblem problem)
    {
        var argument = (AttributeArguments.Find(context.Method)?.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax)?.ArgumentList?.Arguments
            .FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == problem.Argument);
        var location = argument?.Expression.GetLocation() ?? context.NameLocation;
        if (problem.Value is null)
        {
            context.Report(problem.Descriptor, location, context.Name);
        }
        else
        {
            context.Report(problem.Descriptor, location, context.Name, problem.Value);
        }
    }
}
