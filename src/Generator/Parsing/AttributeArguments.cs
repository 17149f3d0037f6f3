using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SingleFlight.Generator.Diagnostics;

namespace SingleFlight.Generator.Parsing;

/// <summary>
/// The named arguments of one <c>[SingleFlight]</c> attribute, read once. Null from <see cref="Read"/> when an argument
/// has an error, is of the wrong kind, or has a value SF0003 refuses (see <see cref="ArgumentProblem"/>).
/// </summary>
/// <param name="Data">The attribute.</param>
/// <param name="Syntax">The attribute in source, when it is.</param>
/// <param name="KeyFrom"><c>KeyFrom</c>, when set (it may still be empty: the default key).</param>
/// <param name="Scope"><c>Scope</c>.</param>
/// <param name="Distributed"><c>Distributed</c>.</param>
/// <param name="OperationName"><c>OperationName</c> as written, when set.</param>
/// <param name="DeadlineMilliseconds"><c>DeadlineMilliseconds</c>: positive, or 0 when not set.</param>
/// <param name="ShareForMilliseconds"><c>ShareForMilliseconds</c>: positive, or 0 when not set.</param>
/// <param name="BatchWindowMilliseconds"><c>BatchWindowMilliseconds</c>: positive, or 0 when not set.</param>
/// <param name="MaxBatchSize"><c>MaxBatchSize</c>: positive, or 0 when not set.</param>
internal sealed record AttributeArguments(
    AttributeData Data,
    AttributeSyntax? Syntax,
    KeyFromValue? KeyFrom,
    SingleFlightScopeKind Scope,
    bool Distributed,
    string? OperationName,
    int DeadlineMilliseconds,
    int ShareForMilliseconds,
    int BatchWindowMilliseconds = 0,
    int MaxBatchSize = 0)
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
    /// <paramref name="problem"/>, the argument problem that the compiler accepts and SF0003 reports, when that is the
    /// attribute's only problem: <c>Scope</c> cast from an undefined value, an option of zero or fewer milliseconds, or a
    /// share window on a distributed method.
    /// </summary>
    /// <param name="method">The annotated method.</param>
    /// <param name="options">The parse options <c>KeyFrom</c> is parsed with (when it is used).</param>
    /// <param name="problem">The problem that made the arguments invalid, or null.</param>
    public static AttributeArguments? Read(IMethodSymbol method, ParseOptions? options, out ArgumentProblem? problem)
    {
        problem = null;
        if (Find(method) is not { ConstructorArguments.Length: 0 } data)
        {
            return null;
        }

        var syntax = data.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax;
        KeyFromValue? keyFrom = null;
        var scope = SingleFlightScopeKind.Type;
        var distributed = false;
        string? operationName = null;
        var deadline = 0;
        var shareFor = 0;
        var batchWindow = 0;
        var maxBatchSize = 0;
        ArgumentProblem? found = null;
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
                    found ??= new ArgumentProblem(DiagnosticDescriptors.UndefinedScope, "Scope", other, Stub: false);
                    break;
                case "Distributed" when value.Value is bool flag:
                    distributed = flag;
                    break;
                case "OperationName" when value.Value is null or string:
                    operationName = (string?)value.Value;
                    break;
                case "DeadlineMilliseconds" when value.Value is int milliseconds:
                    deadline = milliseconds;
                    if (milliseconds <= 0)
                    {
                        found ??= new ArgumentProblem(DiagnosticDescriptors.NonPositiveDeadline, "DeadlineMilliseconds", milliseconds, Stub: true);
                    }

                    break;
                case "ShareForMilliseconds" when value.Value is int milliseconds:
                    shareFor = milliseconds;
                    if (milliseconds <= 0)
                    {
                        found ??= new ArgumentProblem(DiagnosticDescriptors.NonPositiveShareWindow, "ShareForMilliseconds", milliseconds, Stub: true);
                    }

                    break;
                case "BatchWindowMilliseconds" when value.Value is int milliseconds:
                    batchWindow = milliseconds;
                    if (milliseconds <= 0)
                    {
                        found ??= new ArgumentProblem(DiagnosticDescriptors.NonPositiveBatchWindow, "BatchWindowMilliseconds", milliseconds, Stub: true);
                    }

                    break;
                case "MaxBatchSize" when value.Value is int size:
                    maxBatchSize = size;
                    if (size < 0)
                    {
                        found ??= new ArgumentProblem(DiagnosticDescriptors.NegativeMaxBatchSize, "MaxBatchSize", size, Stub: true);
                    }

                    break;
                default:
                    valid = false;
                    break;
            }
        }

        if (valid && found is null && distributed && shareFor > 0)
        {
            found = new ArgumentProblem(DiagnosticDescriptors.ShareWindowOnDistributed, "ShareForMilliseconds", null, Stub: true);
        }

        if (!valid || found is not null)
        {
            problem = valid ? found : null;
            return null;
        }

        return new AttributeArguments(data, syntax, keyFrom, scope, distributed, operationName, deadline, shareFor, batchWindow, maxBatchSize);
    }
}

/// <summary>An argument of <c>[SingleFlight]</c> that the compiler accepts but the generator refuses (SF0003).</summary>
/// <param name="Descriptor">What to report.</param>
/// <param name="Argument">The named argument, where the diagnostic goes.</param>
/// <param name="Value">The value to show in the message after the method's name, or null when the message has none.</param>
/// <param name="Stub">Whether the generator still writes a stub that throws (the checks that make a repeated signature
/// safe run after the arguments; an undefined <c>Scope</c> is refused before them).</param>
internal sealed record ArgumentProblem(DiagnosticDescriptor Descriptor, string Argument, object? Value, bool Stub);
