using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SingleFlight.Generator.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// Generates 1,000 annotated methods and prints how long it took: a measurement, not a timed test (it asserts
/// only what was generated and that the re-run after an unrelated edit is fully cached). See the numbers with
/// <c>dotnet test tests/SingleFlight.Generator.Tests --filter "FullyQualifiedName~PerformanceTests" --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class PerformanceTests(ITestOutputHelper output)
{
    // SINGLEFLIGHT_PERF_SHAPE=0..3 measures one shape only (see TypeSource); unset: a mix of all four.
    private static readonly int? s_shape = int.TryParse(Environment.GetEnvironmentVariable("SINGLEFLIGHT_PERF_SHAPE"), out var shape) ? shape : null;

    [Fact]
    public void Thousand_methods_cold_and_after_an_unrelated_edit()
    {
        var sources = ThousandMethods.Sources(s_shape);
        sources.Add(("Unrelated.cs", "namespace Perf; public static class Unrelated { public static int F(int x) => x * 2; }"));
        var compilation = TestCompiler.Create(sources);

        // First run in this process (includes JIT of the generator and of Roslyn's binder if no other test
        // ran them), then a cold run: a fresh driver on a fresh copy of the compilation (no symbols bound yet),
        // with the code already compiled.
        var first = Measure.Start();
        var run = TestCompiler.Run(compilation);
        first.Stop();
        Assert.Equal(ThousandMethods.Count, run.Sources.Length);

        var cold = Measure.Start();
        var coldRun = TestCompiler.Run(compilation.Clone());
        cold.Stop();
        Assert.Equal(ThousandMethods.Count, coldRun.Sources.Length);

        var unrelated = compilation.SyntaxTrees.Single(static t => t.FilePath == "Unrelated.cs");
        var edited = compilation.ReplaceSyntaxTree(
            unrelated,
            CSharpSyntaxTree.ParseText(unrelated.ToString().Replace("x * 2", "x + x", StringComparison.Ordinal), TestCompiler.ParseOptions, unrelated.FilePath));
        var rerun = Measure.Start();
        var warmRun = TestCompiler.Run(edited, coldRun.Driver);
        rerun.Stop();

        var reasons = warmRun.Result.Results.Single().TrackedSteps
            .Where(static s => TrackingNames.All.Contains(s.Key))
            .SelectMany(static s => s.Value).SelectMany(static s => s.Outputs).Select(static o => o.Reason).ToArray();
        Assert.Equal(ThousandMethods.Count, reasons.Count(static r => r == IncrementalStepRunReason.Cached || r == IncrementalStepRunReason.Unchanged) / TrackingNames.All.Length);
        Assert.All(reasons, static r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

        // Wall time and the process's CPU time: on a shared machine the CPU time is the steadier figure.
        output.WriteLine($"1,000 methods (shape {s_shape?.ToString() ?? "mix"}): first run {first}, cold run (fresh driver and compilation) {cold}, re-run after unrelated edit {rerun}");
    }

    private sealed class Measure
    {
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private readonly TimeSpan _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        private TimeSpan _cpu;

        public static Measure Start() => new();

        public void Stop()
        {
            _wall.Stop();
            _cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpuStart;
        }

        public override string ToString() => $"{_wall.ElapsedMilliseconds} ms wall / {(long)_cpu.TotalMilliseconds} ms CPU";
    }
}
