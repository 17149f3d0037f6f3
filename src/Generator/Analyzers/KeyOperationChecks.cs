using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using SingleFlight.Generator.Diagnostics;
using SingleFlight.Generator.Parsing;

namespace SingleFlight.Generator.Analyzers;

/// <summary>One problem found in a bound key part: the node at fault, and the message's arguments.</summary>
internal readonly struct KeyFinding
{
    public KeyFinding(DiagnosticDescriptor descriptor, SyntaxNode node, params object?[] arguments)
    {
        Descriptor = descriptor;
        Node = node;
        Arguments = arguments;
    }

    public DiagnosticDescriptor Descriptor { get; }

    public SyntaxNode Node { get; }

    public object?[] Arguments { get; }
}

/// <summary>
/// Checks on the bound operations of one <c>KeyFrom</c> part: non-determinism (SF0005), cancellation tokens
/// (SF0007) and string-built composite keys (SF0009). Works on <see cref="IOperation"/>s, so an API is
/// recognised however it is written (qualified, through <c>using static</c>, an alias, a chained call).
/// </summary>
internal static class KeyOperationChecks
{
    /// <summary>Findings for SF0005 and SF0007 in the part, in source order.</summary>
    public static List<KeyFinding> Check(IOperation root, out bool createsReferenceObject)
    {
        var findings = new List<KeyFinding>();
        createsReferenceObject = false;

        foreach (var operation in Walk(root))
        {
            switch (operation)
            {
                case IPropertyReferenceOperation property:
                    CheckMember(property.Property, property.Instance, operation, findings);
                    break;
                case IFieldReferenceOperation field:
                    CheckMember(field.Field, field.Instance, operation, findings);
                    break;
                case IInvocationOperation invocation:
                    CheckMember(invocation.TargetMethod, invocation.Instance, operation, findings);
                    CheckInvocation(invocation, findings);
                    break;
                case IObjectCreationOperation creation:
                    if (creation.Type.IsOrDerivesFrom("System", "Random"))
                    {
                        findings.Add(new KeyFinding(
                            DiagnosticDescriptors.NonDeterministicKey,
                            operation.Syntax,
                            operation.Syntax,
                            "creates a random number generator"));
                    }
                    else if (creation.Type is { IsReferenceType: true } type
                        && FlowsIntoKey(operation, root)
                        && KeyTypeRules.ComparesByReference(type, out _, out _))
                    {
                        createsReferenceObject = true;
                        findings.Add(new KeyFinding(
                            DiagnosticDescriptors.NewObjectKey,
                            operation.Syntax,
                            operation.Syntax,
                            type.ToDisplayString(),
                            type.Name));
                    }

                    break;
                case IInterpolationOperation interpolation:
                    if (KeyTypeRules.IsCultureSensitive(StripConversions(interpolation.Expression).Type) && !HasFormatProviderAncestor(operation, root))
                    {
                        findings.Add(new KeyFinding(
                            DiagnosticDescriptors.CultureFormattedKey,
                            operation.Syntax,
                            operation.Syntax,
                            StripConversions(interpolation.Expression).Type!.ToDisplayString()));
                    }

                    break;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String } binary:
                    foreach (var operand in new[] { binary.LeftOperand, binary.RightOperand })
                    {
                        var value = StripConversions(operand);
                        if (value.Type?.SpecialType != SpecialType.System_String && KeyTypeRules.IsCultureSensitive(value.Type))
                        {
                            findings.Add(new KeyFinding(
                                DiagnosticDescriptors.CultureStringKey,
                                value.Syntax,
                                value.Syntax));
                        }
                    }

                    break;
            }

            if (IsTokenReference(operation))
            {
                findings.Add(new KeyFinding(
                    DiagnosticDescriptors.CancellationTokenInKey,
                    operation.Syntax,
                    operation.Syntax));
            }
        }

        // One report per source of non-determinism: `Random.Shared.Next()` or `Stopwatch.StartNew().Elapsed`
        // is reported on the innermost API use, not once more on each member access around it.
        findings.RemoveAll(outer => outer.Descriptor.Id == DiagnosticDescriptors.NonDeterministicKey.Id
            && findings.Exists(inner => inner.Descriptor.Id == DiagnosticDescriptors.NonDeterministicKey.Id
                && inner.Node != outer.Node
                && outer.Node.Span.Contains(inner.Node.Span)));
        return findings;
    }

    /// <summary>
    /// When the part joins two or more non-constant values into a string (<c>a + ":" + b</c>,
    /// <c>$"{a}:{b}"</c>, <c>string.Concat/Format/Join</c>), the values' syntax; for concatenation and
    /// interpolation without alignment or format, <paramref name="canSplit"/> is true and a tuple key of
    /// those values keeps the meaning.
    /// </summary>
    public static IReadOnlyList<SyntaxNode>? FindStringComposite(IOperation root, out bool canSplit)
    {
        canSplit = false;
        var value = StripConversions(root);
        var pieces = new List<SyntaxNode>();
        switch (value)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String } binary:
                canSplit = true;
                FlattenConcatenation(binary, pieces);
                break;
            case IInterpolatedStringOperation interpolated:
                canSplit = true;
                foreach (var part in interpolated.Parts)
                {
                    if (part is IInterpolationOperation hole)
                    {
                        if (hole.Alignment is not null || hole.FormatString is not null)
                        {
                            canSplit = false;
                        }

                        if (!hole.Expression.ConstantValue.HasValue)
                        {
                            pieces.Add(hole.Expression.Syntax);
                        }
                    }
                }

                break;
            case IInvocationOperation invocation
                when invocation.TargetMethod.ContainingType?.SpecialType == SpecialType.System_String
                    && invocation.TargetMethod.Name is "Concat" or "Format" or "Join":
                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Parameter is { } parameter
                        && (parameter.Name is "format" or "provider" or "separator"))
                    {
                        continue;
                    }

                    var argumentValue = argument.Value;
                    if (IsExpandedParams(argument))
                    {
                        pieces.AddRange(ParamsElements(argumentValue).Where(static e => !e.ConstantValue.HasValue).Select(static e => StripConversions(e).Syntax));
                    }
                    else if (!argumentValue.ConstantValue.HasValue && argument.ArgumentKind != ArgumentKind.DefaultValue)
                    {
                        pieces.Add(StripConversions(argumentValue).Syntax);
                    }
                }

                break;
            default:
                return null;
        }

        return pieces.Count >= 2 ? pieces : null;
    }

    // A params array or (C# 13) params collection built by the compiler from the arguments written in source.
    private static bool IsExpandedParams(IArgumentOperation argument)
        => argument.ArgumentKind is not (ArgumentKind.Explicit or ArgumentKind.DefaultValue or ArgumentKind.None);

    private static IEnumerable<IOperation> ParamsElements(IOperation value)
        => value is IArrayCreationOperation { Initializer: { } initializer } ? initializer.ElementValues : value.ChildOperations;

    private static void FlattenConcatenation(IOperation operation, List<SyntaxNode> pieces)
    {
        var value = StripConversions(operation);
        if (value is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String } binary)
        {
            FlattenConcatenation(binary.LeftOperand, pieces);
            FlattenConcatenation(binary.RightOperand, pieces);
        }
        else if (!value.ConstantValue.HasValue)
        {
            pieces.Add(value.Syntax);
        }
    }

    private static void CheckMember(ISymbol member, IOperation? instance, IOperation operation, List<KeyFinding> findings)
    {
        var type = member.ContainingType;
        if (type is null)
        {
            return;
        }

        string? what = null;
        var name = member.Name;
        if (type.IsNamed("System", "DateTime") && name is "Now" or "UtcNow" or "Today")
        {
            what = "reads the clock";
        }
        else if (type.IsNamed("System", "DateTimeOffset") && name is "Now" or "UtcNow")
        {
            what = "reads the clock";
        }
        else if (type.IsNamed("System", "Environment") && name is "TickCount" or "TickCount64")
        {
            what = "reads a tick counter";
        }
        else if (type.IsNamed("System.Diagnostics", "Stopwatch") && name is not ("Frequency" or "IsHighResolution"))
        {
            what = "reads a stopwatch";
        }
        else if (type.IsOrDerivesFrom("System", "TimeProvider") && name is "GetUtcNow" or "GetLocalNow" or "GetTimestamp" or "GetElapsedTime")
        {
            what = "reads the clock";
        }
        else if (type.IsNamed("System", "Guid") && name is "NewGuid" or "CreateVersion7")
        {
            what = "creates a new GUID";
        }
        else if (type.IsOrDerivesFrom("System", "Random") || type.IsOrDerivesFrom("System.Security.Cryptography", "RandomNumberGenerator"))
        {
            what = "draws a random number";
        }
        else if (type.IsNamed("System.Runtime.CompilerServices", "RuntimeHelpers") && name == "GetHashCode")
        {
            what = "uses an object's identity hash code";
        }
        else if (member is IMethodSymbol { Name: "GetHashCode", Parameters.Length: 0, IsStatic: false } && instance is not null
            && HasIdentityHashCode(StripConversions(instance).Type))
        {
            what = "uses an object's identity hash code";
        }

        if (what is not null)
        {
            findings.Add(new KeyFinding(
                DiagnosticDescriptors.NonDeterministicKey,
                operation.Syntax,
                operation.Syntax,
                what));
        }
    }

    private static void CheckInvocation(IInvocationOperation invocation, List<KeyFinding> findings)
    {
        var method = invocation.TargetMethod;
        if (method.Parameters.Any(IsFormatProvider))
        {
            return;
        }

        ITypeSymbol? formatted = null;
        if (method.Name == "ToString" && !method.IsStatic && invocation.Instance is not null)
        {
            formatted = StripConversions(invocation.Instance).Type;
        }
        else if (method.Name == "ToString" && method.IsStatic && method.ContainingType.IsNamed("System", "Convert") && invocation.Arguments.Length > 0)
        {
            formatted = StripConversions(invocation.Arguments[0].Value).Type;
        }
        else if (method.Name == "Format" && method.ContainingType?.SpecialType == SpecialType.System_String)
        {
            formatted = invocation.Arguments
                .SelectMany(static a => IsExpandedParams(a) ? ParamsElements(a.Value) : new[] { a.Value })
                .Select(static v => StripConversions(v).Type)
                .FirstOrDefault(KeyTypeRules.IsCultureSensitive);
        }

        if (KeyTypeRules.IsCultureSensitive(formatted))
        {
            findings.Add(new KeyFinding(
                DiagnosticDescriptors.CultureFormatCallKey,
                invocation.Syntax,
                invocation.Syntax,
                formatted!.ToDisplayString()));
        }
    }

    private static bool IsFormatProvider(IParameterSymbol parameter)
        => parameter.Type.IsNamed("System", "IFormatProvider") || parameter.Type.IsOrDerivesFrom("System.Globalization", "CultureInfo");

    // Interpolation inside string.Create(provider, ...), FormattableString.Invariant(...), or any call that
    // takes a format provider is formatted with that provider.
    private static bool HasFormatProviderAncestor(IOperation operation, IOperation root)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IInvocationOperation invocation
                && (invocation.TargetMethod.Parameters.Any(IsFormatProvider)
                    || (invocation.TargetMethod.Name == "Invariant" && invocation.TargetMethod.ContainingType.IsNamed("System", "FormattableString"))))
            {
                return true;
            }

            if (current == root)
            {
                break;
            }
        }

        return false;
    }

    private static bool HasIdentityHashCode(ITypeSymbol? type)
    {
        if (type is null || type.TypeKind is TypeKind.TypeParameter or TypeKind.Interface or TypeKind.Error || type.IsValueType)
        {
            return false;
        }

        if (type.TypeKind == TypeKind.Array)
        {
            return true;
        }

        for (var current = type; current is not null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
        {
            if (current.GetMembers("GetHashCode").Any(static m => m is IMethodSymbol { IsOverride: true, Parameters.Length: 0 }))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsTokenReference(IOperation operation)
        => operation is IParameterReferenceOperation or ILocalReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation
        && operation.Type.IsNamed("System.Threading", "CancellationToken");

    // The value reaches the key itself: it is the part, or an element of a tuple that is the part.
    private static bool FlowsIntoKey(IOperation operation, IOperation root)
    {
        var current = operation;
        while (current != root)
        {
            var parent = current.Parent;
            if (parent is null)
            {
                return false;
            }

            if (parent is not (IConversionOperation or ITupleOperation or IParenthesizedOperation))
            {
                return false;
            }

            current = parent;
        }

        return true;
    }

    /// <summary>The operation without implicit or explicit conversions around it.</summary>
    public static IOperation StripConversions(IOperation operation)
    {
        while (operation is IConversionOperation conversion)
        {
            operation = conversion.Operand;
        }

        return operation;
    }

    // Every operation in the part, in source order, except inside nameof (which is a constant).
    private static IEnumerable<IOperation> Walk(IOperation root)
    {
        var stack = new Stack<IOperation>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var operation = stack.Pop();
            if (operation is INameOfOperation)
            {
                continue;
            }

            yield return operation;
            var children = operation.ChildOperations.ToArray();
            for (var i = children.Length - 1; i >= 0; i--)
            {
                stack.Push(children[i]);
            }
        }
    }
}
