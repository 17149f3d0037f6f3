using System.Collections.Immutable;
using System.Diagnostics;
using SingleFlight.Generator.Tests.Infrastructure;
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
    [Fact]
    public async Task Thousand_methods()
    {
        var compilation = Pipeline.Compile([.. ThousandMethods.Sources(leaveOutAParameter: true).Select(static s => s.Text)]);
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
            Assert.Equal(ThousandMethods.Types, diagnostics.Count(static d => d.Id == "SF0008"));
            Assert.Equal(ThousandMethods.Types, diagnostics.Length);
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
        output.WriteLine($"{ThousandMethods.Count} annotated methods: analyzer execution time min {times[0]:F0} ms, median {times[times.Count / 2]:F0} ms (runs 1-{runs - 1})");
    }
}
