using Microsoft.CodeAnalysis;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// Broken and unusual inputs. For each: the generator does not throw (no CS8785), reports nothing, and the
/// files it adds contain no error or warning of their own. Where the outcome is certain, the number of
/// generated files is checked too (0: the method is skipped; 1: it is generated, or stubbed when the analyzer reports
/// an error on it but the declaration can still be implemented).
/// </summary>
public sealed class RobustnessTests
{
    private static readonly Dictionary<string, (string Source, int? Generated)> s_corpus = BrokenInputCorpus.Inputs;

    private const string NextFile = BrokenInputCorpus.NextFile;

    public static TheoryData<string> Cases => new(s_corpus.Keys);

    [Fact]
    public void Corpus_has_at_least_thirty_inputs() => Assert.True(s_corpus.Count >= 30);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generator_survives(string name)
    {
        var (source, expected) = s_corpus[name];
        var compilation = TestCompiler.Create(source.Split(NextFile));
        var run = TestCompiler.Run(compilation);

        Assert.Null(run.Exception);
        Assert.True(run.GeneratorDiagnostics.IsEmpty, TestCompiler.Format(run.GeneratorDiagnostics));

        var ours = TestCompiler.ProblemsInGeneratedCode(compilation, run.Output);
        Assert.True(ours.Length == 0, "generated code has problems of its own:\n" + TestCompiler.Format(ours) + "\n" + string.Join("\n", run.Sources.Select(static s => s.SourceText.ToString())));

        if (expected is { } count)
        {
            Assert.Equal(count, run.Sources.Length);
        }
    }
}

/// <summary>Projects that build XML documentation (CS1591 etc. as errors) get no warnings from generated code.</summary>
public sealed class DocumentationModeTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Generated_code_adds_no_documentation_warnings(bool documented)
    {
        var doc = documented ? "/// <summary>Gets it.</summary>\n    /// <param name=\"id\">The id.</param>\n    /// <returns>The value.</returns>\n    " : string.Empty;
        var source = $$"""
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Docs;

            /// <summary>A documented type.</summary>
            public partial class Service
            {
                {{doc}}[SingleFlight]
                public partial Task<int> GetAsync(int id);

                private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            }
            """;
        var options = TestCompiler.ParseOptions.WithDocumentationMode(Microsoft.CodeAnalysis.DocumentationMode.Diagnose);
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create(
            "Docs",
            [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(source, options, "Docs.cs")],
            TestCompiler.References,
            TestCompiler.Options);
        var driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(
            [new SingleFlightGenerator().AsSourceGenerator()], parseOptions: options);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);

        Assert.Single(output.SyntaxTrees.Except(compilation.SyntaxTrees));
        var ours = TestCompiler.ProblemsInGeneratedCode(compilation, output);
        Assert.True(ours.Length == 0, TestCompiler.Format(ours));
    }
}
