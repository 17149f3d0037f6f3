using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using SingleFlight.Analyzer.Tests.Infrastructure;
using SingleFlight.Generator.Analyzers;
using SingleFlight.Generator.CodeFixes;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// The SF0014 code fix on a mutable collection result: the read-only type in the declaration and in the core (which must
/// keep matching it, or SF0002 fires), the <c>Task&lt;&gt;</c>/<c>ValueTask&lt;&gt;</c> wrapper, nullable annotations and type
/// arguments kept; a core that returns its task without <c>async</c> names the new type or becomes <c>async</c>. Each output
/// is then compiled with the generator and must have no warning and no SF diagnostic left (no SF0002, no SF0014).
/// </summary>
public sealed class UnsafeResultCodeFixTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Header = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Users;

        public sealed record Product(int Id, string Name);

        """;

    /// <summary>The note at markup <c>#declaration</c>, with the core's type at <c>#core</c> as its additional location.</summary>
    private static DiagnosticResult SF0014(int declaration = 0, int core = 1)
        => new DiagnosticResult("SF0014", DiagnosticSeverity.Info).WithLocation(declaration).WithLocation(core);

    private static async Task FixAndCompileAsync(string source, string fixedSource, DiagnosticResult[] expected, int fixAllIterations = 0, string header = Header)
    {
        var test = new FixTest<ReadOnlyResultCodeFixProvider>(header + source, header + fixedSource);
        test.ExpectedDiagnostics.AddRange(expected);
        if (fixAllIterations > 0)
        {
            test.NumberOfIncrementalIterations = fixAllIterations;
            test.NumberOfFixAllIterations = 1;
        }

        await test.RunAsync();

        var diagnostics = await Pipeline.RunAsync(header + fixedSource);
        Assert.True(diagnostics.IsEmpty, Pipeline.Format(diagnostics));
    }

    [Fact]
    public Task A_list_becomes_IReadOnlyList_in_the_declaration_and_the_async_core() => FixAndCompileAsync(
        """
        public sealed partial class ProductRepository
        {
            [SingleFlight]
            public partial Task<{|#0:List<Product>|}> GetByCategoryAsync(int categoryId, CancellationToken cancellationToken = default);

            private async Task<{|#1:List<Product>|}> GetByCategoryCoreAsync(int categoryId, CancellationToken cancellationToken)
            {
                await Task.Delay(1, cancellationToken);
                var products = new List<Product> { new(categoryId, "a") };
                return products;
            }
        }
        """,
        """
        public sealed partial class ProductRepository
        {
            [SingleFlight]
            public partial Task<IReadOnlyList<Product>> GetByCategoryAsync(int categoryId, CancellationToken cancellationToken = default);

            private async Task<IReadOnlyList<Product>> GetByCategoryCoreAsync(int categoryId, CancellationToken cancellationToken)
            {
                await Task.Delay(1, cancellationToken);
                var products = new List<Product> { new(categoryId, "a") };
                return products;
            }
        }
        """,
        [SF0014()]);

    [Fact]
    public Task A_core_that_returns_Task_FromResult_names_the_new_type() => FixAndCompileAsync(
        """
        public sealed partial class Catalog
        {
            [SingleFlight]
            public partial Task<{|#0:Product[]|}> GetPageAsync(int page);

            private Task<{|#1:Product[]|}> GetPageCoreAsync(int page)
            {
                if (page < 0)
                {
                    return Task.FromResult(Array.Empty<Product>());
                }

                return Task.FromResult<Product[]>([new(page, "a")]);
            }
        }
        """,
        """
        public sealed partial class Catalog
        {
            [SingleFlight]
            public partial Task<IReadOnlyList<Product>> GetPageAsync(int page);

            private Task<IReadOnlyList<Product>> GetPageCoreAsync(int page)
            {
                if (page < 0)
                {
                    return Task.FromResult<IReadOnlyList<Product>>(Array.Empty<Product>());
                }

                return Task.FromResult<IReadOnlyList<Product>>([new(page, "a")]);
            }
        }
        """,
        [SF0014()]);

    [Fact]
    public Task A_core_that_returns_another_task_becomes_async_and_awaits_it() => FixAndCompileAsync(
        """
        public sealed partial class Catalog
        {
            [SingleFlight]
            public partial Task<{|#0:List<Product>|}> GetAllAsync(int id);

            private Task<{|#1:List<Product>|}> GetAllCoreAsync(int id) => id > 0 ? LoadAsync(id) : Task.FromResult(new List<Product>());

            private static Task<List<Product>> LoadAsync(int id) => Task.FromResult(new List<Product> { new(id, "a") });
        }
        """,
        """
        public sealed partial class Catalog
        {
            [SingleFlight]
            public partial Task<IReadOnlyList<Product>> GetAllAsync(int id);

            private async Task<IReadOnlyList<Product>> GetAllCoreAsync(int id) => await (id > 0 ? LoadAsync(id) : Task.FromResult(new List<Product>()));

            private static Task<List<Product>> LoadAsync(int id) => Task.FromResult(new List<Product> { new(id, "a") });
        }
        """,
        [SF0014()]);

    [Fact]
    public Task A_core_without_modifiers_that_returns_a_task_becomes_async() => FixAndCompileAsync(
        """
        public sealed partial class Catalog
        {
            [SingleFlight]
            public partial Task<{|#0:List<Product>|}> GetAllAsync(int id);

            {|#1:List<Product>|} Ignored() => [];

            Task<{|#2:List<Product>|}> GetAllCoreAsync(int id)
            {
                _ = Ignored();
                return LoadAsync(id);
            }

            private static Task<List<Product>> LoadAsync(int id) => Task.FromResult(new List<Product> { new(id, "a") });
        }
        """.Replace("{|#1:List<Product>|} Ignored", "List<Product> Ignored"),
        """
        public sealed partial class Catalog
        {
            [SingleFlight]
            public partial Task<IReadOnlyList<Product>> GetAllAsync(int id);

            List<Product> Ignored() => [];

            async Task<IReadOnlyList<Product>> GetAllCoreAsync(int id)
            {
                _ = Ignored();
                return await LoadAsync(id);
            }

            private static Task<List<Product>> LoadAsync(int id) => Task.FromResult(new List<Product> { new(id, "a") });
        }
        """,
        [SF0014(0, 2)]);

    [Fact]
    public Task Nullable_annotations_and_nested_type_arguments_are_kept_in_a_ValueTask() => FixAndCompileAsync(
        """
        public sealed partial class Tags
        {
            [SingleFlight]
            public partial ValueTask<{|#0:Dictionary<string, List<int>?>|}?> GetAsync(string name);

            private ValueTask<{|#1:Dictionary<string, List<int>?>|}?> GetCoreAsync(string name)
                => new ValueTask<Dictionary<string, List<int>?>?>(new Dictionary<string, List<int>?> { [name] = null });
        }
        """,
        """
        public sealed partial class Tags
        {
            [SingleFlight]
            public partial ValueTask<IReadOnlyDictionary<string, List<int>?>?> GetAsync(string name);

            private ValueTask<IReadOnlyDictionary<string, List<int>?>?> GetCoreAsync(string name)
                => new ValueTask<IReadOnlyDictionary<string, List<int>?>?>(new Dictionary<string, List<int>?> { [name] = null });
        }
        """,
        [SF0014()]);

    [Fact]
    public Task Blocking_methods_sets_and_bytes_get_their_own_read_only_types() => FixAndCompileAsync(
        """
        public static partial class Lookups
        {
            [SingleFlight]
            public static partial {|#0:HashSet<string>|} Countries(string region);

            private static {|#1:HashSet<string>|} CountriesCore(string region) => new(StringComparer.Ordinal) { region };

            [SingleFlight]
            public static partial ValueTask<{|#2:byte[]|}> LogoAsync(string name);

            private static async ValueTask<{|#3:byte[]|}> LogoCoreAsync(string name)
            {
                await Task.Yield();
                return [1, 2, 3];
            }
        }
        """,
        """
        public static partial class Lookups
        {
            [SingleFlight]
            public static partial IReadOnlySet<string> Countries(string region);

            private static IReadOnlySet<string> CountriesCore(string region) => new HashSet<string>(StringComparer.Ordinal) { region };

            [SingleFlight]
            public static partial ValueTask<ReadOnlyMemory<byte>> LogoAsync(string name);

            private static async ValueTask<ReadOnlyMemory<byte>> LogoCoreAsync(string name)
            {
                await Task.Yield();
                return new byte[] { 1, 2, 3 };
            }
        }
        """,
        [SF0014(0, 1), SF0014(2, 3)],
        fixAllIterations: 2);

    [Fact]
    public Task Each_collection_in_a_tuple_is_changed_and_Fix_All_changes_a_core_once() => FixAndCompileAsync(
        """
        public sealed partial class Reports
        {
            [SingleFlight]
            public partial Task<({|#0:List<Product>|} Items, int Total, {|#1:string[]|} Warnings)> GetAsync(int page);

            private Task<({|#2:List<Product>|} Items, int Total, {|#3:string[]|} Warnings)> GetCoreAsync(int page)
                => Task.FromResult((new List<Product>(), page, Array.Empty<string>()));

            [SingleFlight]
            public partial Task<{|#4:IList<Product>|}> GetListAsync(int page);

            private async Task<{|#5:IList<Product>|}> GetListCoreAsync(int page)
            {
                await Task.Yield();
                return new List<Product>();
            }
        }
        """,
        """
        public sealed partial class Reports
        {
            [SingleFlight]
            public partial Task<(IReadOnlyList<Product> Items, int Total, IReadOnlyList<string> Warnings)> GetAsync(int page);

            private Task<(IReadOnlyList<Product> Items, int Total, IReadOnlyList<string> Warnings)> GetCoreAsync(int page)
                => Task.FromResult<(IReadOnlyList<Product> Items, int Total, IReadOnlyList<string> Warnings)>((new List<Product>(), page, Array.Empty<string>()));

            [SingleFlight]
            public partial Task<IReadOnlyList<Product>> GetListAsync(int page);

            private async Task<IReadOnlyList<Product>> GetListCoreAsync(int page)
            {
                await Task.Yield();
                return new List<Product>();
            }
        }
        """,
        [SF0014(0, 2), SF0014(1, 3), SF0014(4, 5)],
        fixAllIterations: 3);

    [Fact]
    public async Task A_core_in_another_file_is_changed_there_and_a_missing_using_is_added()
    {
        const string Declaration = """
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Users;

            public sealed partial class Prices
            {
                [SingleFlight]
                public partial Task<{|#0:System.Collections.Generic.List<decimal>|}> GetAsync(int id);
            }
            """;
        const string Core = """
            using System.Threading.Tasks;

            namespace Users;

            public sealed partial class Prices
            {
                private async Task<{|#1:System.Collections.Generic.List<decimal>|}> GetCoreAsync(int id)
                {
                    await Task.Yield();
                    return [id];
                }
            }
            """;
        const string FixedDeclaration = """
            using System.Collections.Generic;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Users;

            public sealed partial class Prices
            {
                [SingleFlight]
                public partial Task<IReadOnlyList<decimal>> GetAsync(int id);
            }
            """;
        const string FixedCore = """
            using System.Collections.Generic;
            using System.Threading.Tasks;

            namespace Users;

            public sealed partial class Prices
            {
                private async Task<IReadOnlyList<decimal>> GetCoreAsync(int id)
                {
                    await Task.Yield();
                    return [id];
                }
            }
            """;
        var test = new FixTest<ReadOnlyResultCodeFixProvider>(Declaration, FixedDeclaration);
        test.TestState.Sources.Add(("Core.cs", Core));
        test.FixedState.Sources.Add(("Core.cs", FixedCore));
        test.ExpectedDiagnostics.Add(SF0014());
        await test.RunAsync();

        var diagnostics = await Pipeline.RunAsync(FixedDeclaration, FixedCore);
        Assert.True(diagnostics.IsEmpty, Pipeline.Format(diagnostics));
    }

    [Fact]
    public Task A_type_derived_from_a_collection_becomes_the_read_only_type_of_its_base() => FixAndCompileAsync(
        """
        public sealed class ProductList : List<Product> { }

        public sealed partial class Catalog
        {
            [SingleFlight]
            public partial {|#0:ProductList|} GetAll(int id);

            private {|#1:ProductList|} GetAllCore(int id) => [new(id, "a")];
        }
        """,
        """
        public sealed class ProductList : List<Product> { }

        public sealed partial class Catalog
        {
            [SingleFlight]
            public partial IReadOnlyList<Product> GetAll(int id);

            private IReadOnlyList<Product> GetAllCore(int id) => [new(id, "a")];
        }
        """,
        [SF0014()]);

    [Fact]
    public async Task Not_offered_when_the_method_implements_an_interface_or_overrides()
    {
        // Changing the return type would break the contract: the note stays, with no additional location and no fix.
        var source = Header + """
            public interface ICatalog { Task<List<Product>> GetAllAsync(int id); }

            public abstract class CatalogBase { public abstract Task<Product[]> GetPageAsync(int page); }

            public sealed partial class Catalog : CatalogBase, ICatalog
            {
                [SingleFlight]
                public partial Task<{|#0:List<Product>|}> GetAllAsync(int id);
                private Task<List<Product>> GetAllCoreAsync(int id) => Task.FromResult(new List<Product>());

                [SingleFlight]
                public override partial Task<{|#1:Product[]|}> GetPageAsync(int page);
                private Task<Product[]> GetPageCoreAsync(int page) => Task.FromResult(Array.Empty<Product>());
            }
            """;
        var test = new FixTest<ReadOnlyResultCodeFixProvider>(source, source);
        test.ExpectedDiagnostics.Add(new DiagnosticResult("SF0014", DiagnosticSeverity.Info).WithLocation(0));
        test.ExpectedDiagnostics.Add(new DiagnosticResult("SF0014", DiagnosticSeverity.Info).WithLocation(1));
        await test.RunAsync();
    }

    [Fact]
    public async Task Not_offered_for_warnings_or_collections_without_a_read_only_interface()
    {
        var source = Header + """
            public sealed partial class Files
            {
                [SingleFlight]
                public partial Task<{|#0:System.IO.Stream|}> OpenAsync(int id);
                private Task<System.IO.Stream> OpenCoreAsync(int id) => Task.FromResult(System.IO.Stream.Null);

                [SingleFlight]
                public partial {|#1:int[,]|} Grid(int id);
                private int[,] GridCore(int id) => new int[1, 1];
            }
            """;
        var test = new FixTest<ReadOnlyResultCodeFixProvider>(source, source);
        test.ExpectedDiagnostics.Add(new DiagnosticResult("SF0014", DiagnosticSeverity.Warning).WithLocation(0));
        test.ExpectedDiagnostics.Add(new DiagnosticResult("SF0014", DiagnosticSeverity.Info).WithLocation(1));
        await test.RunAsync();
    }

    /// <summary>
    /// Every SF0014 note of the realistic-services corpus fixed at once (what Fix All in Solution does): the fixed corpus
    /// compiles with the generator, with no SF0002 (each core still matches its declaration) and no error or warning but
    /// the one caller that relied on the old return type, and
    /// the only notes left are those of interface implementations; the warnings (no fix: disposables, streams, readers,
    /// deferred queries) are all still there.
    /// </summary>
    [Fact]
    public async Task Fix_All_on_the_realistic_services_corpus_compiles_and_leaves_no_note()
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

        var before = (await AnalyzeAsync(project)).Where(static d => d.Id == "SF0014").ToList();
        var notes = before.Where(static d => d.Severity == DiagnosticSeverity.Info && ReadOnlyResultCodeFixProvider.IsFixable(d, out _)).ToList();
        var notFixable = before.Where(static d => d.Severity == DiagnosticSeverity.Info && !ReadOnlyResultCodeFixProvider.IsFixable(d, out _)).Select(Where).ToList();
        Assert.True(notes.Count >= 25, $"{notes.Count} notes");

        // The MediatR handlers implement IRequestHandler<TRequest, TResponse>.Handle: their return type is the interface's.
        Assert.Equal(["Handlers/GetDashboardHandler.cs Handle", "Handlers/SearchProductsHandler.cs Handle"], notFixable.Order(StringComparer.Ordinal));

        var fixedSolution = await ReadOnlyResultCodeFixProvider.ApplyAsync(project.Solution, notes, CancellationToken.None);
        var changed = fixedSolution.GetChanges(project.Solution).GetProjectChanges().SelectMany(static c => c.GetChangedDocuments()).ToList();
        foreach (var id in changed)
        {
            var document = fixedSolution.GetDocument(id)!;
            document = await Microsoft.CodeAnalysis.Simplification.Simplifier.ReduceAsync(document, Microsoft.CodeAnalysis.Simplification.Simplifier.Annotation);
            document = await Microsoft.CodeAnalysis.Formatting.Formatter.FormatAsync(document, Microsoft.CodeAnalysis.Formatting.Formatter.Annotation);
            fixedSolution = document.Project.Solution;
        }

        output.WriteLine($"{notes.Count} notes fixed in {changed.Count} files");
        var compilation = (CSharpCompilation)(await fixedSolution.GetProject(project.Id)!.GetCompilationAsync())!;
        CSharpGeneratorDriver.Create([new SingleFlight.Generator.SingleFlightGenerator().AsSourceGenerator()], parseOptions: TestReferences.ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var generated, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        // The fix changes the method's return type, so a caller that relied on the old one follows by hand: here a wrapper
        // that passes the Task<ProductDto[]> on (documented in SF0014.md). Nothing else of the corpus breaks.
        var problems = generated.GetDiagnostics().Where(static d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        output.WriteLine(Pipeline.Format(problems));
        Assert.Equal(
            ["Tenancy/TenantCatalogCache.cs CS0029 GetCategoryForCurrentTenantAsync"],
            problems.Select(static d => $"{d.Location.SourceTree!.FilePath} {d.Id} {d.Location.SourceTree.GetRoot().FindNode(d.Location.SourceSpan).FirstAncestorOrSelf<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>()?.Identifier.Text}"));

        var after = await generated.WithAnalyzers([new SingleFlightAnalyzer()], new AnalyzerOptions([])).GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(after, static d => d.Id is "SF0002" or "AD0001" || d.Severity == DiagnosticSeverity.Error);
        Assert.Equal(notFixable.Order(StringComparer.Ordinal), after.Where(static d => d.Id == "SF0014" && d.Severity == DiagnosticSeverity.Info).Select(Where).Order(StringComparer.Ordinal));
        Assert.Equal(before.Count(static d => d.Severity == DiagnosticSeverity.Warning), after.Count(static d => d.Id == "SF0014" && d.Severity == DiagnosticSeverity.Warning));

        static string Where(Diagnostic diagnostic)
            => diagnostic.Location.SourceTree!.FilePath + " " + diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Split('\'')[1];

        static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Project project)
            => await (await project.GetCompilationAsync())!.WithAnalyzers([new SingleFlightAnalyzer()], new AnalyzerOptions([])).GetAnalyzerDiagnosticsAsync();
    }
}
