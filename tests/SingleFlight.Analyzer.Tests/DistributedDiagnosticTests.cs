using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using SingleFlight.Analyzer.Tests.Infrastructure;
using SingleFlight.Generator.Analyzers;
using SingleFlight.Generator.Tests.Infrastructure;
using static SingleFlight.Analyzer.Tests.Infrastructure.Source;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// SF0010: <c>Distributed = true</c> where the generator cannot share flights through Redis. The method-level
/// reasons are reported on the <c>Distributed</c> argument; a key part without a cross-process encoding on the
/// parameter (default key) or on the part of the <c>KeyFrom</c> string. Then the look-alikes that must not fire,
/// and the generator's side: such a method is still generated, as an in-process flight, without throwing.
/// </summary>
public sealed class DistributedDiagnosticTests
{
    private const string KeyTypeAdvice = "which has no text form that is the same in every process, so it cannot name a distributed flight. Key on strings, primitives, enums, Guid, dates or times (for example KeyFrom = \"request.Id\"), or remove Distributed.";

    /// <summary>Types the key tests use: a class, a struct with value equality, and a request with an int Id.</summary>
    private const string Types = """

        public sealed class Request
        {
            public int Id { get; init; }
            public string Name { get; init; } = "";
            public string[] Tags { get; init; } = [];
            public List<int> Ids { get; init; } = [];
        }

        public readonly record struct Point(int X, int Y);
        """;

    private static DiagnosticResult SF0010(string message) => new DiagnosticResult("SF0010", DiagnosticSeverity.Error).WithLocation(0).WithMessage(message);

    /// <summary>
    /// Every method SF0010 rejects, with the expected location marked <c>{|#0:...|}</c> and the full message.
    /// <c>Redis</c> says whether the project references the SingleFlight.Redis package; <c>SF0006</c> that the key
    /// part also compares by reference, which SF0006 reports at the same place.
    /// </summary>
    private static readonly Dictionary<string, (string Source, bool Redis, string Message, bool SF0006)> s_failing = new()
    {
        ["no Redis package"] = (
            InClass("""
                [SingleFlight(KeyFrom = "id", {|#0:Distributed = true|})]
                public partial Task<int> GetAsync(int id);
                private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
                """),
            false,
            "'GetAsync' has Distributed = true, but the project does not reference the SingleFlight.Generators.Redis package that shares flights through Redis. Add the package, or remove Distributed.",
            false),

        // Without the package, the package is what is missing, whatever else is wrong.
        ["no Redis package, blocking method"] = (
            InClass("""
                [SingleFlight({|#0:Distributed = true|})]
                public partial int Get(int id);
                private int GetCore(int id) => id;
                """),
            false,
            "'Get' has Distributed = true, but the project does not reference the SingleFlight.Generators.Redis package that shares flights through Redis. Add the package, or remove Distributed.",
            false),

        ["blocking method returning a value"] = (
            InClass("""
                [SingleFlight({|#0:Distributed = true|}, KeyFrom = "id")]
                public partial int Get(int id);
                private int GetCore(int id) => id;
                """),
            true,
            "'Get' blocks its caller (it returns 'int'), and a distributed flight waits on Redis. Return Task or ValueTask (with or without a result), or remove Distributed.",
            false),

        ["blocking method returning void"] = (
            InClass("""
                [SingleFlight(OperationName = "warm", {|#0:Distributed = true|})]
                public static partial void Warm(string region);
                private static void WarmCore(string region) { }
                """),
            true,
            "'Warm' blocks its caller (it returns 'void'), and a distributed flight waits on Redis. Return Task or ValueTask (with or without a result), or remove Distributed.",
            false),

        ["instance scope"] = (
            InClass("""
                [SingleFlight(Scope = SingleFlightScope.Instance, {|#0:Distributed = true|})]
                public partial Task<int> GetAsync(int id);
                private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
                """),
            true,
            "'GetAsync' has Scope = SingleFlightScope.Instance, but a distributed flight is shared by every process, so it cannot belong to one object. Remove Scope, or remove Distributed.",
            false),

        ["generic method"] = (
            InClass("""
                [SingleFlight({|#0:Distributed = true|})]
                public partial Task<T?> GetAsync<T>(string id);
                private Task<T?> GetCoreAsync<T>(string id) => Task.FromResult<T?>(default);
                """),
            true,
            "'GetAsync' is generic: every type argument list would share one distributed operation name with different key or result types. Make it non-generic, or remove Distributed.",
            false),

        ["method in a generic type"] = (
            Usings + """
                public partial class Cache<TValue>
                {
                    [SingleFlight({|#0:Distributed = true|})]
                    public partial Task<TValue?> GetAsync(string id);
                    private Task<TValue?> GetCoreAsync(string id) => Task.FromResult<TValue?>(default);
                }
                """,
            true,
            "'GetAsync' is in the generic type 'Cache<TValue>': every closed type would share one distributed operation name with different key or result types. Move the method to a non-generic type, or remove Distributed.",
            false),

        ["method in a type nested in a generic type"] = (
            Usings + """
                public partial class Outer<T>
                {
                    public partial class Inner
                    {
                        [SingleFlight({|#0:Distributed = true|})]
                        public partial Task<int> GetAsync(string id);
                        private Task<int> GetCoreAsync(string id) => Task.FromResult(0);
                    }
                }
                """,
            true,
            "'GetAsync' is in the generic type 'Outer<T>': every closed type would share one distributed operation name with different key or result types. Move the method to a non-generic type, or remove Distributed.",
            false),

        ["default key: a class"] = (
            InClass("""
                [SingleFlight(Distributed = true)]
                public partial Task<string> GetAsync(string tenant, Request {|#0:request|}, CancellationToken cancellationToken);
                private Task<string> GetCoreAsync(string tenant, Request request, CancellationToken cancellationToken) => Task.FromResult(tenant);
                """) + Types,
            true,
            "The key of 'GetAsync' has a part of type 'Request', " + KeyTypeAdvice,
            true),

        ["default key: a record struct"] = (
            InClass("""
                [SingleFlight(Distributed = true)]
                public partial ValueTask<int> GetAsync(Point {|#0:point|});
                private ValueTask<int> GetCoreAsync(Point point) => new(point.X);
                """) + Types,
            true,
            "The key of 'GetAsync' has a part of type 'Point', " + KeyTypeAdvice,
            false),

        ["default key: an array"] = (
            InClass("""
                [SingleFlight(Distributed = true)]
                public partial Task GetAsync(int id, byte[] {|#0:payload|});
                private Task GetCoreAsync(int id, byte[] payload) => Task.CompletedTask;
                """),
            true,
            "The key of 'GetAsync' has a part of type 'byte[]', " + KeyTypeAdvice,
            true),

        ["default key: a tuple with an object"] = (
            InClass("""
                [SingleFlight(Distributed = true)]
                public partial Task<int> GetAsync((int, object) {|#0:pair|});
                private Task<int> GetCoreAsync((int, object) pair) => Task.FromResult(pair.Item1);
                """),
            true,
            "The key of 'GetAsync' has a part of type '(int, object)', " + KeyTypeAdvice,
            true),

        ["default key: a nullable struct without encoding"] = (
            InClass("""
                [SingleFlight(Distributed = true)]
                public partial Task<int> GetAsync(Point? {|#0:point|});
                private Task<int> GetCoreAsync(Point? point) => Task.FromResult(0);
                """) + Types,
            true,
            "The key of 'GetAsync' has a part of type 'Point?', " + KeyTypeAdvice,
            false),

        ["default key: Int128"] = (
            InClass("""
                [SingleFlight(Distributed = true)]
                public partial Task<int> GetAsync(Int128 {|#0:id|});
                private Task<int> GetCoreAsync(Int128 id) => Task.FromResult(0);
                """),
            true,
            "The key of 'GetAsync' has a part of type 'Int128', " + KeyTypeAdvice,
            false),

        ["default key: nint"] = (
            InClass("""
                [SingleFlight(Distributed = true)]
                public static partial Task<int> GetAsync(nint {|#0:handle|});
                private static Task<int> GetCoreAsync(nint handle) => Task.FromResult(0);
                """),
            true,
            "The key of 'GetAsync' has a part of type 'nint', " + KeyTypeAdvice,
            false),

        ["KeyFrom: a class parameter"] = (
            InClass("""
                [SingleFlight(KeyFrom = "tenant, {|#0:request|}", Distributed = true)]
                public partial Task<string> GetAsync(string tenant, Request request);
                private Task<string> GetCoreAsync(string tenant, Request request) => Task.FromResult(tenant);
                """) + Types,
            true,
            "The key of 'GetAsync' has a part of type 'Request', " + KeyTypeAdvice,
            true),

        ["KeyFrom: a member path to an array"] = (
            InClass("""
                [SingleFlight(Distributed = true, KeyFrom = "request.Id, {|#0:request.Tags|}")]
                public partial Task<string> GetAsync(Request request);
                private Task<string> GetCoreAsync(Request request) => Task.FromResult(request.Name);
                """) + Types,
            true,
            "The key of 'GetAsync' has a part of type 'string[]', " + KeyTypeAdvice,
            true),

        ["KeyFrom: a member path to a list, after escapes"] = (
            InClass("""
                [SingleFlight(Distributed = true, KeyFrom = "request.Name == \"a\\tb\" ? 1 : 2, {|#0:request.Ids|}")]
                public partial Task<string> GetAsync(Request request);
                private Task<string> GetCoreAsync(Request request) => Task.FromResult(request.Name);
                """) + Types,
            true,
            "The key of 'GetAsync' has a part of type 'List<int>', " + KeyTypeAdvice,
            true),

        ["KeyFrom: in a raw string"] = (
            InClass(""""
                [SingleFlight(Distributed = true, KeyFrom = """
                    request.Id,
                    {|#0:(object)request.Name|}
                    """)]
                public partial Task<string> GetAsync(Request request);
                private Task<string> GetCoreAsync(Request request) => Task.FromResult(request.Name);
                """") + Types,
            true,
            "The key of 'GetAsync' has a part of type 'object', " + KeyTypeAdvice,
            true),
    };

    public static TheoryData<string> FailingCases => new(s_failing.Keys);

    [Theory]
    [MemberData(nameof(FailingCases))]
    public Task SF0010_is_reported_at_the_exact_location_with_the_message(string name)
    {
        var (source, redis, message, sf0006) = s_failing[name];
        DiagnosticResult[] expected = sf0006
            ? [SF0010(message), new DiagnosticResult("SF0006", DiagnosticSeverity.Warning).WithLocation(0)]
            : [SF0010(message)];
        return redis
            ? AnalyzerTest.VerifyDistributedAsync(source, expected)
            : AnalyzerTest.VerifyAsync(source, expected);
    }

    [Theory]
    [MemberData(nameof(FailingCases))]
    public async Task SF0010_case_is_generated_as_an_in_process_flight_and_the_build_shows_SF0010(string name)
    {
        var (source, redis, _, sf0006) = s_failing[name];
        var compilation = redis ? TestCompiler.CreateDistributed(StripMarkup(source)) : TestCompiler.Create(StripMarkup(source));

        var run = TestCompiler.Run(compilation);

        Assert.Null(run.Exception);
        Assert.True(run.GeneratorDiagnostics.IsEmpty, TestCompiler.Format(run.GeneratorDiagnostics));
        var generated = Assert.Single(run.Sources).SourceText.ToString();
        Assert.Contains("global::SingleFlight.SingleFlightGroup<", generated, StringComparison.Ordinal);
        Assert.DoesNotContain("Distributed", generated, StringComparison.Ordinal);
        var ours = TestCompiler.ProblemsInGeneratedCode(compilation, run.Output);
        Assert.True(ours.Length == 0, TestCompiler.Format(ours) + Environment.NewLine + generated);

        // The method has its implementation, so the build's only error is SF0010 (no CS8795 to bury it).
        var all = await run.Output
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new SingleFlightAnalyzer()), new AnalyzerOptions([]))
            .GetAllDiagnosticsAsync();
        Assert.DoesNotContain(all, static d => d.Id is "CS8785" or "AD0001" or "CS8795");
        Assert.Equal(
            sf0006 ? ["SF0006", "SF0010"] : ["SF0010"],
            all.Where(static d => d.Id.StartsWith("SF", StringComparison.Ordinal)).Select(static d => d.Id).Order());
        // (TestCompiler makes every warning an error, SF0006 included.)
        var others = all.Where(static d => d.Severity == DiagnosticSeverity.Error && d.Id is not ("SF0010" or "SF0006")).ToArray();
        Assert.True(others.Length == 0, TestCompiler.Format(others));
    }

    // ---- one operation name for two methods ------------------------------------------------------------------

    private static DiagnosticResult Duplicate(int location, string method, string operation, string other)
        => new DiagnosticResult("SF0010", DiagnosticSeverity.Error).WithLocation(location).WithMessage(
            $"'{method}' shares the distributed operation name '{operation}' with '{other}': processes share flights by operation name, so the two methods would receive each other's results. Give one of them its own OperationName.");

    [Fact]
    public Task SF0003_for_a_share_window_on_a_distributed_method_and_nothing_for_a_deadline() => AnalyzerTest.VerifyDistributedAsync(
        InClass("""
            [SingleFlight(Distributed = true, ShareForMilliseconds = {|#0:1000|})]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);

            [SingleFlight(Distributed = true, DeadlineMilliseconds = 30000, OperationName = "with-deadline")]
            public partial Task<int> CountAsync(int id);
            private Task<int> CountCoreAsync(int id) => Task.FromResult(id);
            """),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "ShareForMilliseconds is not supported on 'GetAsync' with Distributed = true: a value kept by one process would not be handed to callers in the others. Remove ShareForMilliseconds, or Distributed."));

    [Fact]
    public Task SF0010_for_two_distributed_methods_of_a_type_with_one_operation_name() => AnalyzerTest.VerifyDistributedAsync(
        InClass("""
            // Overloads with the default name Users.C.GetAsync.
            [SingleFlight({|#0:Distributed = true|})]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);

            [SingleFlight({|#1:Distributed = true|})]
            public partial Task<int> GetAsync(long id);
            private Task<int> GetCoreAsync(long id) => Task.FromResult((int)id);

            // One explicit name on two methods.
            [SingleFlight(OperationName = "shared", {|#2:Distributed = true|})]
            public partial Task<int> FirstAsync(int id);
            private Task<int> FirstCoreAsync(int id) => Task.FromResult(id);

            [SingleFlight({|#3:Distributed = true|}, OperationName = "shared")]
            public partial Task<int> SecondAsync(int id);
            private Task<int> SecondCoreAsync(int id) => Task.FromResult(id);

            // Not reported: the same name on a method that is not distributed (its name only tags metrics)...
            [SingleFlight(OperationName = "solo", Distributed = true)]
            public partial Task<int> SoloAsync(int id);
            private Task<int> SoloCoreAsync(int id) => Task.FromResult(id);

            [SingleFlight(OperationName = "solo")]
            public partial Task<int> LocalAsync(int id);
            private Task<int> LocalCoreAsync(int id) => Task.FromResult(id);

            // ...and overloads with names of their own.
            [SingleFlight(OperationName = "find.int", Distributed = true)]
            public partial Task<int> FindAsync(int id);
            private Task<int> FindCoreAsync(int id) => Task.FromResult(id);

            [SingleFlight(OperationName = "find.long", Distributed = true)]
            public partial Task<int> FindAsync(long id);
            private Task<int> FindCoreAsync(long id) => Task.FromResult((int)id);
            """),
        Duplicate(0, "GetAsync", "Users.C.GetAsync", "C.GetAsync(long)"),
        Duplicate(1, "GetAsync", "Users.C.GetAsync", "C.GetAsync(int)"),
        Duplicate(2, "FirstAsync", "shared", "C.SecondAsync(int)"),
        Duplicate(3, "SecondAsync", "shared", "C.FirstAsync(int)"));

    // ---- SF0011: one operation name in several types ---------------------------------------------------------

    private static DiagnosticResult Reused(int location, string method, string operation, string other)
        => new DiagnosticResult("SF0011", DiagnosticSeverity.Error).WithLocation(location).WithMessage(
            $"'{method}' shares the distributed operation name '{operation}' with '{other}': processes share flights by operation name, so the two methods would share flights. Give each its own OperationName.");

    [Fact]
    public Task SF0011_for_distributed_methods_of_different_types_with_one_operation_name() => AnalyzerTest.VerifyDistributedAsync(
        Usings + """
            public sealed partial class UserNames
            {
                [SingleFlight({|#0:Distributed = true|}, OperationName = "names")]
                public partial Task<string> GetAsync(int id);
                private Task<string> GetCoreAsync(int id) => Task.FromResult("user");
            }

            public sealed partial class ProductNames
            {
                [SingleFlight(OperationName = "names", {|#1:Distributed = true|})]
                public partial Task<string> GetAsync(int id);
                private Task<string> GetCoreAsync(int id) => Task.FromResult("product");

                // Not reported: the default names differ by type, and a method that is not distributed only tags
                // metrics with its name.
                [SingleFlight(Distributed = true)]
                public partial Task<string> FindAsync(int id);
                private Task<string> FindCoreAsync(int id) => Task.FromResult("product");

                [SingleFlight(OperationName = "local")]
                public partial Task<string> LocalAsync(int id);
                private Task<string> LocalCoreAsync(int id) => Task.FromResult("product");
            }

            public sealed partial class UserSearch
            {
                [SingleFlight(Distributed = true)]
                public partial Task<string> FindAsync(int id);
                private Task<string> FindCoreAsync(int id) => Task.FromResult("user");

                [SingleFlight(OperationName = "local")]
                public partial Task<string> LocalAsync(int id);
                private Task<string> LocalCoreAsync(int id) => Task.FromResult("user");
            }
            """,
        Reused(0, "GetAsync", "names", "ProductNames.GetAsync(int)"),
        Reused(1, "GetAsync", "names", "UserNames.GetAsync(int)"));

    // ---- reason 1: the package --------------------------------------------------------------------------

    private const string ValidDistributed = """
        [SingleFlight(KeyFrom = "tenant, id", Distributed = true)]
        public partial Task<string> GetAsync(string tenant, int id, CancellationToken cancellationToken);
        private Task<string> GetCoreAsync(string tenant, int id, CancellationToken cancellationToken) => Task.FromResult(tenant);
        """;

    [Fact]
    public Task SF0010_without_the_Redis_references() => AnalyzerTest.VerifyAsync(
        InClass(ValidDistributed.Replace("Distributed = true", "{|#0:Distributed = true|}", StringComparison.Ordinal)),
        SF0010("'GetAsync' has Distributed = true, but the project does not reference the SingleFlight.Generators.Redis package that shares flights through Redis. Add the package, or remove Distributed."));

    [Fact]
    public Task SF0010_not_with_the_Redis_references() => AnalyzerTest.VerifyDistributedAsync(InClass(ValidDistributed));

    // ---- must not fire ------------------------------------------------------------------------------------

    [Theory]
    [InlineData("Task<int>", "Task.FromResult(id)")]
    [InlineData("ValueTask<int>", "new ValueTask<int>(id)")]
    [InlineData("Task", "Task.CompletedTask")]
    [InlineData("ValueTask", "default")]
    [InlineData("Task<string?>", "Task.FromResult<string?>(null)")]
    public Task SF0010_not_for_asynchronous_methods(string returnType, string body) => AnalyzerTest.VerifyDistributedAsync(InClass($$"""
        [SingleFlight(Distributed = true)]
        public partial {{returnType}} GetAsync(string tenant, int id, CancellationToken cancellationToken);
        private {{returnType}} GetCoreAsync(string tenant, int id, CancellationToken cancellationToken) => {{body}};
        [SingleFlight(Distributed = true)]
        public static partial {{returnType}} GetStaticAsync(int id);
        private static {{returnType}} GetStaticCoreAsync(int id) => {{body}};
        """));

    /// <summary>Every key type with a cross-process encoding, as a default key's only parameter.</summary>
    public static TheoryData<string> SupportedKeyTypes => new(
        "string", "string?", "char", "bool",
        "sbyte", "short", "int", "long", "byte", "ushort", "uint", "ulong",
        "float", "double", "decimal",
        "Guid", "DateTime", "DateTimeOffset", "DateOnly", "TimeOnly", "TimeSpan",
        "DayOfWeek", "StringComparison?", "int?", "Guid?", "DateOnly?",
        "(int, string)", "(int Id, (string Name, Guid? Tag) Inner)", "(int, int, int, int, int, int, int, int, string)",
        "Unit");

    [Theory]
    [MemberData(nameof(SupportedKeyTypes))]
    public Task SF0010_not_for_a_default_key_of_a_supported_type(string type) => AnalyzerTest.VerifyDistributedAsync(InClass($$"""
        [SingleFlight(Distributed = true)]
        public partial Task<int> GetAsync({{type}} key);
        private Task<int> GetCoreAsync({{type}} key) => Task.FromResult(0);
        """));

    /// <summary>
    /// C# spellings of key types and the runtime types they stand for: the analyzer's idea of a supported key
    /// (HasDistributedEncoding in the parser) must be the runtime's (<c>DistributedKey.IsSupported</c>), which
    /// otherwise throws when the generated operation is first used.
    /// </summary>
    private static readonly Dictionary<string, Type> s_keyTypes = new()
    {
        ["string"] = typeof(string), ["char"] = typeof(char), ["bool"] = typeof(bool),
        ["sbyte"] = typeof(sbyte), ["short"] = typeof(short), ["int"] = typeof(int), ["long"] = typeof(long),
        ["byte"] = typeof(byte), ["ushort"] = typeof(ushort), ["uint"] = typeof(uint), ["ulong"] = typeof(ulong),
        ["float"] = typeof(float), ["double"] = typeof(double), ["decimal"] = typeof(decimal),
        ["Guid"] = typeof(Guid), ["DateTime"] = typeof(DateTime), ["DateTimeOffset"] = typeof(DateTimeOffset),
        ["DateOnly"] = typeof(DateOnly), ["TimeOnly"] = typeof(TimeOnly), ["TimeSpan"] = typeof(TimeSpan),
        ["DayOfWeek"] = typeof(DayOfWeek), ["DayOfWeek?"] = typeof(DayOfWeek?), ["int?"] = typeof(int?), ["Unit"] = typeof(Unit),
        ["Unit?"] = typeof(Unit?), ["ValueTuple<int>"] = typeof(ValueTuple<int>), ["(int, string)"] = typeof(ValueTuple<int, string>),
        ["(int, (long?, Guid))"] = typeof(ValueTuple<int, ValueTuple<long?, Guid>>),
        ["(int, int, int, int, int, int, int, int, string)"] = typeof(ValueTuple<int, int, int, int, int, int, int, ValueTuple<int, string>>),
        ["object"] = typeof(object), ["byte[]"] = typeof(byte[]), ["List<int>"] = typeof(List<int>), ["Uri"] = typeof(Uri),
        ["Version"] = typeof(Version), ["Int128"] = typeof(Int128), ["UInt128"] = typeof(UInt128), ["Half"] = typeof(Half),
        ["nint"] = typeof(nint), ["nuint"] = typeof(nuint), ["System.Numerics.BigInteger"] = typeof(System.Numerics.BigInteger),
        ["KeyValuePair<int, int>"] = typeof(KeyValuePair<int, int>), ["(int, object)"] = typeof(ValueTuple<int, object>),
        ["Int128?"] = typeof(Int128?), ["CultureInfo"] = typeof(System.Globalization.CultureInfo),
    };

    public static TheoryData<string> KeyTypes => new(s_keyTypes.Keys);

    [Theory]
    [MemberData(nameof(KeyTypes))]
    public async Task SF0010_agrees_with_the_runtime_on_key_types(string type)
    {
        var supported = SingleFlight.Redis.DistributedKey.IsSupported(s_keyTypes[type]);
        var source = InClass($$"""
            [SingleFlight(Distributed = true)]
            public partial Task<int> GetAsync({{type}} key);
            private Task<int> GetCoreAsync({{type}} key) => Task.FromResult(0);
            """);

        var diagnostics = await Pipeline.RunDistributedAsync(source);

        // Types that compare by reference get SF0006 as well, and collections SF0015 (a collection key whose result is
        // not a dictionary by key); nothing else may show up.
        var sf0010 = diagnostics.Where(static d => d.Id == "SF0010").ToArray();
        Assert.True(supported ? sf0010.Length == 0 : sf0010.Length == 1, Pipeline.Format(diagnostics));
        Assert.All(sf0010, static d => Assert.Equal("key", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)));
        Assert.DoesNotContain(diagnostics, static d => d.Id is not ("SF0010" or "SF0006" or "SF0015"));
    }

    [Theory]
    [InlineData("id", "int id")]
    [InlineData("request.Id", "Request request")]
    [InlineData("request.Id, request.Name", "Request request")]
    [InlineData("(request.Id, request.Name)", "Request request")]
    [InlineData("tenant, request?.Id", "string tenant, Request? request")]
    [InlineData("day.DayOfWeek, day", "DateOnly day")]
    [InlineData("id", "int? id, [NotKey] object context")]
    [InlineData("comparison", "StringComparison comparison")]
    [InlineData("", "string tenant")]
    [InlineData("\"\"\"tenant, id\"\"\"", "string tenant, long id")]
    public Task SF0010_not_for_a_KeyFrom_of_supported_parts(string keyFrom, string parameters)
    {
        var literal = keyFrom.StartsWith('"') ? keyFrom : "\"" + keyFrom + "\"";
        return AnalyzerTest.VerifyDistributedAsync(InClass($$"""
            [SingleFlight(KeyFrom = {{literal}}, Distributed = true)]
            public partial Task<string> GetAsync({{parameters}}, CancellationToken cancellationToken = default);
            private Task<string> GetCoreAsync({{StripNotKey(parameters)}}, CancellationToken cancellationToken) => Task.FromResult("x");
            """) + Types);
    }

    [Fact]
    public Task SF0010_not_for_a_method_without_parameters_or_with_only_a_token() => AnalyzerTest.VerifyDistributedAsync(InClass("""
        [SingleFlight(Distributed = true)]
        public partial Task<int> CountAsync();
        private Task<int> CountCoreAsync() => Task.FromResult(0);
        [SingleFlight(Distributed = true)]
        public static partial ValueTask WarmAsync(CancellationToken cancellationToken);
        private static ValueTask WarmCoreAsync(CancellationToken cancellationToken) => default;
        """));

    [Fact]
    public Task SF0010_not_for_a_default_key_that_leaves_out_a_NotKey_parameter_of_any_type() => AnalyzerTest.VerifyDistributedAsync(InClass("""
        [SingleFlight(Distributed = true)]
        public partial Task<int> GetAsync(int id, [NotKey] Request request, CancellationToken cancellationToken);
        private Task<int> GetCoreAsync(int id, Request request, CancellationToken cancellationToken) => Task.FromResult(id);
        """) + Types);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task SF0010_not_for_Distributed_false_on_a_blocking_method(bool redis)
    {
        var source = InClass("""
            [SingleFlight(KeyFrom = "id", Distributed = false, Scope = SingleFlightScope.Instance)]
            public partial int Get(int id);
            private int GetCore(int id) => id;
            [SingleFlight(Distributed = false)]
            public static partial void Run<T>(Point point);
            private static void RunCore<T>(Point point) { }
            """) + Types;
        return redis ? AnalyzerTest.VerifyDistributedAsync(source) : AnalyzerTest.VerifyAsync(source);
    }

    [Fact]
    public Task SF0010_not_when_the_method_is_not_generated_at_all() => AnalyzerTest.VerifyAsync(InClass("""
        [SingleFlight(Distributed = true)]
        public int {|SF0001:Get|}(int id) => id;
        [SingleFlight(Distributed = true, Scope = SingleFlightScope.Instance)]
        public static partial Task<int> {|SF0003:GetStaticAsync|}(int id);
        private static Task<int> GetStaticCoreAsync(int id) => Task.FromResult(id);
        [SingleFlight(Distributed = true)]
        public partial int {|SF0002:Count|}(string name);
        [SingleFlight(KeyFrom = "{|SF0004:idd|}", Distributed = true)]
        public partial void Run(int id);
        private void RunCore(int id) { }
        """));

    private static string StripNotKey(string parameters) => parameters.Replace("[NotKey] ", string.Empty, StringComparison.Ordinal);

    // ---- the build: generator, then analyzer -----------------------------------------------------------------

    private const string Shop = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Shop;

        public enum Currency { Eur, Usd }

        public sealed record Quote(string Sku, decimal Price);

        public sealed class QuoteRequest
        {
            public int Id { get; init; }
            public string Sku { get; init; } = "";
        }

        public sealed partial class Prices
        {
            [SingleFlight(KeyFrom = "request.Id, currency", Distributed = true)]
            public partial Task<Quote?> GetQuoteAsync(QuoteRequest request, Currency currency, CancellationToken cancellationToken);

            private Task<Quote?> GetQuoteCoreAsync(QuoteRequest request, Currency currency, CancellationToken cancellationToken)
                => Task.FromResult<Quote?>(new Quote(request.Sku, 1m));

            [SingleFlight(Distributed = true, OperationName = "prices.by-day")]
            public static partial ValueTask<decimal> GetDailyAsync(DateOnly day, (string Sku, int? Store) item);

            private static ValueTask<decimal> GetDailyCoreAsync(DateOnly day, (string Sku, int? Store) item) => new(1m);

            [SingleFlight(Distributed = true)]
            public partial Task RefreshAsync(CancellationToken cancellationToken);

            private Task RefreshCoreAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        }
        """;

    [Fact]
    public async Task Pipeline_valid_distributed_methods_compile_without_any_diagnostic()
    {
        var diagnostics = await Pipeline.RunDistributedAsync(Shop);

        Assert.True(diagnostics.IsEmpty, Pipeline.Format(diagnostics));
    }

    [Fact]
    public void Pipeline_generates_a_distributed_operation_for_each_method()
    {
        var compilation = Pipeline.Compile(TestReferences.Distributed, Shop);
        var run = TestCompiler.Run(compilation);

        Assert.Null(run.Exception);
        Assert.Equal(3, run.Sources.Length);
        Assert.All(run.Sources, static s => Assert.Contains("global::SingleFlight.Redis.DistributedSingleFlightOperation<", s.SourceText.ToString(), StringComparison.Ordinal));
        var errors = run.Output.GetDiagnostics().Where(static d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, Pipeline.Format(errors));
    }

    [Fact]
    public async Task Pipeline_without_the_Redis_references_reports_only_SF0010()
    {
        var diagnostics = await Pipeline.RunAsync(Shop);

        // Each method is generated as an in-process flight: SF0010 on its Distributed argument is all there is.
        Assert.Equal(["SF0010", "SF0010", "SF0010"], diagnostics.Select(static d => d.Id));
        Assert.All(diagnostics, static d => Assert.Equal("Distributed = true", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)));
    }
}
