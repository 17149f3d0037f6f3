using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SingleFlight.Generator.Parsing;

/// <summary>
/// The named arguments of one <c>[SingleFlight]</c> attribute, read once. Null from <see cref="Read"/> when an argument
/// has an error, is of the wrong kind, or <c>Scope</c> is not a defined value.
/// </summary>
/// <param name="Data">The attribute.</param>
/// <param name="Syntax">The attribute in source, when it is.</param>
/// <param name="KeyFrom"><c>KeyFrom</c>, when set (it may still be empty: the default key).</param>
/// <param name="Scope"><c>Scope</c>.</param>
/// <param name="Distributed"><c>Distributed</c>.</param>
/// <param name="OperationName"><c>OperationName</c> as written, when set.</param>
internal sealed record AttributeArguments(
    AttributeData Data,
    AttributeSyntax? Syntax,
    KeyFromValue? KeyFrom,
    SingleFlightScopeKind Scope,
    bool Distributed,
    string? OperationName)
{
    /// <summary>The <c>[SingleFlight]</c> attribute of <paramref name="method"/>, or null.</summary>
    public static AttributeData? Find(IMethodSymbol method)
    {
        foreach (var attribute in method.GetAttributes())
        {
            if (attribute.AttributeClass.IsNamed("SingleFlight", "SingleFlightAttribute"))
            {
                return attribute;
            }
        }

        return null;
    }

    /// <summary>Reads the attribute of <paramref name="method"/>; null when it is missing or its arguments are not valid.</summary>
    /// <param name="method">The annotated method.</param>
    /// <param name="options">The parse options <c>KeyFrom</c> is parsed with (when it is used).</param>
    public static AttributeArguments? Read(IMethodSymbol method, ParseOptions? options) => Read(method, options, out _);

    /// <summary>
    /// Reads the attribute of <paramref name="method"/>; null when it is missing or its arguments are not valid. With
    /// <paramref name="undefinedScope"/>, the one argument problem the compiler accepts: <c>Scope</c> cast from an
    /// undefined value, when that is the attribute's only problem.
    /// </summary>
    /// <param name="method">The annotated method.</param>
    /// <param name="options">The parse options <c>KeyFrom</c> is parsed with (when it is used).</param>
    /// <param name="undefinedScope">The undefined <c>Scope</c> value that made the arguments invalid, or null.</param>
    public static AttributeArguments? Read(IMethodSymbol method, ParseOptions? options, out int? undefinedScope)
    {
        undefinedScope = null;
        if (Find(method) is not { ConstructorArguments.Length: 0 } data)
        {
            return null;
        }

        var syntax = data.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax;
        KeyFromValue? keyFrom = null;
        var scope = SingleFlightScopeKind.Type;
        var distributed = false;
        string? operationName = null;
        int? undefined = null;
        var valid = true;
        foreach (var pair in data.NamedArguments)
        {
            var value = pair.Value;
            if (value.Kind == TypedConstantKind.Error)
            {
                return null;
            }

            switch (pair.Key)
            {
                case "KeyFrom" when value.Value is null or string:
                    keyFrom = value.Value is string text
                        ? KeyFromValue.Create(text, syntax, options as CSharpParseOptions ?? CSharpParseOptions.Default)
                        : null;
                    break;
                case "Scope" when value.Value is 0 or 1:
                    scope = (SingleFlightScopeKind)(int)value.Value!;
                    break;
                case "Scope" when value.Value is int other:
                    undefined = other;
                    break;
                case "Distributed" when value.Value is bool flag:
                    distributed = flag;
                    break;
                case "OperationName" when value.Value is null or string:
                    operationName = (string?)value.Value;
                    break;
                default:
                    valid = false;
                    break;
            }
        }

        if (!valid || undefined is not null)
        {
            undefinedScope = valid ? undefined : null;
            return null;
        }

        return new AttributeArguments(data, syntax, keyFrom, scope, distributed, operationName);
    }
}
