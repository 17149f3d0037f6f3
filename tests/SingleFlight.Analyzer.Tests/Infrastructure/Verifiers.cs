using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using SingleFlight.Generator.Analyzers;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Analyzer.Tests.Infrastructure;

/// <summary>References and options shared by every test: .NET 10 reference assemblies from a package (no network).</summary>
internal static class TestReferences
{
    /// <summary>No reference-assembly package to download: the references come from Basic.Reference.Assemblies.</summary>
    public static readonly ReferenceAssemblies None = new("net10.0");

    public static readonly ImmutableArray<MetadataReference> All =
    [
        .. Net100.References.All,
        MetadataReference.CreateFromFile(typeof(SingleFlightGroup<,>).Assembly.Location),
    ];

    /// <summary>
    /// <see cref="All"/> plus the SingleFlight.Redis assembly and the assemblies its public surface names: what a
    /// project that uses <c>Distributed = true</c> compiles against. The same set as the generator tests use.
    /// </summary>
    public static ImmutableArray<MetadataReference> Distributed => TestCompiler.DistributedReferences;

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static CSharpCompilationOptions WithNullable(CompilationOptions options)
        => ((CSharpCompilationOptions)options)
            .WithNullableContextOptions(NullableContextOptions.Enable)
            .WithSpecificDiagnosticOptions(options.SpecificDiagnosticOptions
                .SetItem("CS1701", ReportDiagnostic.Suppress)
                .SetItem("CS1702", ReportDiagnostic.Suppress)
                .SetItem("SF0008", ReportDiagnostic.Info));

    public static void Configure(SolutionState state, bool distributed = false)
        => state.AdditionalReferences.AddRange(distributed ? Distributed : All);
}

/// <summary>
/// Runs the analyzer on sources with markup (<c>{|SF0004:idd|}</c>). Compiler diagnostics are not compared:
/// without the generator a partial declaration has no implementation (CS8795); tests that need the
/// generated code use <see cref="Pipeline"/>.
/// </summary>
internal sealed class AnalyzerTest : CSharpAnalyzerTest<SingleFlightAnalyzer, DefaultVerifier>
{
    /// <param name="source">The user code, with diagnostic markup.</param>
    /// <param name="distributed">Reference the SingleFlight.Redis package too (<see cref="TestReferences.Distributed"/>).</param>
    public AnalyzerTest(string source, bool distributed = false)
    {
        ReferenceAssemblies = TestReferences.None;
        TestReferences.Configure(TestState, distributed);
        TestCode = source;
        CompilerDiagnostics = CompilerDiagnostics.None;

        // One id has a descriptor per message (SF0003 for each shape): markup such as {|SF0003:x|} names the id only.
        MarkupOptions = MarkupOptions.UseFirstDescriptor;
    }

    protected override ParseOptions CreateParseOptions() => TestReferences.ParseOptions;

    protected override CompilationOptions CreateCompilationOptions() => TestReferences.WithNullable(base.CreateCompilationOptions());

    public static Task VerifyAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest(source);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>As <see cref="VerifyAsync"/>, in a project that references the SingleFlight.Redis package.</summary>
    public static Task VerifyDistributedAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest(source, distributed: true);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public static DiagnosticResult Diagnostic(string id) => new(id, DiagnosticSeverity.Warning);
}

/// <summary>Runs one code fix: input with markup → expected output; Fix All as configured.</summary>
internal sealed class FixTest<TFix> : CSharpCodeFixTest<SingleFlightAnalyzer, TFix, DefaultVerifier>
    where TFix : CodeFixProvider, new()
{
    /// <param name="source">The user code, with diagnostic markup.</param>
    /// <param name="fixedSource">What the fix makes of it.</param>
    /// <param name="distributed">Reference the SingleFlight.Redis package and the DI abstractions too (<see cref="TestReferences.Distributed"/>).</param>
    public FixTest(string source, string fixedSource, bool distributed = false)
    {
        ReferenceAssemblies = TestReferences.None;
        TestReferences.Configure(TestState, distributed);
        TestReferences.Configure(FixedState, distributed);
        TestCode = source;
        FixedCode = fixedSource;
        CompilerDiagnostics = CompilerDiagnostics.None;
        MarkupOptions = MarkupOptions.UseFirstDescriptor;
    }

    protected override ParseOptions CreateParseOptions() => TestReferences.ParseOptions;

    protected override CompilationOptions CreateCompilationOptions() => TestReferences.WithNullable(base.CreateCompilationOptions());
}

/// <summary>
/// Compiles user code the way a consumer project does: the generator runs, then the analyzer; returns every
/// diagnostic (compiler, generated code and analyzer) of warning severity or above, plus all SF diagnostics.
/// </summary>
internal static class Pipeline
{
    public static CSharpCompilation Compile(params string[] sources) => Compile(TestReferences.All, sources);

    /// <summary>The user code compiled against <paramref name="references"/> (for example <see cref="TestReferences.Distributed"/>).</summary>
    public static CSharpCompilation Compile(IEnumerable<MetadataReference> references, params string[] sources)
        => CSharpCompilation.Create(
            "UserCode",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, TestReferences.ParseOptions, $"Input{i}.cs")),
            references,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                specificDiagnosticOptions: [new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]));

    public static Task<ImmutableArray<Diagnostic>> RunAsync(params string[] sources) => RunAsync(Compile(sources));

    /// <summary>As <see cref="RunAsync(string[])"/>, in a project that references the SingleFlight.Redis package.</summary>
    public static Task<ImmutableArray<Diagnostic>> RunDistributedAsync(params string[] sources) => RunAsync(Compile(TestReferences.Distributed, sources));

    private static async Task<ImmutableArray<Diagnostic>> RunAsync(CSharpCompilation compilation)
    {
        CSharpGeneratorDriver.Create([new SingleFlight.Generator.SingleFlightGenerator().AsSourceGenerator()], parseOptions: TestReferences.ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var withAnalyzers = output.WithAnalyzers([new SingleFlightAnalyzer()], new AnalyzerOptions([]));
        var all = await withAnalyzers.GetAllDiagnosticsAsync();
        return [.. generatorDiagnostics, .. all.Where(static d => d.Severity >= DiagnosticSeverity.Warning || d.Id.StartsWith("SF", StringComparison.Ordinal) || d.Id == "AD0001")];
    }

    public static string Format(IEnumerable<Diagnostic> diagnostics) => string.Join(Environment.NewLine, diagnostics.Select(static d => d.ToString()));
}
