using System.Collections.Immutable;
using SingleFlight.Generator.Tests;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using SingleFlight.Analyzer.Tests.Infrastructure;
using SingleFlight.Generator.Analyzers;
using SingleFlight.Generator.CodeFixes;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// Every code fix offered on the generator tests' broken-input corpus is computed and applied, as an IDE would
/// when showing its preview: none throws, and none adds a syntax error.
/// </summary>
public sealed class CodeFixRobustnessTests
{
    private static readonly ImmutableArray<CodeFixProvider> s_fixes =
    [
        new MakePartialCodeFixProvider(),
        new AddCoreMethodCodeFixProvider(),
        new UseClosestParameterNameCodeFixProvider(),
        new UseTupleKeyCodeFixProvider(),
        new UseFlightScopeCodeFixProvider(),
        new ReadOnlyResultCodeFixProvider(),
    ];

    private static readonly Dictionary<string, (string Source, int? Generated)> s_corpus = BrokenInputCorpus.Inputs;

    private static readonly string s_nextFile = BrokenInputCorpus.NextFile;

    public static TheoryData<string> Cases => new(s_corpus.Keys);

    [Fact]
    public async Task Fixes_are_offered_somewhere_in_the_corpus()
    {
        var offered = 0;
        foreach (var name in s_corpus.Keys)
        {
            offered += await ApplyEveryFixAsync(s_corpus[name].Source);
        }

        Assert.True(offered >= 5, offered.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Fixes_never_throw_nor_add_syntax_errors(string name)
        => await ApplyEveryFixAsync(s_corpus[name].Source);

    private static async Task<int> ApplyEveryFixAsync(string source)
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Default,
            "User",
            "User",
            LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: TestReferences.ParseOptions,
            metadataReferences: TestReferences.All));
        var files = source.Split(s_nextFile);
        for (var i = 0; i < files.Length; i++)
        {
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), $"File{i}.cs", files[i]);
        }

        var project = solution.GetProject(projectId)!;
        var compilation = (await project.GetCompilationAsync())!;
        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new SingleFlightAnalyzer()), new AnalyzerOptions([]))
            .GetAnalyzerDiagnosticsAsync();

        var applied = 0;
        foreach (var diagnostic in diagnostics)
        {
            var document = project.GetDocument(diagnostic.Location.SourceTree);
            if (document is null)
            {
                continue;
            }

            foreach (var fix in s_fixes.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                var actions = new List<CodeAction>();
                await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
                foreach (var action in actions)
                {
                    var operations = await action.GetOperationsAsync(CancellationToken.None);
                    var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution.GetDocument(document.Id)!;
                    var before = (await document.GetSyntaxTreeAsync())!.GetDiagnostics().Count(static d => d.Severity == DiagnosticSeverity.Error);
                    var after = (await changed.GetSyntaxTreeAsync())!.GetDiagnostics().Count(static d => d.Severity == DiagnosticSeverity.Error);
                    Assert.True(after <= before, $"{action.Title} added syntax errors:\n{await changed.GetTextAsync()}");
                    applied++;
                }
            }
        }

        return applied;
    }
}
