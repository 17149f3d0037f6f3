using System.Collections.Immutable;
using SingleFlight.Generator.Tests;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SingleFlight.Generator.Analyzers;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// The generator tests' broken-input corpus, run through generator and analyzer: the analyzer never throws
/// (no AD0001), and it agrees with the generator: no SF error for a method it implements; the very SF error a stub
/// names (the generator stubs a method the analyzer rejects but whose declaration can be implemented); and an SF error
/// when the generator emits nothing and the compiler has nothing to say.
/// </summary>
public sealed class AnalyzerRobustnessTests
{
    private static readonly Dictionary<string, (string Source, int? Generated)> s_corpus = BrokenInputCorpus.Inputs;

    private static readonly string s_nextFile = BrokenInputCorpus.NextFile;

    public static TheoryData<string> Cases => new(s_corpus.Keys);

    [Fact]
    public void Corpus_is_reachable() => Assert.True(s_corpus.Count >= 30, s_corpus.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Analyzer_survives_and_agrees_with_the_generator(string name)
    {
        var (source, _) = s_corpus[name];
        var compilation = TestCompiler.Create(source.Split(s_nextFile));
        var run = TestCompiler.Run(compilation);

        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new SingleFlightAnalyzer());
        var withAnalyzers = run.Output.WithAnalyzers(analyzers, new AnalyzerOptions([]));
        var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync();

        var crashes = diagnostics.Where(static d => d.Id == "AD0001").ToArray();
        Assert.True(crashes.Length == 0, TestCompiler.Format(crashes));

        if (CountAttributes(source) != 1)
        {
            return;
        }

        // The errors that stop generation (SF0010 does not: the method is generated in-process).
        var sfErrors = diagnostics.Where(static d => d.Id is "SF0001" or "SF0002" or "SF0003" or "SF0004" or "SF0016" or "SF0017").ToArray();
        var stub = run.Sources.Select(static s => s.SourceText.ToString()).FirstOrDefault(static t => t.Contains("[SingleFlight] could not implement", StringComparison.Ordinal));
        if (stub is not null)
        {
            // A stub: the analyzer must report the error it names, and the compiler must have nothing to add.
            var named = stub[(stub.IndexOf("see error ", StringComparison.Ordinal) + "see error ".Length)..][..6];
            Assert.True(sfErrors.Any(d => d.Id == named), $"the stub names {named}, but the analyzer reports: " + TestCompiler.Format(sfErrors));
            var missing = run.Output.GetDiagnostics().Where(static d => d.Id is "CS8795" or "CS0759" or "CS8796").ToArray();
            Assert.True(missing.Length == 0, "the stub did not implement the method: " + TestCompiler.Format(missing));
        }
        else if (run.Sources.Length == 1)
        {
            Assert.True(sfErrors.Length == 0, "generated, yet the analyzer reports: " + TestCompiler.Format(sfErrors));
        }
        else
        {
            // Nothing generated: either the compiler already explains why, or the analyzer must.
            var compilerErrors = compilation.GetDiagnostics()
                .Where(static d => d.Severity == DiagnosticSeverity.Error && d.Id is not ("CS8795" or "CS0759" or "CS8796"))
                .ToArray();
            Assert.True(
                compilerErrors.Length > 0 || sfErrors.Length > 0,
                "nothing generated and nothing reported");
        }
    }

    private static int CountAttributes(string source)
    {
        var count = 0;
        for (var i = source.IndexOf("SingleFlight", StringComparison.Ordinal); i >= 0; i = source.IndexOf("SingleFlight", i + 1, StringComparison.Ordinal))
        {
            var before = source[..i].TrimEnd();
            if (before.EndsWith('[') || before.EndsWith(','))
            {
                count++;
            }
        }

        return count;
    }
}
