using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SingleFlight.Generator.Tests.Infrastructure;

/// <summary>
/// Compiles user code with the generator the way a strict consumer project would: Nullable enabled, every
/// warning an error, .NET 10 reference assemblies from a package (no network), and the SingleFlight runtime.
/// </summary>
internal static class TestCompiler
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static readonly ImmutableArray<MetadataReference> References =
    [
        .. Net100.References.All,
        MetadataReference.CreateFromFile(typeof(SingleFlightGroup<,>).Assembly.Location),
    ];

    /// <summary>
    /// <see cref="References"/> plus the SingleFlight.Redis package's assembly and what its public surface names
    /// (StackExchange.Redis, the DI and hosting abstractions): what a project with <c>Distributed = true</c> compiles against.
    /// </summary>
    /// <remarks>Loaded on first use: only test projects that reference SingleFlight.Redis have these files.</remarks>
    public static ImmutableArray<MetadataReference> DistributedReferences => s_distributedReferences.Value;

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_distributedReferences = new(static () =>
    [
        .. References,
        .. new[] { "SingleFlight.Redis", "StackExchange.Redis", "Microsoft.Extensions.DependencyInjection.Abstractions", "Microsoft.Extensions.Hosting.Abstractions" }
            .Select(static name => MetadataReference.CreateFromFile(Path.Combine(AppContext.BaseDirectory, name + ".dll"))),
    ]);

    public static readonly CSharpCompilationOptions Options = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        generalDiagnosticOption: ReportDiagnostic.Error,
        warningLevel: 9999,
        deterministic: true,
        // The SDK suppresses these two by default (NoWarn CS1701;CS1702): the runtime is built for net8.0.
        specificDiagnosticOptions: [new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]);

    public static CSharpCompilation Create(params string[] sources)
        => Create(sources.Select((text, i) => ($"Input{i}.cs", text)));

    public static CSharpCompilation Create(IEnumerable<(string Path, string Text)> sources, string assemblyName = "UserCode")
        => Create(sources, References, assemblyName);

    /// <summary>A compilation that references the SingleFlight.Redis package too (<see cref="DistributedReferences"/>).</summary>
    public static CSharpCompilation CreateDistributed(params string[] sources)
        => Create(sources.Select((text, i) => ($"Input{i}.cs", text)), DistributedReferences);

    public static CSharpCompilation Create(IEnumerable<(string Path, string Text)> sources, IEnumerable<MetadataReference> references, string assemblyName = "UserCode")
        => CSharpCompilation.Create(
            assemblyName,
            sources.Select(static s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, s.Path)),
            references,
            Options);

    public static GeneratorDriver CreateDriver()
        => CSharpGeneratorDriver.Create(
            [new SingleFlightGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns the output compilation and the run result.</summary>
    public static GeneratorRun Run(Compilation compilation, GeneratorDriver? driver = null)
    {
        driver = (driver ?? CreateDriver()).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        return new GeneratorRun(driver, output, driver.GetRunResult(), generatorDiagnostics);
    }

    /// <summary>Warnings and errors of a compilation (hidden and info diagnostics left out).</summary>
    public static ImmutableArray<Diagnostic> Problems(Compilation compilation)
        => compilation.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();

    /// <summary>
    /// Warnings and errors located in the trees the generator added to <paramref name="input"/>: problems the
    /// generated code has of its own.
    /// </summary>
    public static Diagnostic[] ProblemsInGeneratedCode(Compilation input, Compilation output)
    {
        var generated = output.SyntaxTrees.Except(input.SyntaxTrees).ToHashSet();
        return output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Contains(tree))
            .ToArray();
    }

    /// <summary>
    /// Emits <paramref name="compilation"/>, loads it into a collectible load context, hands the assembly to
    /// <paramref name="use"/>, and unloads it afterwards. Fails the test if the emit fails.
    /// </summary>
    public static async Task WithLoadedAssembly(Compilation compilation, string name, Func<System.Reflection.Assembly, Task> use)
    {
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, Format(emit.Diagnostics));
        stream.Position = 0;
        var context = new System.Runtime.Loader.AssemblyLoadContext(name, isCollectible: true);
        try
        {
            await use(context.LoadFromStream(stream));
        }
        finally
        {
            context.Unload();
        }
    }

    public static string Format(IEnumerable<Diagnostic> diagnostics)
        => string.Join(Environment.NewLine, diagnostics.Take(40).Select(static d => d.ToString()));
}

internal sealed record GeneratorRun(
    GeneratorDriver Driver,
    Compilation Output,
    GeneratorDriverRunResult Result,
    ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    public ImmutableArray<GeneratedSourceResult> Sources => Result.Results.Single().GeneratedSources;

    public Exception? Exception => Result.Results.Single().Exception;
}
