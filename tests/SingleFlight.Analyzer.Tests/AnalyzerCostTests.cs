using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SingleFlight.Analyzer.Tests.Infrastructure;
using SingleFlight.Generator.Analyzers;
using Xunit.Abstractions;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// The analyzer's cost on 1,000 annotated methods (the generator's measurement compilation: the same mix of
/// shapes), as reported by the analyzer driver (<c>logAnalyzerExecutionTime</c>). A measurement printed to
/// the test log, not a timed assertion. See it with
/// <c>dotnet test tests/SingleFlight.Analyzer.Tests --filter "FullyQualifiedName~AnalyzerCostTests" --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class AnalyzerCostTests(ITestOutputHelper output)
{
    private const int Types = 50;
    private const int MethodsPerType = 20;

    [Fact]
    public async Task Thousand_methods()
    {
        var compilation = Pipeline.Compile([.. Enumerable.Range(0, Types).Select(TypeSource)]);
        CSharpGeneratorDriver.Create([new SingleFlight.Generator.SingleFlightGenerator().AsSourceGenerator()], parseOptions: TestReferences.ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var withGenerated, out _);

        // Twice on fresh copies: the first run pays for JIT; the second is what a build pays per compilation.
        for (var run = 1; run <= 2; run++)
        {
            var analyzer = new SingleFlightAnalyzer();
            var options = new CompilationWithAnalyzersOptions(
                new AnalyzerOptions([]),
                onAnalyzerException: null,
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: true);
            var withAnalyzers = withGenerated.Clone().WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(analyzer), options);

            var clock = Stopwatch.StartNew();
            var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync();
            clock.Stop();
            var telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None);

            // Proof that every type was analysed: its first method leaves a parameter out of the key (SF0008).
            Assert.Equal(Types, diagnostics.Count(static d => d.Id == "SF0008"));
            Assert.Equal(Types, diagnostics.Length);
            Assert.Equal(1, telemetry.SymbolActionsCount);
            output.WriteLine(
                $"run {run}: analyzer execution time {telemetry.ExecutionTime.TotalMilliseconds:F0} ms for {Types * MethodsPerType} annotated methods " +
                $"(GetAnalyzerDiagnosticsAsync wall clock, including the compiler's own binding: {clock.ElapsedMilliseconds} ms)");
        }
    }

    private static string TypeSource(int type)
    {
        var builder = new StringBuilder();
        builder.AppendLine("using System.Globalization;");
        builder.AppendLine("using System.Threading;");
        builder.AppendLine("using System.Threading.Tasks;");
        builder.AppendLine("using SingleFlight;");
        builder.AppendLine("namespace Perf;");
        builder.AppendLine($"public sealed partial class Service{type}");
        builder.AppendLine("{");
        for (var m = 0; m < MethodsPerType; m++)
        {
            // The generator measurement's mix: a parameter key (resolved from symbols), a default key, a key with
            // a method call (bound speculatively), a static default key with a token.
            switch (m % 4)
            {
                case 0 when m == 0:
                    builder.AppendLine($"    [SingleFlight(KeyFrom = \"id\")] public partial Task<string> Get{m}Async(int id, string note, CancellationToken cancellationToken = default);");
                    builder.AppendLine($"    private Task<string> Get{m}CoreAsync(int id, string note, CancellationToken cancellationToken) => Task.FromResult(note + id);");
                    break;
                case 0:
                    builder.AppendLine($"    [SingleFlight(KeyFrom = \"id\")] public partial Task<string> Get{m}Async(int id, CancellationToken cancellationToken = default);");
                    builder.AppendLine($"    private Task<string> Get{m}CoreAsync(int id, CancellationToken cancellationToken) => Task.FromResult(\"\" + id);");
                    break;
                case 1:
                    builder.AppendLine($"    [SingleFlight] public partial ValueTask<int> Get{m}Async(string tenant, int id);");
                    builder.AppendLine($"    private ValueTask<int> Get{m}CoreAsync(string tenant, int id) => new(id);");
                    break;
                case 2:
                    builder.AppendLine($"    [SingleFlight(KeyFrom = \"tenant, id.ToString(CultureInfo.InvariantCulture)\")] public partial string Get{m}(string tenant, int id);");
                    builder.AppendLine($"    private string Get{m}Core(string tenant, int id) => tenant;");
                    break;
                default:
                    builder.AppendLine($"    [SingleFlight] public static partial Task Run{m}Async(int id, CancellationToken cancellationToken);");
                    builder.AppendLine($"    private static Task Run{m}CoreAsync(int id, CancellationToken cancellationToken) => Task.CompletedTask;");
                    break;
            }
        }

        builder.AppendLine("}");
        return builder.ToString();
    }
}
