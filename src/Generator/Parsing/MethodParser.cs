using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using SingleFlight.Generator.Diagnostics;

namespace SingleFlight.Generator.Parsing;

/// <summary>
/// Decides whether a <c>[SingleFlight]</c> method can be generated and, if so, binds its key. One parser for the
/// generator and the analyzer: each problem is reported where it is found, through an <see cref="Action{Diagnostic}"/>
/// that the analyzer passes and the generator leaves null, so the two always agree.
/// </summary>
/// <remarks>
/// <para>The rule groups, one file each, run in this order and the first error ends the parse: the attribute's
/// arguments (<see cref="AttributeArguments"/>), the declaration (<c>MethodParser.Declaration.cs</c>: SF0001, SF0003),
/// the shape (<c>.Shape.cs</c>: SF0003), the core method (<c>.CoreMethod.cs</c>: SF0002, SF0003), the key
/// (<c>.Key.cs</c> and <c>.KeyExpression.cs</c>: SF0004), then, for <c>Distributed = true</c>, what a distributed
/// flight needs (<c>.Distributed.cs</c>: SF0010, which does not stop the method from being generated in-process). After
/// the shape, <c>.Batch.cs</c> recognises the batch shapes (SF0003, SF0015–SF0017) and parses those methods itself.</para>
/// <para>Problems the compiler already reports (a declaration that does not bind, a duplicate signature, bad attribute
/// arguments) end the parse without a diagnostic of ours.</para>
/// </remarks>
internal static partial class MethodParser
{
    /// <summary>The attribute's metadata name.</summary>
    public const string AttributeMetadataName = "SingleFlight.SingleFlightAttribute";

    /// <summary>The tool name in the <c>[GeneratedCode]</c> attribute of everything the generator emits.</summary>
    public const string GeneratedCodeToolName = "SingleFlight.Generator";

    /// <summary>
    /// The core method's name for an annotated method: <c>Core</c> inserted before a trailing <c>Async</c>
    /// (<c>GetUserAsync</c> → <c>GetUserCoreAsync</c>), otherwise appended (<c>GetUser</c> → <c>GetUserCore</c>).
    /// </summary>
    public static string GetCoreMethodName(string methodName)
        => methodName.EndsWith("Async", StringComparison.Ordinal)
            ? methodName.Substring(0, methodName.Length - "Async".Length) + "CoreAsync"
            : methodName + "Core";

    /// <summary>
    /// Analyses one annotated method. Never throws for bad user code (only for cancellation).
    /// </summary>
    /// <param name="method">The annotated method symbol.</param>
    /// <param name="declaration">The annotated declaration (the syntax the attribute is on).</param>
    /// <param name="semanticModel">A semantic model of <paramref name="declaration"/>'s tree.</param>
    /// <param name="ignoreGeneratedImplementation">Ignore an implementation part emitted by this generator: the analyzer
    /// runs on the compilation that already contains the generator's output, the generator on the one without it.</param>
    /// <param name="report">Where each problem is reported (the analyzer); null to only decide (the generator).</param>
    /// <param name="error">The id of the first error reported (reported to <paramref name="report"/> or not), or null.</param>
    /// <param name="cancellationToken">Cancels the analysis.</param>
    /// <returns>The method as the generator implements it, or null when it cannot be generated.</returns>
    public static ParsedMethod? Parse(
        IMethodSymbol method,
        MethodDeclarationSyntax declaration,
        SemanticModel semanticModel,
        bool ignoreGeneratedImplementation,
        Action<Diagnostic>? report,
        out string? error,
        CancellationToken cancellationToken)
    {
        var context = new Context(method, declaration, report);
        var parsed = Run(context, semanticModel, ignoreGeneratedImplementation, cancellationToken);
        error = context.Error;
        return parsed;
    }

    private static ParsedMethod? Run(Context context, SemanticModel semanticModel, bool ignoreGeneratedImplementation, CancellationToken ct)
    {
        var attribute = AttributeArguments.Read(context.Method, context.Declaration.SyntaxTree.Options, out var problem);
        if (attribute is null)
        {
            if (problem is not null)
            {
                ReportArgumentProblem(context, problem);
            }

            return null;
        }

        context.Attribute = attribute;
        if (!CheckDeclaration(context, ignoreGeneratedImplementation)
            || CheckShape(context) is not { } shape
            || !CheckScope(context, attribute.Scope))
        {
            return null;
        }

        if (TryParseBatch(context, shape, semanticModel, out var batch))
        {
            return batch;
        }

        if (FindCoreMethod(context, shape, semanticModel.Compilation, ct) is not { } core)
        {
            return null;
        }

        ct.ThrowIfCancellationRequested();
        if (BindKey(context, core, semanticModel, ct) is not { } key)
        {
            return null;
        }

        // A distributed method the registry cannot serve is still generated, as an in-process flight, and SF0010 (an
        // error) says why it is not shared across processes. Generating nothing would bury SF0010 under the compiler's
        // CS8795 in a command-line build, where analyzers do not report once the compilation has errors.
        var distributed = attribute.Distributed && CheckDistributed(context, shape, key, semanticModel.Compilation);
        return new ParsedMethod(context.Method, context.Declaration, attribute, shape, core, key, distributed);
    }

    /// <summary>
    /// Whether the implementation part was written by this generator: its declaration carries
    /// <c>[GeneratedCode("SingleFlight.Generator", ...)]</c>, or it is in a file that this generator added (the
    /// compiler names generated files <c>{assembly}/{generator type}/{hint name}</c>).
    /// </summary>
    public static bool IsGeneratedImplementation(IMethodSymbol implementation)
    {
        foreach (var reference in implementation.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree.FilePath.IndexOf(typeof(SingleFlightGenerator).FullName, StringComparison.Ordinal) >= 0)
            {
                return true;
            }

            if (reference.GetSyntax() is not MethodDeclarationSyntax syntax)
            {
                continue;
            }

            foreach (var attribute in syntax.AttributeLists.SelectMany(static l => l.Attributes))
            {
                var name = attribute.Name.ToString();
                if ((name.EndsWith("GeneratedCode", StringComparison.Ordinal) || name.EndsWith("GeneratedCodeAttribute", StringComparison.Ordinal))
                    && attribute.ArgumentList?.Arguments.FirstOrDefault()?.Expression is LiteralExpressionSyntax literal
                    && literal.Token.ValueText == GeneratedCodeToolName)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// One parse: the method, where its problems are reported, and the id of the first error (which decides whether the
    /// generator writes a stub).
    /// </summary>
    private sealed class Context(IMethodSymbol method, MethodDeclarationSyntax declaration, Action<Diagnostic>? report)
    {
        public IMethodSymbol Method { get; } = method;

        public MethodDeclarationSyntax Declaration { get; } = declaration;

        public string Name => Method.Name;

        public string CoreMethodName { get; } = GetCoreMethodName(method.Name);

        /// <summary>The attribute's arguments, once read.</summary>
        public AttributeArguments Attribute { get; set; } = null!;

        public string? Error { get; private set; }

        public Location NameLocation => Declaration.Identifier.GetLocation();

        /// <summary>The attribute in source, or the method's name.</summary>
        public Location AttributeLocation => Attribute?.Syntax?.GetLocation() ?? NameLocation;

        /// <summary>The containing type as messages name it.</summary>
        public string TypeName => Method.ContainingType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);

        /// <summary>The property every SF0001 and SF0002 carries: the core method's name, for the code fixes.</summary>
        public ImmutableDictionary<string, string?> CoreProperties
            => ImmutableDictionary<string, string?>.Empty.Add(DiagnosticDescriptors.CoreMethodNameProperty, CoreMethodName);

        public void Report(DiagnosticDescriptor descriptor, Location location, params object?[] arguments)
            => Report(descriptor, location, null, null, arguments);

        public void Report(
            DiagnosticDescriptor descriptor,
            Location location,
            IEnumerable<Location>? additionalLocations,
            ImmutableDictionary<string, string?>? properties,
            params object?[] arguments)
        {
            if (descriptor.DefaultSeverity == DiagnosticSeverity.Error)
            {
                Error ??= descriptor.Id;
            }

            report?.Invoke(Diagnostic.Create(descriptor, location, additionalLocations, properties, arguments));
        }

        /// <summary>The parameter's name in the annotated declaration, or the method's name.</summary>
        public Location ParameterLocation(IParameterSymbol? parameter)
        {
            var parameters = Declaration.ParameterList.Parameters;
            return parameter is not null && parameter.Ordinal < parameters.Count ? parameters[parameter.Ordinal].Identifier.GetLocation() : NameLocation;
        }

        /// <summary>A span of the <c>KeyFrom</c> value in source (see <see cref="KeyFromValue.GetLocation"/>).</summary>
        public Location KeyFromLocation(TextSpan? span)
            => Attribute.KeyFrom?.GetLocation(span, AttributeLocation) ?? AttributeLocation;
    }
}
