namespace SingleFlight.Generator.Roslyn48.Tests;

/// <summary>The analyzer hosted by Roslyn 4.8's <c>CompilationWithAnalyzers</c>, over the generator's output as in a build.</summary>
public sealed class AnalyzerTests
{
    [Theory]
    [InlineData(nameof(Inputs.MissingCore), "SF0002")]
    [InlineData(nameof(Inputs.NonDeterministicKey), "SF0005")]
    [InlineData(nameof(Inputs.LeaderDisposable), "SF0012")]
    [InlineData(nameof(Inputs.CallerTenant), "SF0013")]
    [InlineData(nameof(Inputs.StreamResult), "SF0014")]
    [InlineData(nameof(Inputs.ListResult), "SF0014")]
    [InlineData(nameof(Inputs.BatchedWithoutBatchCore), "SF0016")]
    public async Task Reports_the_expected_diagnostic(string shape, string id)
    {
        var run = Roslyn48Compiler.Generate(Roslyn48Compiler.Create(GeneratorTests.Source(shape)));
        var diagnostics = await Roslyn48Compiler.AnalyzeAsync(run.Output);

        Assert.DoesNotContain(diagnostics, static d => d.Id == "AD0001");
        var reported = diagnostics.Where(static d => d.Id.StartsWith("SF", StringComparison.Ordinal)).Select(static d => d.Id).ToArray();
        Assert.Equal([id], reported);
    }

    [Theory]
    [MemberData(nameof(GeneratorTests.Shapes), MemberType = typeof(GeneratorTests))]
    public async Task Supported_shapes_report_nothing(string shape)
    {
        var run = Roslyn48Compiler.Generate(Roslyn48Compiler.Create(GeneratorTests.Source(shape)));
        var diagnostics = await Roslyn48Compiler.AnalyzeAsync(run.Output);

        var visible = diagnostics.Where(static d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Info).ToArray();
        Assert.True(visible.Length == 0, Roslyn48Compiler.Format(visible));
    }

    [Fact]
    public async Task Batch_methods_report_nothing()
    {
        var run = Roslyn48Compiler.Generate(Roslyn48Compiler.Create(Inputs.Batch));
        var diagnostics = await Roslyn48Compiler.AnalyzeAsync(run.Output);

        var visible = diagnostics.Where(static d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Info).ToArray();
        Assert.True(visible.Length == 0, Roslyn48Compiler.Format(visible));
    }

    [Fact]
    public async Task Syntax_errors_do_not_crash_the_analyzer()
    {
        var run = Roslyn48Compiler.Generate(Roslyn48Compiler.Create(Inputs.SyntaxErrors));
        var diagnostics = await Roslyn48Compiler.AnalyzeAsync(run.Output);

        Assert.DoesNotContain(diagnostics, static d => d.Id == "AD0001");
    }
}
