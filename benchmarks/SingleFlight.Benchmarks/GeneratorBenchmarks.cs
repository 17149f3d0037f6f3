using System;
using System.Linq;
using Basic.Reference.Assemblies;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SingleFlight.Generator;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Benchmarks;

/// <summary>
/// Scenario (f): the source generator over one compilation with 1,000 <c>[SingleFlight]</c> methods (the
/// generator tests' mix of key shapes, <c>ThousandMethods</c>), cold and after an unrelated edit. Each
/// operation checks its own result: 1,000 generated files, and after the edit every tracked step Cached or
/// Unchanged.
/// </summary>
public class GeneratorBenchmarks
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _edited = null!;
    private GeneratorDriver _warmDriver = null!;

    [GlobalSetup]
    public void Setup()
    {
        var sources = ThousandMethods.Sources();
        sources.Add(("Unrelated.cs", "namespace Perf; public static class Unrelated { public static int F(int x) => x * 2; }"));
        _compilation = CSharpCompilation.Create(
            "Perf",
            sources.Select(static s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, s.Path)),
            [.. Net100.References.All, MetadataReference.CreateFromFile(typeof(SingleFlightGroup<,>).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var unrelated = _compilation.SyntaxTrees.Single(static t => t.FilePath == "Unrelated.cs");
        _edited = _compilation.ReplaceSyntaxTree(
            unrelated,
            CSharpSyntaxTree.ParseText(unrelated.ToString().Replace("x * 2", "x + x", StringComparison.Ordinal), ParseOptions, unrelated.FilePath));
        _warmDriver = CreateDriver().RunGenerators(_compilation);
        Check(_warmDriver, cached: false);
    }

    /// <summary>A fresh driver on a fresh copy of the compilation (nothing bound yet): a first build.</summary>
    [Benchmark(Description = "1,000 methods, cold")]
    public GeneratorDriver Cold() => Check(CreateDriver().RunGenerators(_compilation.Clone()), cached: false);

    /// <summary>The driver of a previous run, on the compilation after an edit to another file: an IDE keystroke.</summary>
    [Benchmark(Description = "1,000 methods, after an unrelated edit")]
    public GeneratorDriver AfterUnrelatedEdit() => Check(_warmDriver.RunGenerators(_edited), cached: true);

    private static GeneratorDriver CreateDriver()
        => CSharpGeneratorDriver.Create(
            [new SingleFlightGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    private static GeneratorDriver Check(GeneratorDriver driver, bool cached)
    {
        var result = driver.GetRunResult().Results.Single();
        if (result.Exception is not null || result.GeneratedSources.Length != ThousandMethods.Count)
        {
            throw new InvalidOperationException($"expected {ThousandMethods.Count} generated files, got {result.GeneratedSources.Length}: {result.Exception}");
        }

        if (cached && result.TrackedSteps
                .Where(static s => TrackingNames.All.Contains(s.Key))
                .SelectMany(static s => s.Value)
                .SelectMany(static s => s.Outputs)
                .Any(static o => o.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged)))
        {
            throw new InvalidOperationException("an unrelated edit re-ran a tracked step");
        }

        return driver;
    }
}
