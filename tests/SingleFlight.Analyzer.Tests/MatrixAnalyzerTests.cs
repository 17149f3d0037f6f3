using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using SingleFlight.Generator.Analyzers;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// The generator tests' matrix of supported shapes (tests/SingleFlight.Generator.Tests/Inputs/Matrix): valid code
/// that the generator implements, so the analyzer must raise no error or warning on it (but SF0013 where a struct or
/// record's core reads its own value without keying on it); and deterministic
/// mutations of it (characters and tokens deleted, inserted, lines duplicated) that must never make the
/// analyzer throw (AD0001).
/// </summary>
public sealed class MatrixAnalyzerTests
{
    private static readonly string s_matrix = TestPaths.Inputs("Matrix");

    private static readonly (string Name, string Text)[] s_inputs = Directory.GetFiles(s_matrix, "*.cs")
        .OrderBy(static p => p, StringComparer.Ordinal)
        .Select(static p => (Path.GetFileName(p), File.ReadAllText(p)))
        .ToArray();

    private static readonly string[] s_tokens = ["(", ")", "{", "}", ";", ",", "?", ".", "partial", "static", "async", "ref ", "out ", "this", "<", ">", "\"", "\\\"", "=", "+", "$", "Core", "Async", "Task", "int", "string", "CancellationToken", "[NotKey]", "KeyFrom", "Scope", "DateTime.Now", "new object()"];

    public static TheoryData<int> Seeds => new(Enumerable.Range(0, 60));

    [Fact]
    public async Task Supported_shapes_get_no_error_or_warning()
    {
        var diagnostics = await AnalyzeAsync(s_inputs);
        Assert.Contains(diagnostics, static d => d.Id == "SF0008");  // the matrix leaves some parameters out on purpose

        // The record, record struct and struct shapes read their own value in the core without keying on it: two
        // instances with different values share a flight (new Person("ann") and new Person("bob") for one id), which is
        // what SF0013 says. Every other supported shape gets no warning.
        var valueData = diagnostics.Where(static d => d.Id == "SF0013").Select(static d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal).ToArray();
        Assert.Collection(
            valueData,
            static m => Assert.StartsWith("'DescribeCoreAsync' reads property 'X' of type 'int', which is part of the value of the record struct 'Point'", m, StringComparison.Ordinal),
            static m => Assert.StartsWith("'GreetCoreAsync' reads property 'Name' of type 'string', which is part of the value of the record 'Person'", m, StringComparison.Ordinal),
            static m => Assert.StartsWith("'NextCoreAsync' reads field 'Start' of type 'int', which is part of the value of the struct 'Counter'", m, StringComparison.Ordinal),
            static m => Assert.StartsWith("'ReadCoreAsync' reads property 'Value' of type 'int', which is part of the value of the struct 'Frozen'", m, StringComparison.Ordinal));
        var problems = diagnostics.Where(static d => d.Severity >= DiagnosticSeverity.Warning && d.Id != "SF0013").ToArray();
        Assert.True(problems.Length == 0, TestCompiler.Format(problems));
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Mutated_matrix_never_crashes_the_analyzer(int seed)
    {
        var random = new Random(seed);
        var targets = s_inputs.Where(static i => i.Name != "Harness.cs").ToArray();
        var (name, text) = targets[seed % targets.Length];
        for (var edits = random.Next(1, 4); edits > 0; edits--)
        {
            text = SourceMutator.Mutate(text, random, s_tokens);
        }

        var sources = s_inputs.Where(i => i.Name is "Harness.cs" || i.Name == name).Select(i => i.Name == name ? (i.Name, text) : i);
        var diagnostics = await AnalyzeAsync(sources);
        var crashes = diagnostics.Where(static d => d.Id == "AD0001").ToArray();
        Assert.True(crashes.Length == 0, $"seed {seed}: {TestCompiler.Format(crashes)}\n--- input ---\n{text}");
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(IEnumerable<(string Name, string Text)> sources)
    {
        var compilation = TestCompiler.Create(sources);
        var run = TestCompiler.Run(compilation);
        var withAnalyzers = run.Output.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new SingleFlightAnalyzer()), new AnalyzerOptions([]));
        return await withAnalyzers.GetAnalyzerDiagnosticsAsync();
    }
}
