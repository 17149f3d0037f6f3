using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using SingleFlight.Generator.Diagnostics;

namespace SingleFlight.Generator.Parsing;

internal static partial class MethodParser
{
    /// <summary>The metadata name of the type the generated code of a distributed method holds.</summary>
    public const string DistributedOperationMetadataName = "SingleFlight.Redis.DistributedSingleFlightOperation`2";

    /// <summary>
    /// SF0010: whether a <c>Distributed = true</c> method can share its flights across processes. When it cannot, it is
    /// reported and generated as an in-process flight.
    /// </summary>
    private static bool CheckDistributed(Context context, MethodShape shape, KeyBinding key, Compilation compilation)
    {
        var method = context.Method;
        var argument = context.Attribute.Syntax?.ArgumentList?.Arguments.FirstOrDefault(static a => a.NameEquals?.Name.Identifier.ValueText == "Distributed");
        var location = argument?.GetLocation() ?? context.NameLocation;
        if (compilation.GetTypeByMetadataName(DistributedOperationMetadataName) is null)
        {
            context.Report(DiagnosticDescriptors.DistributedNotSupported, location, context.Name);
            return false;
        }

        if (shape.ReturnKind is SingleFlightReturnKind.Void or SingleFlightReturnKind.Value)
        {
            context.Report(DiagnosticDescriptors.DistributedBlockingMethod, location, context.Name, method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString());
            return false;
        }

        if (context.Attribute.Scope == SingleFlightScopeKind.Instance)
        {
            context.Report(DiagnosticDescriptors.DistributedInstanceScope, location, context.Name);
            return false;
        }

        if (method.IsGenericMethod)
        {
            context.Report(DiagnosticDescriptors.DistributedGenericMethod, location, context.Name);
            return false;
        }

        for (var type = method.ContainingType; type is not null; type = type.ContainingType)
        {
            if (type.TypeParameters.Length > 0)
            {
                context.Report(DiagnosticDescriptors.DistributedInGenericType, location, context.Name, type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat));
                return false;
            }
        }

        // The operation name is what processes share flights on: two methods of one type must not share it.
        var name = OperationNameOf(method, context.Attribute.OperationName);
        foreach (var member in method.ContainingType.GetMembers())
        {
            if (member is IMethodSymbol other
                && !SymbolEqualityComparer.Default.Equals(other, method)
                && !SymbolEqualityComparer.Default.Equals(other, method.PartialImplementationPart)
                && !SymbolEqualityComparer.Default.Equals(other.PartialDefinitionPart, method)
                && DistributedOperationName(other) is { } otherName
                && string.Equals(otherName, name, StringComparison.Ordinal))
            {
                context.Report(
                    DiagnosticDescriptors.DistributedDuplicateOperationName,
                    location,
                    context.Name,
                    name,
                    other.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat));
                return false;
            }
        }

        foreach (var part in key.Parts)
        {
            if (!HasDistributedEncoding(part.Type))
            {
                context.Report(
                    DiagnosticDescriptors.DistributedKeyType,
                    key.IsDefault && part.Parameter is { } parameter ? context.ParameterLocation(parameter) : context.KeyFromLocation(part.SpanInKeyFrom),
                    context.Name,
                    part.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat));
                return false;
            }
        }

        return true;
    }

    // Namespace.Type<T>.Nested: readable in a dashboard, no global:: prefix.
    private static readonly SymbolDisplayFormat s_operationTypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

    /// <summary>A method's operation name: <paramref name="operationName"/> when set, otherwise <c>Namespace.Type.Method</c>.</summary>
    public static string OperationNameOf(IMethodSymbol method, string? operationName)
        => string.IsNullOrWhiteSpace(operationName)
            ? method.ContainingType.ToDisplayString(s_operationTypeFormat) + "." + method.Name
            : operationName!;

    /// <summary>The operation name of <paramref name="method"/> if it carries <c>[SingleFlight(Distributed = true)]</c>; otherwise null.</summary>
    private static string? DistributedOperationName(IMethodSymbol method)
        => AttributeArguments.Read(method, null) is { Distributed: true } attribute ? OperationNameOf(method, attribute.OperationName) : null;

    /// <summary>Whether the runtime's <c>DistributedKey</c> encodes every value of <paramref name="type"/> (keep the two in step).</summary>
    public static bool HasDistributedEncoding(ITypeSymbol type)
    {
        if (type is not INamedTypeSymbol named)
        {
            return false;
        }

        switch (named.SpecialType)
        {
            case SpecialType.System_String:
            case SpecialType.System_Char:
            case SpecialType.System_Boolean:
            case SpecialType.System_SByte:
            case SpecialType.System_Int16:
            case SpecialType.System_Int32:
            case SpecialType.System_Int64:
            case SpecialType.System_Byte:
            case SpecialType.System_UInt16:
            case SpecialType.System_UInt32:
            case SpecialType.System_UInt64:
            case SpecialType.System_Single:
            case SpecialType.System_Double:
            case SpecialType.System_Decimal:
            case SpecialType.System_DateTime:
                return true;
        }

        if (named.TypeKind == TypeKind.Enum)
        {
            return true;
        }

        if (named.IsNamed("System", "Guid") || named.IsNamed("System", "DateTimeOffset") || named.IsNamed("System", "TimeSpan")
            || named.IsNamed("System", "DateOnly") || named.IsNamed("System", "TimeOnly")
            || named.IsNamed("SingleFlight", "Unit"))
        {
            return true;
        }

        if (named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T || named.IsTupleType)
        {
            var elements = named.IsTupleType ? named.TupleElements.Select(static e => e.Type) : named.TypeArguments;
            return elements.All(HasDistributedEncoding);
        }

        return false;
    }
}
