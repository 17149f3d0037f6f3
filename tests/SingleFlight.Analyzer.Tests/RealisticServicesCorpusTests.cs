using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SingleFlight.Analyzer.Tests.Infrastructure;
using SingleFlight.Generator.Analyzers;
using Xunit.Abstractions;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// <c>Corpus/RealisticServices</c>: services written the way ASP.NET Core and worker apps write them (EF Core
/// repositories, typed and factory-made HTTP clients, caching decorators, MediatR-style handlers, options, loggers,
/// clocks, Dapper, multi-tenant and per-request state), each with <c>[SingleFlight]</c> methods labelled with what
/// the user should be told about the instance state their cores use (SF0012: a caller-owned disposable; SF0013:
/// caller-specific state not in the key) and about the results they share (SF0014: disposable, single-consumer, deferred
/// or mutable). The corpus on which those diagnostics' noise is measured: it must be valid input (it compiles clean with
/// the generator, every method is generated and labelled, the other rules raise no warning on it), and SF0012, SF0013 and
/// SF0014 must agree with its labels (the numbers are in docs/diagnostics/SF0012.md, SF0013.md and SF0014.md).
/// </summary>
public sealed class RealisticServicesCorpusTests(ITestOutputHelper output)
{
    private const string Corpus = "RealisticServices";

    [Fact]
    public async Task Realistic_services_corpus_compiles_clean_every_method_is_generated_and_labelled()
    {
        var (trees, labels, analyzed) = await AnalyzeAsync();

        // The other rules: no warning, no error, no analyzer crash (SF0012, SF0013 and SF0014 are measured below).
        var loud = analyzed.Where(static d => (d.Severity >= DiagnosticSeverity.Warning && !CorpusExpectations.LabelledIds.Contains(d.Id)) || d.Id == "AD0001").ToList();
        Assert.True(loud.Count == 0, Pipeline.Format(loud));

        output.WriteLine($"{trees.Length} files, {labels.Expectations.Length} [SingleFlight] methods");
        foreach (var group in labels.Expectations.GroupBy(static e => e.ExpectedIds.IsEmpty ? "none" : string.Join(' ', e.ExpectedIds)).OrderBy(static g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  expect: {group.Key,-13} {group.Count()}");
        }

        foreach (var info in analyzed.GroupBy(static d => d.Id).OrderBy(static g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {info.Key} ({info.First().Severity}): {info.Count()}");
        }

        Assert.True(trees.Length >= 40, $"{trees.Length} files in the corpus");
    }

    /// <summary>
    /// The labelled ids that SF0012, SF0013 and SF0014 do not report, each with the reason (docs/diagnostics/SF0012.md,
    /// SF0013.md and SF0014.md, "Measured noise"). Everything else must agree with its label: no false positive at all.
    /// </summary>
    private static readonly Dictionary<string, string> s_allowedFalseNegatives = new(StringComparer.Ordinal)
    {
        // A public settable property that middleware sets per request. Nothing in the type writes it, and a public
        // setter alone is how a singleton's configuration property looks too (the package consumer's ConfigService
        // reads one in its core): SF0013 reports mutable state only when a member of the type writes it.
        ["Contoso.Shop.Identity.RequestCultureService.GetPriceLabelAsync SF0013"] = "public setter written only from outside the type",

        // A deferred query held in a local before it is returned: SF0014 reads the returned expression only.
        ["Contoso.Shop.Results.CustomerListService.GetNewestAsync SF0014"] = "deferred query returned through a local",
    };

    /// <summary>
    /// The noise of SF0012, SF0013 and SF0014, measured on the corpus: per id, the methods where the label and the analyzer agree
    /// that it applies (true positives), where the analyzer reports it against a label without it (false positives), and
    /// where a label has it and the analyzer is silent (false negatives). No false positive is allowed; the false
    /// negatives are exactly <see cref="s_allowedFalseNegatives"/>.
    /// </summary>
    [Fact]
    public async Task SF0012_SF0013_and_SF0014_agree_with_the_corpus_labels()
    {
        var (_, labels, analyzed) = await AnalyzeAsync();
        var verdicts = CorpusExpectations.Compare(labels.Expectations, analyzed, CorpusExpectations.LabelledIds, out var unattributed);
        Assert.True(unattributed.IsEmpty, Pipeline.Format(unattributed));

        output.WriteLine($"{verdicts.Length} [SingleFlight] methods");
        foreach (var id in CorpusExpectations.LabelledIds)
        {
            var truePositives = verdicts.Count(v => v.Expectation.ExpectedIds.Contains(id) && v.ActualIds.Contains(id));
            var falsePositives = verdicts.Where(v => v.FalsePositives.Contains(id)).ToList();
            var falseNegatives = verdicts.Where(v => v.FalseNegatives.Contains(id)).ToList();
            output.WriteLine($"{id}: labelled {verdicts.Count(v => v.Expectation.ExpectedIds.Contains(id))}, true positives {truePositives}, false positives {falsePositives.Count}, false negatives {falseNegatives.Count}");
            foreach (var verdict in falsePositives)
            {
                output.WriteLine($"  false positive: {verdict}");
            }

            foreach (var verdict in falseNegatives)
            {
                output.WriteLine($"  false negative: {verdict}");
            }
        }

        foreach (var diagnostic in analyzed.Where(static d => CorpusExpectations.LabelledIds.Contains(d.Id)).OrderBy(static d => d.Location.SourceTree!.FilePath, StringComparer.Ordinal))
        {
            output.WriteLine($"  {diagnostic.Location.SourceTree!.FilePath}:{diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1} {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        var wrong = verdicts.Where(static v => v.FalsePositives.Any()).ToList();
        Assert.True(wrong.Count == 0, "false positives:" + Environment.NewLine + string.Join(Environment.NewLine, wrong));
        var missed = verdicts
            .SelectMany(static v => v.FalseNegatives.Select(id => $"{v.Expectation.TypeName}.{v.Expectation.MethodName} {id}"))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(s_allowedFalseNegatives.Keys.Order(StringComparer.Ordinal), missed);
    }

    /// <summary>The corpus, checked to be valid input, with the generated code, and the analyzer's diagnostics on it.</summary>
    private static async Task<(ImmutableArray<SyntaxTree> Trees, CorpusLabels Labels, ImmutableArray<Diagnostic> Analyzed)> AnalyzeAsync()
    {
        var trees = CorpusExpectations.Parse(Corpus);
        // Every [SingleFlight] method has exactly one well-formed label, right above it; no label is left over.
        var labels = CorpusExpectations.Read(trees);
        Assert.True(labels.Problems.IsEmpty, string.Join(Environment.NewLine, labels.Problems));

        // The syntactic reading found every method the compiler sees as [SingleFlight].
        var compilation = CSharpCompilation.Create("RealisticServices", trees, TestReferences.Distributed, Options);
        var annotated = trees
            .SelectMany(tree =>
            {
                var model = compilation.GetSemanticModel(tree);
                return tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().Select(m => model.GetDeclaredSymbol(m));
            })
            .Where(static m => m!.GetAttributes().Any(static a => a.AttributeClass?.ToDisplayString() == "SingleFlight.SingleFlightAttribute"))
            .ToList();
        Assert.Equal(annotated.Count, labels.Expectations.Length);

        // Valid C#: with the generated code, no error and no warning (nullable on, every warning wave).
        CSharpGeneratorDriver.Create([new SingleFlight.Generator.SingleFlightGenerator().AsSourceGenerator()], parseOptions: TestReferences.ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        var problems = generated.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, Pipeline.Format(problems.Take(40)));

        // One generated file per [SingleFlight] method (hint name: Namespace.Type.Method.<hash>.g.cs).
        var hints = generated.SyntaxTrees.Except(compilation.SyntaxTrees).Select(static t => Path.GetFileName(t.FilePath)).ToList();
        Assert.Equal(labels.Expectations.Length, hints.Count);
        foreach (var expectation in labels.Expectations)
        {
            var prefix = expectation.TypeName + "." + expectation.MethodName + ".";
            Assert.True(hints.Count(h => h.StartsWith(prefix, StringComparison.Ordinal)) == 1, $"no (or several) generated file for {expectation}");
            Assert.False(expectation.Cores.IsEmpty, $"no core method {expectation.CoreMethodName} next to {expectation}");
        }

        var analyzed = await generated.WithAnalyzers([new SingleFlightAnalyzer()], new AnalyzerOptions([])).GetAnalyzerDiagnosticsAsync();
        return (trees, labels, analyzed);
    }

    [Fact]
    public void Corpus_expectations_attribute_a_diagnostic_on_a_declaration_or_in_a_core_to_its_method()
    {
        var trees = CorpusExpectations.Parse(Corpus);
        var byFile = trees.ToDictionary(static t => t.FilePath);
        var expectations = CorpusExpectations.Read(trees).Expectations;

        // What a perfect rule would report: SF0012 inside the core (in whichever file the core is), SF0013 and SF0014 on
        // the declaration; plus one SF0012 on a line that belongs to no [SingleFlight] method.
        var reported = new List<Diagnostic>();
        foreach (var e in expectations)
        {
            if (e.ExpectedIds.Contains("SF0012"))
            {
                var core = e.Cores[0];
                reported.Add(Create("SF0012", byFile[core.File], new(core.Span.Start + 1, 1)));
            }

            if (e.ExpectedIds.Contains("SF0013"))
            {
                reported.Add(Create("SF0013", byFile[e.File], new(e.Declaration.Start, 1)));
            }

            if (e.ExpectedIds.Contains("SF0014"))
            {
                reported.Add(Create("SF0014", byFile[e.File], new(e.Declaration.End - 1, 1)));
            }
        }

        var stray = Create("SF0012", byFile["_Domain.cs"], new(0, 1));
        reported.Add(stray);
        reported.Add(Create("SF0008", byFile[expectations[0].File], new(expectations[0].Declaration.Start, 1)));

        var verdicts = CorpusExpectations.Compare(expectations, reported, CorpusExpectations.LabelledIds, out var unattributed);
        Assert.All(verdicts, static v => Assert.True(v.Agrees, v.ToString()));
        Assert.Same(stray, Assert.Single(unattributed));
        Assert.Contains(expectations, static e => e.Cores.Any(c => c.File != e.File));

        // And a rule that reports nothing misses every labelled id.
        var silent = CorpusExpectations.Compare(expectations, [], CorpusExpectations.LabelledIds, out _);
        Assert.Equal(expectations.Sum(static e => e.ExpectedIds.Length), silent.Sum(static v => v.FalseNegatives.Count()));

        static Diagnostic Create(string id, SyntaxTree tree, Microsoft.CodeAnalysis.Text.TextSpan span)
            => Diagnostic.Create(new DiagnosticDescriptor(id, id, id, "Test", DiagnosticSeverity.Warning, isEnabledByDefault: true), Location.Create(tree, span));
    }

    /// <summary>A strict consumer project: Nullable enabled, every warning wave; the SDK's default NoWarn.</summary>
    private static readonly CSharpCompilationOptions Options = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        warningLevel: 9999,
        deterministic: true,
        specificDiagnosticOptions: [new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]);
}
