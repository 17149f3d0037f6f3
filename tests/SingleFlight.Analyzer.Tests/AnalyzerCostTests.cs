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

        // Several runs on fresh copies (nothing bound yet): the first pays for JIT and is left out. The driver
        // charges an analyzer for compiler binding that its callback happens to trigger first (the core methods'
        // bodies, declaration diagnostics), and the machine is shared, so single runs vary a lot: the minimum
        // is the analyzer's own cost, the median shows the noise. More runs: SINGLEFLIGHT_COST_RUNS=<n>.
        var times = new List<double>();
        var runs = int.TryParse(Environment.GetEnvironmentVariable("SINGLEFLIGHT_COST_RUNS"), out var n) && n > 1 ? n : 4;
        for (var run = 0; run < runs; run++)
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
                $"run {run}: analyzer execution time {telemetry.ExecutionTime.TotalMilliseconds:F0} ms " +
                $"(GetAnalyzerDiagnosticsAsync wall clock, including the compiler's own binding: {clock.ElapsedMilliseconds} ms)");
            if (run > 0)
            {
                times.Add(telemetry.ExecutionTime.TotalMilliseconds);
            }
        }

        times.Sort();
        output.WriteLine($"{Types * MethodsPerType} annotated methods: analyzer execution time min {times[0]:F0} ms, median {times[times.Count / 2]:F0} ms (runs 1-{runs - 1})");
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
