using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using SingleFlight.Generator.Analyzers;
using SingleFlight.Analyzer.Tests.Infrastructure;
using SingleFlight.Generator.CodeFixes;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// The SF0012 code fix: the caller-owned member becomes a <c>[FromFlightScope]</c> parameter of the core, the type gets an
/// <c>IServiceScopeFactory</c> when it has none, the core becomes static when it no longer needs the instance. Each output
/// is then compiled with the generator and must have no warning and no SF diagnostic left.
/// </summary>
public sealed class FlightScopeCodeFixTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Db = """
        namespace Data
        {
            public sealed class AppDb : System.IDisposable
            {
                public void Dispose() { }
                public System.Threading.Tasks.Task<string?> FindAsync(int id, System.Threading.CancellationToken cancellationToken) => System.Threading.Tasks.Task.FromResult<string?>("u" + id);
                public int Count(int id) => id;
            }

            public sealed class AuditDb : System.IDisposable
            {
                public void Dispose() { }
                public int Count(string action) => action.Length;
            }

            public interface ILog { void Write(string text); }
        }

        """;

    private const string Header = """
        using System.Threading;
        using System.Threading.Tasks;
        using Data;
        using SingleFlight;

        namespace Users;

        """;

    private static DiagnosticResult SF0012(int use, int method) => new DiagnosticResult("SF0012", DiagnosticSeverity.Warning).WithLocation(use).WithLocation(method);

    private static async Task FixAndCompileAsync(string source, string fixedSource, DiagnosticResult[] expected, int fixAllIterations = 0)
    {
        var test = new FixTest<UseFlightScopeCodeFixProvider>(Header + source, fixedSource, distributed: true);
        test.TestState.Sources.Add(("Db.cs", Db));
        test.FixedState.Sources.Add(("Db.cs", Db));
        test.ExpectedDiagnostics.AddRange(expected);
        if (fixAllIterations > 0)
        {
            test.NumberOfIncrementalIterations = fixAllIterations;
            test.NumberOfFixAllIterations = 1;
        }

        await test.RunAsync();

        var diagnostics = await Pipeline.RunDistributedAsync(fixedSource, Db);
        Assert.True(diagnostics.IsEmpty, Pipeline.Format(diagnostics));
    }

    [Fact]
    public Task SF0012_turns_the_readme_shape_before_flights_owned_their_resources_into_the_readme_shape() => FixAndCompileAsync(
        """
        public sealed partial class UserRepository(AppDb db)
        {
            [SingleFlight(KeyFrom = "id")]
            public partial Task<string?> {|#1:GetUserAsync|}(int id, CancellationToken cancellationToken = default);

            private async Task<string?> GetUserCoreAsync(int id, CancellationToken cancellationToken)
                => await {|#0:db|}.FindAsync(id, cancellationToken);
        }
        """,
        """
        using System.Threading;
        using System.Threading.Tasks;
        using Data;
        using Microsoft.Extensions.DependencyInjection;
        using SingleFlight;

        namespace Users;
        public sealed partial class UserRepository(IServiceScopeFactory scopes)
        {
            [SingleFlight(KeyFrom = "id")]
            public partial Task<string?> GetUserAsync(int id, CancellationToken cancellationToken = default);

            private static async Task<string?> GetUserCoreAsync(int id, [FromFlightScope] AppDb db, CancellationToken cancellationToken)
                => await db.FindAsync(id, cancellationToken);
        }
        """,
        [SF0012(0, 1)]);

    [Fact]
    public Task SF0012_with_a_field_and_a_constructor_adds_a_scope_factory_field_and_keeps_an_instance_core_that_still_needs_the_instance() => FixAndCompileAsync(
        """
        public sealed partial class Repo
        {
            private readonly AppDb _db;
            private readonly ILog _log;

            public Repo(AppDb db, ILog log) => (_db, _log) = (db, log);

            [SingleFlight]
            public partial int {|#1:Count|}(int id);

            private int CountCore(int id)
            {
                _log.Write("count");
                return {|#0:this._db|}.Count(id) + _db.Count(id);
            }

            public int Direct(int id) => _db.Count(id);
        }
        """,
        """
        using System.Threading;
        using System.Threading.Tasks;
        using Data;
        using Microsoft.Extensions.DependencyInjection;
        using SingleFlight;

        namespace Users;
        public sealed partial class Repo
        {
            private readonly IServiceScopeFactory _scopes;
            private readonly AppDb _db;
            private readonly ILog _log;

            public Repo(AppDb db, ILog log, IServiceScopeFactory scopes)
            {
                (_db, _log) = (db, log);
                _scopes = scopes;
            }

            [SingleFlight]
            public partial int Count(int id);

            private int CountCore(int id, [FromFlightScope] AppDb db)
            {
                _log.Write("count");
                return db.Count(id) + db.Count(id);
            }

            public int Direct(int id) => _db.Count(id);
        }
        """,
        [SF0012(0, 1)]);

    [Fact]
    public Task SF0012_with_a_scope_factory_already_there_only_changes_the_core_and_drops_the_unread_parameter() => FixAndCompileAsync(
        """
        using Microsoft.Extensions.DependencyInjection;

        public sealed partial class History(IServiceScopeFactory scopes, AuditDb audit)
        {
            [SingleFlight]
            public partial Task<int> {|#1:GetAsync|}(int customerId, CancellationToken cancellationToken = default);

            private async Task<int> GetCoreAsync(int customerId, [FromFlightScope] AppDb db, CancellationToken cancellationToken)
                => (await db.FindAsync(customerId, cancellationToken))!.Length + {|#0:audit|}.Count("order");
        }
        """,
        """
        using System.Threading;
        using System.Threading.Tasks;
        using Data;
        using SingleFlight;

        namespace Users;
        using Microsoft.Extensions.DependencyInjection;

        public sealed partial class History(IServiceScopeFactory scopes)
        {
            [SingleFlight]
            public partial Task<int> GetAsync(int customerId, CancellationToken cancellationToken = default);

            private static async Task<int> GetCoreAsync(int customerId, [FromFlightScope] AppDb db, [FromFlightScope] AuditDb audit, CancellationToken cancellationToken)
                => (await db.FindAsync(customerId, cancellationToken))!.Length + audit.Count("order");
        }
        """,
        [SF0012(0, 1)]);

    [Fact]
    public Task SF0012_fix_all_gives_one_type_one_scope_factory_and_each_core_its_parameters() => FixAndCompileAsync(
        """
        public sealed partial class Reports(AppDb db, AuditDb audit)
        {
            [SingleFlight]
            public partial int {|#1:Count|}(int id);

            private int CountCore(int id) => {|#0:db|}.Count(id) + {|#2:audit|}.Count("count");

            [SingleFlight]
            public partial Task<string?> {|#4:FindAsync|}(int id, CancellationToken cancellationToken = default);

            private Task<string?> FindCoreAsync(int id, CancellationToken cancellationToken) => {|#3:db|}.FindAsync(id, cancellationToken);
        }
        """,
        """
        using System.Threading;
        using System.Threading.Tasks;
        using Data;
        using Microsoft.Extensions.DependencyInjection;
        using SingleFlight;

        namespace Users;
        public sealed partial class Reports(IServiceScopeFactory scopes)
        {
            [SingleFlight]
            public partial int Count(int id);

            private static int CountCore(int id, [FromFlightScope] AppDb db, [FromFlightScope] AuditDb audit) => db.Count(id) + audit.Count("count");

            [SingleFlight]
            public partial Task<string?> FindAsync(int id, CancellationToken cancellationToken = default);

            private static Task<string?> FindCoreAsync(int id, [FromFlightScope] AppDb db, CancellationToken cancellationToken) => db.FindAsync(id, cancellationToken);
        }
        """,
        [SF0012(0, 1), SF0012(2, 1), SF0012(3, 4)],
        fixAllIterations: 3);

    [Fact]
    public async Task SF0012_across_the_files_of_a_partial_type_edits_each_and_adds_the_usings_each_needs()
    {
        var declaration = Header + """
            public sealed partial class Reviews
            {
                private readonly AppDb _db;

                public Reviews(AppDb db) => _db = db;

                [SingleFlight]
                public partial int {|#1:Count|}(int id);
            }
            """;
        var queries = """
            namespace Users;

            public sealed partial class Reviews
            {
                private int CountCore(int id) => {|#0:_db|}.Count(id);
            }
            """;
        var fixedDeclaration = """
            using System.Threading;
            using System.Threading.Tasks;
            using Data;
            using Microsoft.Extensions.DependencyInjection;
            using SingleFlight;

            namespace Users;
            public sealed partial class Reviews
            {
                private readonly IServiceScopeFactory _scopes;
                private readonly AppDb _db;

                public Reviews(AppDb db, IServiceScopeFactory scopes)
                {
                    _db = db;
                    _scopes = scopes;
                }

                [SingleFlight]
                public partial int Count(int id);
            }
            """;
        var fixedQueries = """
            using Data;
            using SingleFlight;

            namespace Users;

            public sealed partial class Reviews
            {
                private static int CountCore(int id, [FromFlightScope] AppDb db) => db.Count(id);
            }
            """;
        var test = new FixTest<UseFlightScopeCodeFixProvider>(declaration, fixedDeclaration, distributed: true);
        test.TestState.Sources.Add(("Queries.cs", queries));
        test.TestState.Sources.Add(("Db.cs", Db));
        test.FixedState.Sources.Add(("Queries.cs", fixedQueries));
        test.FixedState.Sources.Add(("Db.cs", Db));
        test.ExpectedDiagnostics.Add(new DiagnosticResult("SF0012", DiagnosticSeverity.Warning).WithLocation("Queries.cs", 5, 38).WithLocation(1));
        await test.RunAsync();

        var diagnostics = await Pipeline.RunDistributedAsync(fixedDeclaration, fixedQueries, Db);
        Assert.True(diagnostics.IsEmpty, Pipeline.Format(diagnostics));
    }

    [Fact]
    public async Task SF0012_no_fix_through_a_helper_or_without_a_constructor_to_take_the_scope_factory()
    {
        var source = Header + """
            public sealed partial class Segments(AppDb db)
            {
                [SingleFlight]
                public partial int {|#1:Count|}(int id);

                // The member is used in the helper, which the fix would have to change too: no fix.
                private int CountCore(int id) => {|#0:Helper(id)|};

                private int Helper(int id) => {|#2:db|}.Count(id);
            }

            public sealed partial class Reader
            {
                // No IServiceScopeFactory, no primary constructor, no constructor: nowhere to take one from.
                public required AppDb Db { get; init; }

                [SingleFlight]
                public partial int {|#4:Count|}(int id);

                private int CountCore(int id) => {|#3:Db|}.Count(id);
            }
            """;
        var test = new FixTest<UseFlightScopeCodeFixProvider>(source, source, distributed: true);
        test.TestState.Sources.Add(("Db.cs", Db));
        test.FixedState.Sources.Add(("Db.cs", Db));
        test.ExpectedDiagnostics.Add(new DiagnosticResult("SF0012", DiagnosticSeverity.Warning).WithLocation(0).WithLocation(1).WithLocation(2));
        test.ExpectedDiagnostics.Add(SF0012(3, 4));
        test.FixedState.ExpectedDiagnostics.Add(new DiagnosticResult("SF0012", DiagnosticSeverity.Warning).WithLocation(0).WithLocation(1).WithLocation(2));
        test.FixedState.ExpectedDiagnostics.Add(SF0012(3, 4));
        await test.RunAsync();
    }

    /// <summary>
    /// Every SF0012 of the realistic-services corpus fixed at once: the fixed corpus compiles with the generator without an
    /// error or a warning, and the only SF0012s left are the ones the fix is not offered for, each for its documented reason.
    /// </summary>
    [Fact]
    public async Task SF0012_fix_on_the_whole_realistic_services_corpus_compiles_and_leaves_only_the_documented_exceptions()
    {
        using var workspace = new AdhocWorkspace();
        var project = workspace.AddProject(ProjectInfo.Create(
            ProjectId.CreateNewId(),
            VersionStamp.Default,
            "RealisticServices",
            "RealisticServices",
            LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                warningLevel: 9999,
                specificDiagnosticOptions: [new("CS1701", ReportDiagnostic.Suppress), new("CS1702", ReportDiagnostic.Suppress)]),
            parseOptions: TestReferences.ParseOptions,
            metadataReferences: TestReferences.Distributed));
        foreach (var (path, text) in CorpusExpectations.LoadFiles("RealisticServices"))
        {
            project = project.AddDocument(path, text, filePath: path).Project;
        }

        var before = await AnalyzeAsync(project);
        var items = new List<(Document, Diagnostic)>();
        var notFixable = new List<string>();
        foreach (var diagnostic in before.Where(static d => d.Id == "SF0012"))
        {
            var document = project.GetDocument(diagnostic.Location.SourceTree)!;
            if (await UseFlightScopeCodeFixProvider.IsFixableAsync(document, diagnostic, CancellationToken.None))
            {
                items.Add((document, diagnostic));
            }
            else
            {
                notFixable.Add(Where(diagnostic));
            }
        }

        // Through a helper (the fix would have to change the helper too); an IServiceScope, which no container hands out;
        // a type with no constructor to take an IServiceScopeFactory from.
        Assert.Equal(
            ["Customers/CustomerSegmentService.cs db", "Data/SharedConnectionReader.cs Connection", "Inventory/WarehouseScopeService.cs _scope"],
            notFixable.Order(StringComparer.Ordinal));

        // The fix, then the clean-up a code action gets in the IDE (simplify and format what the fix annotated).
        var fixedSolution = await UseFlightScopeCodeFixProvider.ApplyAsync(project.Solution, items, CancellationToken.None);
        foreach (var id in fixedSolution.GetChanges(project.Solution).GetProjectChanges().SelectMany(static c => c.GetChangedDocuments()).ToList())
        {
            var document = fixedSolution.GetDocument(id)!;
            document = await Microsoft.CodeAnalysis.Simplification.Simplifier.ReduceAsync(document, Microsoft.CodeAnalysis.Simplification.Simplifier.Annotation);
            document = await Microsoft.CodeAnalysis.Formatting.Formatter.FormatAsync(document, Microsoft.CodeAnalysis.Formatting.Formatter.Annotation);
            fixedSolution = document.Project.Solution;
            output.WriteLine($"---- {document.Name}");
            output.WriteLine((await document.GetTextAsync()).ToString());
        }

        var fixedProject = fixedSolution.GetProject(project.Id)!;

        // Compiled as a consumer builds it: the generator, then every warning of the compiler and the analyzer.
        var compilation = (CSharpCompilation)(await fixedProject.GetCompilationAsync())!;
        CSharpGeneratorDriver.Create([new SingleFlight.Generator.SingleFlightGenerator().AsSourceGenerator()], parseOptions: TestReferences.ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        var problems = generated.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, Pipeline.Format(problems));

        var after = await generated.WithAnalyzers([new SingleFlightAnalyzer()], new AnalyzerOptions([])).GetAnalyzerDiagnosticsAsync();
        Assert.Equal(notFixable.Order(StringComparer.Ordinal), after.Where(static d => d.Id == "SF0012").Select(Where).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(after, static d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.Id is not ("SF0012" or "SF0013" or "SF0014")));
        Assert.Equal(before.Count(static d => d.Id == "SF0013"), after.Count(static d => d.Id == "SF0013"));
        Assert.Equal(before.Count(static d => d.Id == "SF0014"), after.Count(static d => d.Id == "SF0014"));

        static string Where(Diagnostic diagnostic)
            => diagnostic.Location.SourceTree!.FilePath + " " + diagnostic.Properties[Generator.Diagnostics.DiagnosticDescriptors.MemberNameProperty];

        static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Project project)
            => await (await project.GetCompilationAsync())!.WithAnalyzers([new SingleFlightAnalyzer()], new AnalyzerOptions([])).GetAnalyzerDiagnosticsAsync();
    }
}
