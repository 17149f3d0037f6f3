using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SingleFlight.Generator.Analyzers;

namespace SingleFlight.Generator.Roslyn48.Tests;

/// <summary>
/// Compiles user code with the generator in whatever Roslyn this assembly loaded (4.8: see <see cref="RoslynVersionTests"/>).
/// References are the running .NET runtime's own assemblies plus the SingleFlight runtime, so no reference-assembly
/// package (which would need a newer Roslyn) is involved.
/// </summary>
internal static class Roslyn48Compiler
{
    /// <summary>Latest in Roslyn 4.8 is C# 12: the newest language a VS 17.8 / .NET 8 SDK user can have.</summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static ImmutableArray<MetadataReference> References => s_references.Value;

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(static () =>
    {
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var framework = Directory.GetFiles(runtimeDirectory, "*.dll")
            .Where(IsManagedAssembly)
            .OrderBy(static p => p, StringComparer.Ordinal)
            .Select(static p => (MetadataReference)MetadataReference.CreateFromFile(p));
        return [.. framework, MetadataReference.CreateFromFile(typeof(SingleFlightGroup<,>).Assembly.Location)];
    });

    public static readonly CSharpCompilationOptions Options = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        generalDiagnosticOption: ReportDiagnostic.Error,
        warningLevel: 9999,
        deterministic: true,
        // As the SDK does by default (NoWarn CS1701;CS1702).
        specificDiagnosticOptions: new Dictionary<string, ReportDiagnostic>
        {
            ["CS1701"] = ReportDiagnostic.Suppress,
            ["CS1702"] = ReportDiagnostic.Suppress,
        });

    public static CSharpCompilation Create(params string[] sources)
        => CSharpCompilation.Create(
            "UserCode" + Guid.NewGuid().ToString("N"),
            sources.Select(static (text, i) => CSharpSyntaxTree.ParseText(text, ParseOptions, $"Input{i}.cs")),
            References,
            Options);

    public static GeneratorDriver CreateDriver()
        => CSharpGeneratorDriver.Create(
            ImmutableArray.Create(new SingleFlightGenerator().AsSourceGenerator()),
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static Run Generate(Compilation compilation, GeneratorDriver? driver = null)
    {
        driver = (driver ?? CreateDriver()).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new Run(driver, output, driver.GetRunResult().Results.Single(), diagnostics);
    }

    public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Compilation compilation)
    {
        var withAnalyzers = compilation.WithAnalyzers(
            ImmutableArray.Create<DiagnosticAnalyzer>(new SingleFlightAnalyzer()),
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty));
        return await withAnalyzers.GetAnalyzerDiagnosticsAsync();
    }

    /// <summary>Warnings and errors (hidden and info left out).</summary>
    public static Diagnostic[] Problems(Compilation compilation)
        => compilation.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning).ToArray();

    public static string Format(IEnumerable<Diagnostic> diagnostics)
        => string.Join(Environment.NewLine, diagnostics.Take(40).Select(static d => d.ToString()));

    private static bool IsManagedAssembly(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new PEReader(stream);
        try
        {
            return reader.HasMetadata && reader.GetMetadataReader().IsAssembly;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}

internal sealed record Run(GeneratorDriver Driver, Compilation Output, GeneratorRunResult Result, ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    public ImmutableArray<GeneratedSourceResult> Sources => Result.GeneratedSources;
}
