using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using SingleFlight.Analyzer.Tests.Infrastructure;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// SF0014 (a shared flight returns a result unsafe to share): a warning for disposable and single-consumer results and for
/// sequences evaluated again by every caller, a note for mutable collections; quiet on what callers can share. Located on
/// the flagged type inside the declaration's return type. The realistic-services corpus measures it at scale
/// (<see cref="RealisticServicesCorpusTests"/>); the code fix is in <see cref="UnsafeResultCodeFixTests"/>.
/// </summary>
public sealed class UnsafeResultDiagnosticTests
{
    private const string Header = """
        using System;
        using System.Collections.Generic;
        using System.Collections.Immutable;
        using System.Collections.Frozen;
        using System.Collections.ObjectModel;
        using System.Data.Common;
        using System.IO;
        using System.Linq;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Users;

        public sealed record Product(int Id, string Name);

        """;

    private static DiagnosticResult Warning(int location = 0) => new DiagnosticResult("SF0014", DiagnosticSeverity.Warning).WithLocation(location);

    /// <summary>The note; its additional location (the same type in the core, for the fix) is checked by the fix tests.</summary>
    private static DiagnosticResult Info(int location = 0)
        => new DiagnosticResult("SF0014", DiagnosticSeverity.Info).WithLocation(location).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);

    private static Task VerifyAsync(string source, params DiagnosticResult[] expected) => AnalyzerTest.VerifyAsync(Header + source, expected);

    /// <summary>A class with one <c>[SingleFlight]</c> method of the given return type (markup allowed) and a core that returns <c>default!</c>.</summary>
    private static string Method(string returnType, string attribute = "[SingleFlight]", string core = "")
    {
        var plain = Source.StripMarkup(returnType);
        var isTask = plain.StartsWith("Task<", StringComparison.Ordinal) || plain.StartsWith("ValueTask<", StringComparison.Ordinal);
        var coreText = core.Length > 0
            ? core
            : isTask ? $"private {plain} GetCoreAsync(int id) => new(default({plain[(plain.IndexOf('<') + 1)..^1]})!);" : $"private {plain} GetCoreAsync(int id) => default!;";
        return $$"""
            public partial class Service
            {
                {{attribute}}
                public partial {{returnType}} GetAsync(int id);

                {{coreText}}
            }
            """;
    }

    // ---- warnings: disposable and single-consumer ------------------------------------------------------------

    [Theory]
    [InlineData("Task<{|#0:Stream|}>")]
    [InlineData("Task<{|#0:MemoryStream|}>")]
    [InlineData("ValueTask<{|#0:HttpResponseMessage|}>")]
    [InlineData("Task<{|#0:HttpContent|}>")]
    [InlineData("Task<{|#0:DbDataReader|}>")]
    [InlineData("Task<{|#0:System.Data.IDataReader|}>")]
    [InlineData("Task<{|#0:StreamReader|}>")]
    [InlineData("{|#0:IEnumerator<Product>|}")]
    [InlineData("{|#0:System.Collections.IEnumerator|}")]
    [InlineData("Task<{|#0:System.Threading.Channels.ChannelReader<Product>|}>")]
    [InlineData("Task<{|#0:Stream|}?>")]
    [InlineData("Task<({|#0:Stream|} Body, string ContentType)>")]
    public Task SF0014_warns_on_a_single_consumer_result(string returnType) => VerifyAsync(Method(returnType), Warning());

    [Theory]
    [InlineData("Task<{|#0:DbConnection|}>")]
    [InlineData("Task<{|#0:CancellationTokenSource|}>")]
    [InlineData("Task<{|#0:HttpClient|}>")]
    [InlineData("Task<{|#0:Lease|}>")]
    [InlineData("Task<{|#0:AsyncLease|}>")]
    [InlineData("Task<{|#0:DisposableRecord|}>")]
    [InlineData("Task<{|#0:DisposableStruct|}>")]
    [InlineData("Task<{|#0:DisposableStruct|}?>")]
    [InlineData("{|#0:IDisposable|}")]
    [InlineData("Task<{|#0:Microsoft.Extensions.DependencyInjection.AsyncServiceScope|}>")]
    public Task SF0014_warns_on_a_disposable_result(string returnType) => AnalyzerTest.VerifyDistributedAsync(Header + Method(returnType) + """

        public sealed class Lease : IDisposable { public void Dispose() { } }
        public sealed class AsyncLease : IAsyncDisposable { public ValueTask DisposeAsync() => default; }
        public sealed record DisposableRecord(int Id) : IDisposable { public void Dispose() { } }
        public struct DisposableStruct : IDisposable { public void Dispose() { } }
        """, Warning());

    [Fact]
    public Task SF0014_warns_on_a_type_parameter_constrained_to_be_disposable() => VerifyAsync(
        """
        public partial class Service
        {
            [SingleFlight]
            public partial Task<{|#0:T|}> GetAsync<T>(int id) where T : IDisposable;

            private Task<T> GetCoreAsync<T>(int id) where T : IDisposable => Task.FromResult(default(T)!);
        }
        """,
        Warning());

    [Fact]
    public Task SF0014_messages_name_the_type_and_say_why() => VerifyAsync(
        """
        public partial class Service
        {
            [SingleFlight]
            public partial Task<{|#0:Stream|}> GetAsync(int id);
            private Task<Stream> GetCoreAsync(int id) => Task.FromResult(Stream.Null);

            [SingleFlight]
            public partial Task<{|#1:DbConnection|}?> OpenAsync(int id);
            private Task<DbConnection?> OpenCoreAsync(int id) => Task.FromResult<DbConnection?>(null);

            [SingleFlight]
            public partial Task<{|#2:List<Product?>|}> ListAsync(int id);
            private Task<List<Product?>> ListCoreAsync(int id) => Task.FromResult(new List<Product?>());

            [SingleFlight]
            public partial {|#3:int[,]|} Grid(int id);
            private int[,] GridCore(int id) => new int[1, 1];

            [SingleFlight]
            public partial Task<{|#4:IQueryable<Product>|}> QueryAsync(int id);
            private Task<IQueryable<Product>> QueryCoreAsync(int id) => Task.FromResult(Array.Empty<Product>().AsQueryable());
        }
        """,
        Warning(0).WithMessage("'GetAsync' returns 'Stream', which can be read only once: every caller that joins a flight of 'GetAsync' receives the same instance, so the first caller to read it consumes it (and disposes it) under the others. Read it in the core and return what was read (a string, a DTO, ReadOnlyMemory<byte>)."),
        Warning(1).WithMessage("'OpenAsync' returns 'DbConnection', which is disposable: every caller that joins a flight of 'OpenAsync' receives the same instance, so the first caller to dispose it (a using block, the end of its request) disposes it under the others. Copy what the callers need out of it in the core and return that, or list the type in singleflight.shared_types when it is made to be shared."),
        Info(2).WithMessage("'ListAsync' returns 'List<Product?>', a mutable collection: every caller that joins a flight of 'ListAsync' receives the same instance, so a caller that changes it (Add, Remove, an element set, a sort) changes it under the others while they read it. Return 'IReadOnlyList<Product?>' from 'ListAsync' and its core."),
        Info(3).WithMessage("'Grid' returns 'int[,]', a mutable collection with no read-only interface: every caller that joins a flight of 'Grid' receives the same instance, so a caller that changes it changes it under the others while they read it. Return an immutable or read-only copy (ImmutableArray<T>, ReadOnlyCollection<T>, a frozen collection)."),
        Warning(4).WithMessage("'QueryAsync' returns 'IQueryable<Product>', a query that runs each time it is enumerated: every caller that joins a flight of 'QueryAsync' runs it again, outside the flight, after the flight's own scope is disposed. Materialize it in the core (ToListAsync, ToArray) and return a read-only collection."));

    // ---- warnings: sequences evaluated by every caller -------------------------------------------------------

    [Fact]
    public Task An_iterator_core_is_SF0003_not_SF0014() => VerifyAsync(
        """
        public partial class Service
        {
            [SingleFlight]
            public partial IEnumerable<Product> {|SF0003:GetAll|}(int id);

            private IEnumerable<Product> GetAllCore(int id)
            {
                yield return new Product(id, "a");
            }
        }
        """);

    [Theory]
    [InlineData("private Task<IEnumerable<Product>> GetCoreAsync(int id) => Task.FromResult(Source.Where(p => p.Id == id));", "Where")]
    [InlineData("private async Task<IEnumerable<Product>> GetCoreAsync(int id) { await Task.Yield(); return Source.Select(p => p with { Id = id }); }", "Select")]
    [InlineData("private Task<IEnumerable<Product>> GetCoreAsync(int id) => Task.FromResult<IEnumerable<Product>>(from p in Source where p.Id == id select p);", "Where")]
    [InlineData("private Task<IEnumerable<Product>> GetCoreAsync(int id) { if (id < 0) return Task.FromResult<IEnumerable<Product>>([]); return Task.FromResult(Source.AsQueryable().Where(p => p.Id == id).AsEnumerable()); }", "AsEnumerable")]
    [InlineData("private Task<IEnumerable<Product>> GetCoreAsync(int id) => Task.FromResult(Enumerable.Range(0, id).Select(i => Source[i]).AsEnumerable());", "Select")]
    public Task SF0014_warns_when_the_core_of_an_IEnumerable_result_returns_a_deferred_query(string core, string @operator) => VerifyAsync(
        Method("Task<{|#0:IEnumerable<Product>|}>", core: core + "\n    private static readonly Product[] Source = [];"),
        Warning().WithArguments("GetAsync", "IEnumerable<Product>", "GetCoreAsync", @operator));

    [Theory]
    [InlineData("private Task<IEnumerable<Product>> GetCoreAsync(int id) => Task.FromResult<IEnumerable<Product>>(Source.Where(p => p.Id == id).ToList());")]
    [InlineData("private async Task<IEnumerable<Product>> GetCoreAsync(int id) { await Task.Yield(); var query = Source.Where(p => p.Id == id); return query.ToArray(); }")]
    [InlineData("private Task<IEnumerable<Product>> GetCoreAsync(int id) => Task.FromResult(Enumerable.Empty<Product>());")]
    [InlineData("private Task<IEnumerable<Product>> GetCoreAsync(int id) => Task.FromResult(Enumerable.Repeat(new Product(id, \"a\"), 3));")]
    [InlineData("private Task<IEnumerable<Product>> GetCoreAsync(int id) => Task.FromResult(Source.ToList().AsEnumerable());")]
    [InlineData("private Task<IEnumerable<Product>> GetCoreAsync(int id) => Task.FromResult<IEnumerable<Product>>(ImmutableArray.Create(Source));")]
    [InlineData("private Task<IEnumerable<Product>> GetCoreAsync(int id) { IEnumerable<Product> Local() { yield return Source[0]; } _ = Local(); return Task.FromResult<IEnumerable<Product>>(Source.ToList()); }")]
    public Task SF0014_is_quiet_on_an_IEnumerable_result_the_core_materializes(string core) => VerifyAsync(
        Method("Task<IEnumerable<Product>>", core: core + "\n    private static readonly Product[] Source = [];"));

    // ---- notes: mutable collections ------------------------------------------------------------------------

    [Theory]
    [InlineData("Task<{|#0:List<Product>|}>", "IReadOnlyList<Product>")]
    [InlineData("Task<{|#0:System.Collections.Generic.List<Product>|}>", "IReadOnlyList<Product>")]
    [InlineData("Task<{|#0:Product[]|}>", "IReadOnlyList<Product>")]
    [InlineData("Task<{|#0:byte[]|}>", "ReadOnlyMemory<byte>")]
    [InlineData("Task<{|#0:int[][]|}>", "IReadOnlyList<int[]>")]
    [InlineData("ValueTask<{|#0:Dictionary<string, List<int>>|}>", "IReadOnlyDictionary<string, List<int>>")]
    [InlineData("Task<{|#0:HashSet<string>|}>", "IReadOnlySet<string>")]
    [InlineData("Task<{|#0:SortedSet<string>|}>", "IReadOnlySet<string>")]
    [InlineData("Task<{|#0:SortedDictionary<string, int>|}>", "IReadOnlyDictionary<string, int>")]
    [InlineData("Task<{|#0:SortedList<string, int>|}>", "IReadOnlyDictionary<string, int>")]
    [InlineData("Task<{|#0:Queue<int>|}>", "IReadOnlyCollection<int>")]
    [InlineData("Task<{|#0:Stack<int>|}>", "IReadOnlyCollection<int>")]
    [InlineData("Task<{|#0:LinkedList<int>|}>", "IReadOnlyCollection<int>")]
    [InlineData("Task<{|#0:ObservableCollection<int>|}>", "IReadOnlyList<int>")]
    [InlineData("Task<{|#0:IList<Product>|}>", "IReadOnlyList<Product>")]
    [InlineData("Task<{|#0:ICollection<Product>|}>", "IReadOnlyCollection<Product>")]
    [InlineData("Task<{|#0:IDictionary<int, Product>|}>", "IReadOnlyDictionary<int, Product>")]
    [InlineData("Task<{|#0:ISet<int>|}>", "IReadOnlySet<int>")]
    [InlineData("Task<{|#0:Memory<byte>|}>", "ReadOnlyMemory<byte>")]
    [InlineData("Task<{|#0:ArraySegment<int>|}>", "IReadOnlyList<int>")]
    [InlineData("Task<{|#0:ProductList|}>", "IReadOnlyList<Product>")]
    [InlineData("Task<{|#0:List<Product>|}?>", "IReadOnlyList<Product>")]
    [InlineData("{|#0:List<string?>|}", "IReadOnlyList<string?>")]
    public Task SF0014_notes_a_mutable_collection_result_and_names_its_read_only_type(string returnType, string view) => VerifyAsync(
        Method(returnType) + "\npublic sealed class ProductList : List<Product> { }",
        Info().WithArguments("GetAsync", Display(returnType), view));

    /// <summary>The flagged type as the message shows it: what the markup encloses.</summary>
    private static string Display(string returnType)
    {
        var start = returnType.IndexOf("{|#0:", StringComparison.Ordinal) + "{|#0:".Length;
        var text = returnType[start..returnType.IndexOf("|}", StringComparison.Ordinal)];
        return text.Replace("System.Collections.Generic.", "");
    }

    [Theory]
    [InlineData("Task<{|#0:System.Collections.ArrayList|}>")]
    [InlineData("Task<{|#0:System.Collections.Hashtable|}>")]
    [InlineData("Task<{|#0:System.Collections.IList|}>")]
    [InlineData("Task<{|#0:PriorityQueue<int, int>|}>")]
    [InlineData("{|#0:int[,]|}")]
    public Task SF0014_notes_a_mutable_collection_without_a_read_only_interface(string returnType) => VerifyAsync(
        Method(returnType), Info().WithArguments("GetAsync", Display(returnType).Replace("System.Collections.", "")));

    [Fact]
    public Task SF0014_looks_into_tuples_and_reports_each_element() => VerifyAsync(
        """
        public partial class Service
        {
            [SingleFlight]
            public partial Task<({|#0:List<Product>|} Items, int Total, {|#1:Stream|}? Export)> GetAsync(int id);
            private Task<(List<Product> Items, int Total, Stream? Export)> GetCoreAsync(int id) => Task.FromResult((new List<Product>(), 0, (Stream?)null));

            [SingleFlight]
            public partial (int, ({|#2:string[]|}, string)) Get(int id);
            private (int, (string[], string)) GetCore(int id) => (id, ([], ""));

            [SingleFlight]
            public partial Task<Tuple<{|#3:HashSet<int>|}, string>> GetTupleAsync(int id);
            private Task<Tuple<HashSet<int>, string>> GetTupleCoreAsync(int id) => Task.FromResult(Tuple.Create(new HashSet<int>(), ""));

            // Other type arguments are not looked into: the read-only list is judged by its own type.
            [SingleFlight]
            public partial Task<IReadOnlyList<List<int>>> GetNestedAsync(int id);
            private Task<IReadOnlyList<List<int>>> GetNestedCoreAsync(int id) => Task.FromResult<IReadOnlyList<List<int>>>([]);
        }
        """,
        Info(0), Warning(1), Info(2), Info(3));

    [Fact]
    public Task SF0014_reports_whatever_the_scope_and_on_blocking_methods() => VerifyAsync(
        """
        public partial class Service
        {
            [SingleFlight(Scope = SingleFlightScope.Instance)]
            public partial Task<{|#0:List<Product>|}> GetAsync(int id);
            private Task<List<Product>> GetCoreAsync(int id) => Task.FromResult(new List<Product>());

            [SingleFlight]
            public partial {|#1:Stream|} Open(int id);
            private Stream OpenCore(int id) => Stream.Null;

            [SingleFlight]
            public static partial {|#2:Product[]|} ListAll();
            private static Product[] ListAllCore() => [];
        }
        """,
        Info(0), Warning(1), Info(2));

    [Fact]
    public Task SF0014_is_located_on_the_whole_return_type_when_an_alias_hides_the_flight_value() => AnalyzerTest.VerifyAsync(
        "using Lines = System.Threading.Tasks.Task<System.Collections.Generic.List<int>>;\n" + Header + """
        public partial class Service
        {
            [SingleFlight]
            public partial {|#0:Lines|} GetAsync(int id);
            private Lines GetCoreAsync(int id) => Task.FromResult(new List<int>());
        }
        """,
        Info());

    // ---- quiet -------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("Task<Product>")]
    [InlineData("Task<Product?>")]
    [InlineData("Task<string>")]
    [InlineData("Task<string?>")]
    [InlineData("Task<int>")]
    [InlineData("ValueTask<decimal?>")]
    [InlineData("Task<DateTimeOffset>")]
    [InlineData("Task<(int Id, string Name)>")]
    [InlineData("Task<KeyValuePair<string, int>>")]
    [InlineData("Task<object>")]
    [InlineData("Task<Uri>")]
    [InlineData("Task<Version>")]
    [InlineData("Task<IReadOnlyList<Product>>")]
    [InlineData("Task<IReadOnlyCollection<Product>>")]
    [InlineData("Task<IReadOnlyDictionary<int, Product>>")]
    [InlineData("Task<IReadOnlySet<int>>")]
    [InlineData("Task<ReadOnlyCollection<Product>>")]
    [InlineData("Task<ReadOnlyDictionary<int, Product>>")]
    [InlineData("Task<ReadOnlyMemory<byte>>")]
    [InlineData("Task<ImmutableArray<Product>>")]
    [InlineData("Task<ImmutableList<Product>>")]
    [InlineData("Task<ImmutableDictionary<int, Product>>")]
    [InlineData("Task<ImmutableHashSet<int>>")]
    [InlineData("Task<IImmutableList<Product>>")]
    [InlineData("Task<FrozenDictionary<int, Product>>")]
    [InlineData("Task<FrozenSet<int>>")]
    [InlineData("Task<System.Collections.Concurrent.ConcurrentDictionary<int, Product>>")]
    [InlineData("Task<IEnumerable<Product>>")]
    [InlineData("Task<Lookup>")]
    [InlineData("Task<Page<Product>>")]
    [InlineData("Task<System.Text.Json.JsonDocument?>")]
    [InlineData("Task<Task<int>>")]
    [InlineData("Task<System.Threading.SemaphoreSlim>")]
    [InlineData("Task<System.Diagnostics.ActivitySource>")]
    [InlineData("Task<System.Data.Common.DbDataSource>")]
    [InlineData("Task<SingleFlight.Unit>")]
    [InlineData("Task<T>")]
    public Task SF0014_is_quiet_on_results_callers_can_share(string returnType)
    {
        // JsonDocument is disposable (pooled memory): reported. The test lists it among the quiet ones only through
        // singleflight.shared_types below, which is how a user says "made to be shared".
        var source = Header + $$"""
            public partial class Service<T>
            {
                [SingleFlight]
                public partial {{returnType}} GetAsync(int id);

                private {{returnType}} GetCoreAsync(int id) => default!;
            }

            public sealed record Lookup(IReadOnlyDictionary<string, string> Values);
            public sealed record Page<TItem>(List<TItem> Items, int Total);
            """;
        var test = new AnalyzerTest(source);
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", """
            root = true

            [*.cs]
            singleflight.shared_types = System.Text.Json.JsonDocument
            """));
        return test.RunAsync();
    }

    [Theory]
    [InlineData("void")]
    [InlineData("Task")]
    [InlineData("ValueTask")]
    public Task SF0014_is_quiet_on_a_flight_with_no_value(string returnType) => VerifyAsync(
        $$"""
        public partial class Service
        {
            [SingleFlight]
            public partial {{returnType}} RefreshAsync(int id);

            private {{returnType}} RefreshCoreAsync(int id) => {{(returnType == "void" ? "Console.WriteLine()" : "default")}};
        }
        """);

    [Fact]
    public async Task SF0014_is_quiet_on_a_type_listed_in_shared_types_and_what_derives_from_it()
    {
        var test = new AnalyzerTest(Header + """
            public abstract class ConnectionPool : IDisposable { public void Dispose() { } }
            public sealed class TenantPool : ConnectionPool { }

            public partial class Service
            {
                [SingleFlight]
                public partial Task<TenantPool> GetPoolAsync(int id);
                private Task<TenantPool> GetPoolCoreAsync(int id) => Task.FromResult(new TenantPool());

                [SingleFlight]
                public partial Task<{|#0:Stream|}> OpenAsync(int id);
                private Task<Stream> OpenCoreAsync(int id) => Task.FromResult(Stream.Null);
            }
            """);
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", """
            root = true

            [*.cs]
            singleflight.shared_types = Users.ConnectionPool
            """));
        test.ExpectedDiagnostics.Add(Warning());
        await test.RunAsync();
    }

    // ---- broken input ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("Task<Missing>")]
    [InlineData("Task<List<Missing>>")]
    [InlineData("Task<(Missing, int)>")]
    [InlineData("Missing[]")]
    [InlineData("IEnumerable<Missing>")]
    [InlineData("Task<IEnumerable<int>>")]
    public async Task SF0014_never_throws_on_types_or_cores_that_do_not_bind(string returnType)
    {
        var diagnostics = await Pipeline.RunAsync(Header + $$"""
            public partial class Service
            {
                [SingleFlight]
                public partial {{returnType}} GetAsync(int id);

                private {{returnType}} GetCoreAsync(int id) { return Missing.Where(x => x.Id == id).Select(x => x); }
            }
            """);
        Assert.DoesNotContain(diagnostics, static d => d.Id is "AD0001" or "SF0014");
    }

    [Fact]
    public async Task SF0014_does_not_mistake_user_types_named_like_the_BCL_ones()
    {
        // Types are matched by namespace and name: a user's List<T> or Stream is neither mutable collection nor stream.
        var diagnostics = await Pipeline.RunAsync(Header.Replace("namespace Users;", "namespace Users.Collections;") + """
            public sealed class List<T> { }
            public sealed class Stream { }

            public partial class Service
            {
                [SingleFlight]
                public partial Task<List<int>> GetAsync(int id);
                private Task<List<int>> GetCoreAsync(int id) => Task.FromResult(new List<int>());

                [SingleFlight]
                public partial Task<Stream> OpenAsync(int id);
                private Task<Stream> OpenCoreAsync(int id) => Task.FromResult(new Stream());
            }
            """);
        Assert.True(diagnostics.IsEmpty, Pipeline.Format(diagnostics));
    }
}
