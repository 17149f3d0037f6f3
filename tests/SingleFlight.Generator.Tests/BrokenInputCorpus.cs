namespace SingleFlight.Generator.Tests;

/// <summary>
/// Broken and unusual inputs, shared by the generator's robustness tests and the analyzer's (the analyzer test
/// project links this file). Sources of several files are joined by <see cref="NextFile"/>.
/// </summary>
internal static class BrokenInputCorpus
{
    private const string Header = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Corpus;

        """;

    public const string NextFile = "\n//--- next file\n";

    private static string InClass(string members) => Header + "public partial class C\n{\n" + members + "\n}\n";

    private const string Ok = """
        [SingleFlight(KeyFrom = "id")]
        public partial Task<int> GetAsync(int id);
        private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
        """;

    private static string WithKey(string keyFrom)
        => InClass($$"""
            [SingleFlight(KeyFrom = {{keyFrom}})]
            public partial Task<int> GetAsync(int id, CancellationToken cancellationToken = default);
            private Task<int> GetCoreAsync(int x, CancellationToken cancellationToken) => Task.FromResult(x);
            """);

    /// <summary>name → (source, expected number of generated files, or null when either is acceptable).</summary>
    public static readonly Dictionary<string, (string Source, int? Generated)> Inputs = new()
    {
        // Broken syntax around the method.
        ["missing class brace"] = (Header + "public partial class C\n{\n" + Ok, null),
        ["missing semicolon"] = (InClass("[SingleFlight(KeyFrom = \"id\")]\npublic partial Task<int> GetAsync(int id)\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), null),
        ["missing namespace brace"] = (Header.Replace("namespace Corpus;", "namespace Corpus {") + "public partial class C { " + Ok + " }", null),
        ["attribute without closing bracket"] = (InClass("[SingleFlight(KeyFrom = \"id\")\npublic partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), null),
        ["unknown return type"] = (InClass("[SingleFlight] public partial Task<Nope> GetAsync(int id);\nprivate Task<Nope> GetCoreAsync(int id) => null!;"), 0),
        ["unknown parameter type"] = (InClass("[SingleFlight] public partial Task<int> GetAsync(Nope id);\nprivate Task<int> GetCoreAsync(Nope id) => null!;"), 0),
        ["unknown type in constraint"] = (InClass("[SingleFlight] public partial Task<T> GetAsync<T>(T id) where T : Nope;\nprivate Task<T> GetCoreAsync<T>(T id) where T : Nope => null!;"), 0),

        // KeyFrom problems.
        ["KeyFrom empty"] = (WithKey("\"\""), 1),
        ["KeyFrom whitespace"] = (WithKey("\"   \""), 1),
        ["KeyFrom incomplete"] = (WithKey("\"id +\""), 1),
        ["KeyFrom unknown name"] = (WithKey("\"idd\""), 1),
        ["KeyFrom core parameter name"] = (WithKey("\"x\""), 1),
        ["KeyFrom unbalanced parenthesis"] = (WithKey("\"id)\""), 1),
        ["KeyFrom injection"] = (WithKey("\"id); } void Evil() { _ = (1\""), 1),
        ["KeyFrom line comment"] = (WithKey("\"id // the id\""), 1),
        ["KeyFrom block comment"] = (WithKey("\"id /* the id */\""), 1),
        ["KeyFrom named argument"] = (WithKey("\"a: id\""), 1),
        ["KeyFrom ref argument"] = (WithKey("\"ref id\""), 1),
        ["KeyFrom void call"] = (WithKey("\"Console.WriteLine()\""), 1),
        ["KeyFrom null"] = (WithKey("\"null\""), 1),
        ["KeyFrom default literal"] = (WithKey("\"default\""), 1),
        ["KeyFrom lambda"] = (WithKey("\"() => id\""), 1),
        ["KeyFrom anonymous type"] = (WithKey("\"new { id }\""), 1),
        ["KeyFrom span"] = (WithKey("\"id.ToString().AsSpan()\""), 1),
        ["KeyFrom wrong overload"] = (WithKey("\"id.ToString(1, 2, 3)\""), 1),
        ["KeyFrom unknown member"] = (WithKey("\"id.Nope\""), 1),
        ["KeyFrom not a string"] = (WithKey("5"), 0),
        ["KeyFrom await"] = (WithKey("\"await Task.FromResult(id)\""), 1),
        ["KeyFrom throw"] = (WithKey("\"throw new Exception()\""), 1),
        ["KeyFrom out var"] = (WithKey("\"int.TryParse(\\\"1\\\", out var v) ? v : id\""), null),
        ["KeyFrom maybe-null dereference"] = (InClass("[SingleFlight(KeyFrom = \"name.Length\")] public partial Task<int> GetAsync(string? name);\nprivate Task<int> GetCoreAsync(string? name) => Task.FromResult(1);"), 1),
        ["KeyFrom maybe-null call"] = (InClass("[SingleFlight(KeyFrom = \"name.Trim()\")] public partial Task<int> GetAsync(string? name);\nprivate Task<int> GetCoreAsync(string? name) => Task.FromResult(1);"), 1),
        ["KeyFrom nullable value"] = (InClass("[SingleFlight(KeyFrom = \"id.Value\")] public partial Task<int> GetAsync(int? id);\nprivate Task<int> GetCoreAsync(int? id) => Task.FromResult(1);"), 1),
        ["KeyFrom nullable HasValue"] = (InClass("[SingleFlight(KeyFrom = \"id.HasValue\")] public partial Task<int> GetAsync(int? id);\nprivate Task<int> GetCoreAsync(int? id) => Task.FromResult(1);"), 1),
        ["KeyFrom conditional access"] = (InClass("[SingleFlight(KeyFrom = \"name?.Length\")] public partial Task<int> GetAsync(string? name);\nprivate Task<int> GetCoreAsync(string? name) => Task.FromResult(1);"), 1),
        ["KeyFrom private member path"] = (Header + "public sealed class R { private int Secret => 1; public int Id { get; init; } }\npublic partial class C\n{\n[SingleFlight(KeyFrom = \"r.Secret\")] public partial Task<int> GetAsync(R r);\nprivate Task<int> GetCoreAsync(R r) => Task.FromResult(1);\n}", 1),
        ["KeyFrom inherited member path"] = (Header + "public class B { public int Id { get; init; } }\npublic sealed class R : B { }\npublic partial class C\n{\n[SingleFlight(KeyFrom = \"r.Id\")] public partial Task<int> GetAsync(R r);\nprivate Task<int> GetCoreAsync(R r) => Task.FromResult(1);\n}", 1),
        ["KeyFrom static member on parameter"] = (Header + "public sealed class R { public static int Count => 1; }\npublic partial class C\n{\n[SingleFlight(KeyFrom = \"r.Count\")] public partial Task<int> GetAsync(R r);\nprivate Task<int> GetCoreAsync(R r) => Task.FromResult(1);\n}", 1),
        ["KeyFrom assignment"] = (WithKey("\"id = 5\""), 1),
        ["KeyFrom increment"] = (WithKey("\"id++\""), 1),
        ["KeyFrom is non-constant"] = (WithKey("\"cancellationToken is cancellationToken\""), 1),
        ["KeyFrom relational pattern on a variable"] = (WithKey("\"id is > id\""), 1),
        ["KeyFrom object initializer"] = (Header + "public struct P { public int X; }\npublic partial class C\n{\n[SingleFlight(KeyFrom = \"new P { X = id }\")] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);\n}", 1),
        ["KeyFrom with expression"] = (Header + "public record struct R(int A, int B);\npublic partial class C\n{\n[SingleFlight(KeyFrom = \"r with { B = 0 }\")] public partial Task<int> GetAsync(R r);\nprivate Task<int> GetCoreAsync(R r) => Task.FromResult(1);\n}", 1),
        ["KeyFrom is type"] = (WithKey("\"id is int\""), 1),
        ["KeyFrom token"] = (WithKey("\"id, cancellationToken\""), 1),
        ["KeyFrom nameof"] = (WithKey("nameof(id)"), 1),
        ["KeyFrom instance field"] = (InClass("private readonly int _tenant = 1;\n[SingleFlight(KeyFrom = \"_tenant, id\")] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), 1),
        ["KeyFrom instance field from static"] = (InClass("private readonly int _tenant = 1;\n[SingleFlight(KeyFrom = \"_tenant, id\")] public static partial Task<int> GetAsync(int id);\nprivate static Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), 1),
        ["Scope out of range"] = (InClass("[SingleFlight(Scope = (SingleFlightScope)7)] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), 0),
        ["unknown attribute property"] = (InClass("[SingleFlight(Nope = 1)] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), null),
        ["attribute twice"] = (InClass("[SingleFlight, SingleFlight] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), null),

        // Unsupported shapes (SF0003).
        ["ref parameter"] = (InClass("[SingleFlight] public partial Task<int> GetAsync(ref int id);\nprivate Task<int> GetCoreAsync(ref int id) => Task.FromResult(id);"), 1),
        ["out parameter"] = (InClass("[SingleFlight] public partial int Get(out int id);\nprivate int GetCore(out int id) { id = 1; return id; }"), 1),
        ["ref readonly parameter"] = (InClass("[SingleFlight] public partial int Get(ref readonly int id);\nprivate int GetCore(ref readonly int id) => id;"), 1),
        // Stubs repeat the signature: these are the shapes where that is hard (found in review).
        ["out and params parameters"] = (InClass("[SingleFlight] public partial Task M(out int x, params int[] rest);\nprivate Task MCore(out int x, params int[] rest) { x = 0; return Task.CompletedTask; }"), 1),
        ["scoped ref span parameter"] = (InClass("[SingleFlight] public partial Task M(scoped ref Span<int> s);\nprivate Task MCore(scoped ref Span<int> s) => Task.CompletedTask;"), 1),
        ["ref extension parameter"] = (Header + "public static partial class E\n{\n[SingleFlight] public static partial Task M(this ref int x);\nprivate static Task MCore(this ref int x) => Task.CompletedTask;\n}\n", 1),
        // Stubs for ref structs, ref returns and `allows ref struct` (SF0003); pointers only where unsafe code is allowed,
        // which this corpus's compilation does not (RefusedShapeStubTests has them).
        ["ref pointer parameter in unsafe type"] = (Header + "public unsafe partial class U\n{\n[SingleFlight] public partial Task M(ref int* p);\nprivate Task MCore(ref int* p) => Task.CompletedTask;\n}\n", 0),
        ["out function pointer in unsafe type"] = (Header + "public unsafe partial class U\n{\n[SingleFlight] public partial Task M(out delegate*<void> f);\nprivate Task MCore(out delegate*<void> f) { f = null; return Task.CompletedTask; }\n}\n", 0),
        ["type parameter allows ref struct"] = (InClass("[SingleFlight] public partial Task<int> M<T>(T t) where T : allows ref struct;\nprivate Task<int> MCore<T>(T t) where T : allows ref struct => Task.FromResult(0);"), 1),
        ["instance scope and allows ref struct"] = (InClass("[SingleFlight(Scope = SingleFlightScope.Instance)] public partial Task<int> M<T>(T t) where T : allows ref struct;\nprivate Task<int> MCore<T>(T t) where T : allows ref struct => Task.FromResult(0);"), 1),
        ["span parameter then an unknown type"] = (InClass("[SingleFlight] public partial int Get(ReadOnlySpan<char> id, Nope other);\nprivate int GetCore(ReadOnlySpan<char> id, Nope other) => id.Length;"), 0),
        ["ref parameter then an unknown type"] = (InClass("[SingleFlight] public partial int Get(ref int id, Nope other);\nprivate int GetCore(ref int id, Nope other) => id;"), 0),
        ["ref return of an unknown type"] = (InClass("[SingleFlight] public partial ref Nope Get(int id);\nprivate ref Nope GetCore(int id) => throw null!;"), 0),
        ["ref return"] = (InClass("private int _v;\n[SingleFlight] public partial ref int Get(int id);\nprivate ref int GetCore(int id) => ref _v;"), 1),
        ["span parameter"] = (InClass("[SingleFlight] public partial int Get(ReadOnlySpan<char> id);\nprivate int GetCore(ReadOnlySpan<char> id) => id.Length;"), 1),
        ["span return"] = (InClass("[SingleFlight] public partial Span<int> Get(int id);\nprivate Span<int> GetCore(int id) => default;"), 1),
        ["pointer parameter"] = (InClass("[SingleFlight] public unsafe partial int Get(int* id);\nprivate unsafe int GetCore(int* id) => *id;"), 0),
        ["iterator core"] = (InClass("[SingleFlight] public partial IEnumerable<int> Get(int id);\nprivate IEnumerable<int> GetCore(int id) { yield return id; }"), 1),
        ["async enumerable"] = (InClass("[SingleFlight] public partial IAsyncEnumerable<int> GetAsync(int id);\nprivate async IAsyncEnumerable<int> GetCoreAsync(int id) { await Task.Yield(); yield return id; }"), 1),
        ["async void core"] = (InClass("[SingleFlight] public partial void Run(int id);\nprivate async void RunCore(int id) => await Task.Yield();"), 1),
        ["explicit interface implementation"] = (Header + "public interface I { Task<int> GetAsync(int id); }\npublic partial class C : I\n{\n[SingleFlight] partial Task<int> I.GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);\n}", 0),
        ["async on declaration"] = (InClass("[SingleFlight] public async partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), 0),
        ["arglist"] = (InClass("[SingleFlight] public partial int Get(int id, __arglist);\nprivate int GetCore(int id, __arglist) => id;"), 0),

        // Declarations the generator cannot complete (SF0001, SF0002).
        ["method not partial"] = (InClass("[SingleFlight] public Task<int> GetAsync(int id) => Task.FromResult(id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), 0),
        ["type not partial"] = (Header + "public class C\n{\n" + Ok + "\n}", 0),
        ["outer type not partial"] = (Header + "public class Outer\n{\npublic partial class C\n{\n" + Ok + "\n}\n}", 0),
        ["already implemented"] = (InClass(Ok + "\npublic partial Task<int> GetAsync(int id) => GetCoreAsync(id);"), 0),
        ["duplicate declaration"] = (InClass(Ok + "\n[SingleFlight(KeyFrom = \"id\")]\npublic partial Task<int> GetAsync(int id);"), 0),
        ["clashes with ordinary method"] = (InClass(Ok + "\npublic Task<int> GetAsync(int id) => Task.FromResult(id);"), 0),
        ["core missing"] = (InClass("[SingleFlight] public partial Task<int> GetAsync(int id);"), 1),
        ["core has other parameter type"] = (InClass("[SingleFlight] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(long id) => Task.FromResult((int)id);"), 1),
        ["core is static"] = (InClass("[SingleFlight] public partial Task<int> GetAsync(int id);\nprivate static Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), 1),
        ["core has other return type"] = (InClass("[SingleFlight] public partial Task<int> GetAsync(int id);\nprivate ValueTask<int> GetCoreAsync(int id) => default;"), 1),
        ["core is abstract with KeyFrom on a parameter"] = (Header + "public abstract partial class C\n{\n[SingleFlight(KeyFrom = \"id\")] public partial Task<int> GetAsync(int id);\nprotected abstract Task<int> GetCoreAsync(int id);\n}", 1),
        ["core is abstract with KeyFrom needing binding"] = (Header + "public abstract partial class C\n{\n[SingleFlight(KeyFrom = \"id + 1\")] public partial Task<int> GetAsync(int id);\nprotected abstract Task<int> GetCoreAsync(int id);\n}", 1),
        ["core is abstract without KeyFrom"] = (Header + "public abstract partial class C\n{\n[SingleFlight] public partial Task<int> GetAsync(int id);\nprotected abstract Task<int> GetCoreAsync(int id);\n}", 1),
        ["core generic constraint differs"] = (InClass("[SingleFlight] public partial Task<T> GetAsync<T>(T id);\nprivate Task<T> GetCoreAsync<T>(T id) where T : class => Task.FromResult(id);"), 1),

        // Containing types and scopes the generator does not extend.
        ["interface"] = (Header + "public partial interface I\n{\n[SingleFlight] public partial Task<int> GetAsync(int id);\n}", 0),
        ["file-local type"] = (Header + "file partial class C\n{\n" + Ok + "\n}", 0),
        ["ref struct"] = (Header + "public ref partial struct C\n{\n[SingleFlight] public static partial Task<int> GetAsync(int id);\nprivate static Task<int> GetCoreAsync(int id) => Task.FromResult(id);\n}", 0),
        ["instance scope on static"] = (InClass("[SingleFlight(Scope = SingleFlightScope.Instance)] public static partial Task<int> GetAsync(int id);\nprivate static Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), 1),
        ["instance scope on struct"] = (Header + "public partial struct C\n{\n[SingleFlight(Scope = SingleFlightScope.Instance)] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);\n}", 1),
        ["instance scope on record"] = (Header + "public partial record C\n{\n[SingleFlight(Scope = SingleFlightScope.Instance)] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);\n}", 1),
        ["instance scope on generic method"] = (InClass("[SingleFlight(Scope = SingleFlightScope.Instance)] public partial Task<T> GetAsync<T>(T id);\nprivate Task<T> GetCoreAsync<T>(T id) => Task.FromResult(id);"), 1),
        ["attribute on a class"] = (Header + "[SingleFlight] public partial class C { }", 0),

        // Unusual but valid.
        ["unresolved using in file"] = (Header.Replace("using System;", "using System;\nusing Nope.Missing;") + "public partial class C\n{\n" + Ok + "\n}", 1),
        ["nullable disabled file"] = ("#nullable disable\n" + InClass("[SingleFlight(KeyFrom = \"name\")] public partial Task<string> GetAsync(string name, object extra);\nprivate Task<string> GetCoreAsync(string name, object extra) => Task.FromResult(name);"), 1),
        ["method named Async"] = (InClass("[SingleFlight] public partial Task<int> Async(int id);\nprivate Task<int> CoreAsync(int id) => Task.FromResult(id);"), 1),
        ["parameters named like generated locals"] = (InClass("[SingleFlight] public partial ValueTask Run(int __state, string __flightToken, CancellationToken __flight);\nprivate ValueTask RunCore(int a, string b, CancellationToken c) => default;"), 1),
        ["nine parameters"] = (InClass("[SingleFlight] public partial int Sum(int a, int b, int c, int d, int e, int f, int g, int h, int i);\nprivate int SumCore(int a, int b, int c, int d, int e, int f, int g, int h, int i) => a + i;"), 1),
        ["tuple parameter with names"] = (InClass("[SingleFlight] public partial int Get((int A, string B) pair);\nprivate int GetCore((int A, string B) pair) => pair.A;"), 1),
        ["dynamic parameter"] = (InClass("[SingleFlight(KeyFrom = \"id\")] public partial Task<int> GetAsync(int id, dynamic extra);\nprivate Task<int> GetCoreAsync(int id, dynamic extra) => Task.FromResult(id);"), 1),
        ["core in another partial part"] = (InClass("[SingleFlight(KeyFrom = \"id\")] public partial Task<int> GetAsync(int id);") + NextFile + "namespace Corpus { using System.Threading.Tasks; public partial class C { private Task<int> GetCoreAsync(int id) => Task.FromResult(id); } }", 1),
        ["core in another file with other usings"] = (InClass("[SingleFlight(KeyFrom = \"id.ToString(CultureInfo.InvariantCulture)\")] public partial Task<int> GetAsync(int id);") + NextFile + "using System.Globalization;\nusing System.Threading.Tasks;\nnamespace Corpus;\npublic partial class C { private Task<int> GetCoreAsync(int id) => Task.FromResult(id); }", 1),
        ["keyword namespace"] = (Header.Replace("namespace Corpus;", "namespace Corpus.@event;") + "public partial class @class\n{\n[SingleFlight] public partial Task<int> @return(int @int);\nprivate Task<int> returnCore(int @int) => Task.FromResult(@int);\n}", 1),
        ["method type parameter shadows type's"] = (Header + "public partial class C<T>\n{\n[SingleFlight] public partial Task<T> GetAsync<T>(T id);\nprivate Task<T> GetCoreAsync<T>(T id) => Task.FromResult(id);\n}", 0),
        ["generic method in generic type"] = (Header + "public partial class C<TOuter>\n{\n[SingleFlight] public partial Task<TOuter?> GetAsync<T>(T id, TOuter? outer);\nprivate Task<TOuter?> GetCoreAsync<T>(T id, TOuter? outer) => Task.FromResult(outer);\n}", 1),
        ["obsolete parameter type"] = (Header + "[Obsolete] public sealed class Old { }\n[Obsolete(\"use New\")] public sealed class Older { }\n#pragma warning disable CS0612, CS0618\npublic partial class C\n{\n[SingleFlight(KeyFrom = \"id\")] public partial Task<Old> GetAsync(int id, Older extra);\nprivate Task<Old> GetCoreAsync(int id, Older extra) => Task.FromResult(new Old());\n}", 1),
        ["lower-case type name"] = (Header + "#pragma warning disable CS8981\npublic partial class repo\n{\n[SingleFlight] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);\n}", 1),
        ["duplicate using directives"] = (Header.Replace("using System;", "using System;\nusing System.Globalization;\nusing System.Globalization;\nusing G = System.Globalization;\nusing G = System.Globalization;") + "public partial class C\n{\n[SingleFlight(KeyFrom = \"id.ToString(G.CultureInfo.InvariantCulture)\")] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);\n}", 1),
        ["two cores differing in constraints"] = (InClass("[SingleFlight] public partial Task<T> GetAsync<T>(T id);\nprivate Task<T> GetCoreAsync<T>(T id) => Task.FromResult(id);\nprivate Task<T> GetCoreAsync<T>(T id) where T : class => Task.FromResult(id);"), 0),
        ["core nullability differs"] = (InClass("[SingleFlight] public partial Task<string> GetAsync(int id);\nprivate Task<string?> GetCoreAsync(int id) => Task.FromResult<string?>(null);"), 1),
        ["core parameter not nullable"] = (InClass("[SingleFlight] public partial Task<int> GetAsync(string? name);\nprivate Task<int> GetCoreAsync(string name) => Task.FromResult(1);"), 1),
        ["core parameter more nullable"] = (InClass("[SingleFlight] public partial Task<int> GetAsync(string name);\nprivate Task<int> GetCoreAsync(string? name) => Task.FromResult(1);"), 1),
        ["missing parameter name"] = (InClass("[SingleFlight] public partial Task<int> GetAsync(int = 3);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), 0),
        ["method outside any type"] = (Header + "[SingleFlight] public partial Task<int> GetAsync(int id);\n", 0),
        ["broken namespace name"] = (Header.Replace("namespace Corpus;", "namespace Corpus. {") + "public partial class C\n{\n" + Ok + "\n}\n}", 0),
        ["instance method in static class"] = (Header + "public static partial class S\n{\n[SingleFlight] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);\n}", 0),
        ["static with only a token"] = (InClass("[SingleFlight] public static partial ValueTask<int> GetAsync(CancellationToken cancellationToken);\nprivate static ValueTask<int> GetCoreAsync(CancellationToken cancellationToken) => new(1);"), 1),
        ["static blocking without parameters"] = (InClass("[SingleFlight] public static partial int Get();\nprivate static int GetCore() => 1;"), 1),
        ["static void without parameters"] = (InClass("[SingleFlight] public static partial void Run();\nprivate static void RunCore() { }"), 1),
        ["static Task with only a token"] = (InClass("[SingleFlight] internal static partial Task RunAsync(CancellationToken cancellationToken = default);\nprivate static Task RunCoreAsync(CancellationToken cancellationToken) => Task.CompletedTask;"), 1),
        ["generic type with constraints"] = (Header + "public partial class Repo<TKey, TValue> where TKey : notnull where TValue : class, new()\n{\n[SingleFlight] public partial Task<TValue> GetAsync(TKey key);\nprivate Task<TValue> GetCoreAsync(TKey key) => Task.FromResult(new TValue());\n}", 1),
        ["attribute on a local function"] = (InClass("public int M() { [SingleFlight] static int F(int x) => x; return F(1); }"), 0),
        ["top-level statements file"] = ("using System.Threading.Tasks;\nusing SingleFlight;\nawait Task.CompletedTask;\npublic partial class Program\n{\n[SingleFlight] public static partial Task<int> GetAsync(int id);\nprivate static Task<int> GetCoreAsync(int id) => Task.FromResult(id);\n}", null),
        ["static class"] = (Header + "public static partial class S\n{\n[SingleFlight] public static partial Task<int> GetAsync(int id);\nprivate static Task<int> GetCoreAsync(int id) => Task.FromResult(id);\n}", 1),
        ["override"] = (Header + "public abstract class B { public abstract Task<int> GetAsync(int id); }\npublic partial class C : B\n{\n[SingleFlight] public override partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);\n}", 1),
        ["generic override with inherited constraints"] = (Header + "public sealed class Box<T> where T : struct { }\npublic abstract class B { public abstract Task<Box<T>> GetAsync<T>(T id) where T : struct; }\npublic partial class C : B\n{\n[SingleFlight] public override partial Task<Box<T>> GetAsync<T>(T id);\nprivate Task<Box<T>> GetCoreAsync<T>(T id) where T : struct => Task.FromResult(new Box<T>());\n}", 1),
        ["new modifier"] = (Header + "public class B { public Task<int> GetAsync(int id) => Task.FromResult(id); }\npublic partial class C : B\n{\n[SingleFlight] public new partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);\n}", 1),
        ["partial core"] = (InClass("[SingleFlight(KeyFrom = \"id\")] public partial Task<int> GetAsync(int id);\nprivate partial Task<int> GetCoreAsync(int id);\nprivate partial Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), 1),

        // Batch methods (a collection of keys, a dictionary by key) and batched single-key methods (BatchWindowMilliseconds).
        ["batch of an unknown element type"] = (InClass("[SingleFlight] public partial Task<IReadOnlyDictionary<Nope, int>> GetAsync(IReadOnlyCollection<Nope> ids);\nprivate Task<IReadOnlyDictionary<Nope, int>> GetCoreAsync(IReadOnlyCollection<Nope> ids) => null!;"), 0),
        ["batch of an unknown value type"] = (InClass("[SingleFlight] public partial Task<IReadOnlyDictionary<int, Nope>> GetAsync(int[] ids);\nprivate Task<IReadOnlyDictionary<int, Nope>> GetCoreAsync(int[] ids) => null!;"), 0),
        ["batch without a core"] = (InClass("[SingleFlight] public partial Task<IReadOnlyDictionary<int, string>> GetAsync(IReadOnlyCollection<int> ids);"), 1),
        ["batch core returning a list"] = (InClass("[SingleFlight] public partial Task<IReadOnlyDictionary<int, string>> GetAsync(IReadOnlyCollection<int> ids);\nprivate Task<List<string>> GetCoreAsync(IReadOnlyCollection<int> ids) => null!;"), 1),
        ["batch core with an unknown return type"] = (InClass("[SingleFlight] public partial Task<IReadOnlyDictionary<int, string>> GetAsync(IReadOnlyCollection<int> ids);\nprivate Task<Nope> GetCoreAsync(IReadOnlyCollection<int> ids) => null!;"), 1),
        ["batch with another key part"] = (InClass("[SingleFlight] public partial Task<IReadOnlyDictionary<int, string>> GetAsync(string tenant, IReadOnlyCollection<int> ids);\nprivate Task<IReadOnlyDictionary<int, string>> GetCoreAsync(string tenant, IReadOnlyCollection<int> ids) => null!;"), 1),
        ["batch with a broken KeyFrom"] = (InClass("[SingleFlight(KeyFrom = \"ids +\")] public partial Task<IReadOnlyDictionary<int, string>> GetAsync(IReadOnlyCollection<int> ids);\nprivate Task<IReadOnlyDictionary<int, string>> GetCoreAsync(IReadOnlyCollection<int> ids) => null!;"), 1),
        ["batch with an in parameter and a struct instance"] = (Header + "public partial struct S\n{\n[SingleFlight] public partial Task<IReadOnlyDictionary<int, string>> GetAsync(int[] ids, [NotKey] in Guid trace);\nprivate Task<IReadOnlyDictionary<int, string>> GetCoreAsync(int[] ids, in Guid trace) => null!;\n}", 1),
        ["batch with nullable annotations off"] = (Header + "#nullable disable\npublic partial class N\n{\n[SingleFlight] public partial Task<Dictionary<string, object>> GetAsync(ISet<string> names);\nprivate Task<IDictionary<string, object>> GetCoreAsync(ISet<string> names) => null;\n}", 1),
        ["batch in a generic type"] = (Header + "public partial class Repo<T> where T : class\n{\n[SingleFlight(Scope = SingleFlightScope.Instance)] public partial ValueTask<IReadOnlyDictionary<long, T>> GetAsync(List<long> ids, CancellationToken cancellationToken);\nprivate ValueTask<IReadOnlyDictionary<long, T>> GetCoreAsync(List<long> ids, CancellationToken cancellationToken) => default;\n}", 1),
        ["batch with a parameter named like a generated local"] = (InClass("[SingleFlight] public partial Task<IReadOnlyDictionary<int, string>> GetAsync(IReadOnlyList<int> __keys, [NotKey] int __self, CancellationToken __flightToken);\nprivate Task<IReadOnlyDictionary<int, string>> GetCoreAsync(IReadOnlyList<int> __keys, int __self, CancellationToken __flightToken) => null!;"), 1),
        ["batch with parameters named like the generated locals"] = (InClass("[SingleFlight] public partial Task<Dictionary<int, string>> GetAsync(int[] __keys, [NotKey] string __result, [NotKey] string flight, [NotKey] string values, [NotKey] string copy, [NotKey] string pair, [NotKey] string __scope);\nprivate Task<IDictionary<int, string>> GetCoreAsync(int[] __keys, string __result, string flight, string values, string copy, string pair, string __scope) => null!;"), 1),
        ["batched without a core"] = (InClass("[SingleFlight(BatchWindowMilliseconds = 1)] public partial Task<string> GetAsync(int id);"), 1),
        ["batched with a single-key core"] = (InClass("[SingleFlight(BatchWindowMilliseconds = 1)] public partial Task<string> GetAsync(int id);\nprivate Task<string> GetCoreAsync(int id) => null!;"), 1),
        ["batched with a window of zero"] = (InClass("[SingleFlight(BatchWindowMilliseconds = 0)] public partial Task<string> GetAsync(int id);\nprivate Task<IReadOnlyDictionary<int, string>> GetCoreAsync(IReadOnlyCollection<int> ids) => null!;"), 1),
        ["batched with a window that is not an int"] = (InClass("[SingleFlight(BatchWindowMilliseconds = \"1\")] public partial Task<string> GetAsync(int id);\nprivate Task<IReadOnlyDictionary<int, string>> GetCoreAsync(IReadOnlyCollection<int> ids) => null!;"), 0),
        ["batched with a negative size"] = (InClass("[SingleFlight(BatchWindowMilliseconds = 1, MaxBatchSize = -3)] public partial Task<string> GetAsync(int id);\nprivate Task<IReadOnlyDictionary<int, string>> GetCoreAsync(IReadOnlyCollection<int> ids) => null!;"), 1),
        ["batched Task without a value"] = (InClass("[SingleFlight(BatchWindowMilliseconds = 1)] public partial Task RunAsync(int id);\nprivate Task<IReadOnlyDictionary<int, string>> RunCoreAsync(IReadOnlyCollection<int> ids) => null!;"), 1),
        ["batched without parameters"] = (InClass("[SingleFlight(BatchWindowMilliseconds = 1)] public partial Task<string> GetAsync();\nprivate Task<IReadOnlyDictionary<int, string>> GetCoreAsync(IReadOnlyCollection<int> ids) => null!;"), 1),
        ["batched with a bound KeyFrom"] = (InClass("[SingleFlight(BatchWindowMilliseconds = 1, KeyFrom = \"id + 1\")] public partial Task<string> GetAsync(int id);\nprivate Task<IReadOnlyDictionary<int, string>> GetCoreAsync(IReadOnlyCollection<int> ids) => null!;"), 1),
        ["batched with a member path KeyFrom in a struct"] = (Header + "public readonly record struct Ref(int Id);\npublic partial struct S\n{\n[SingleFlight(BatchWindowMilliseconds = 1, KeyFrom = \"r.Id\")] public partial ValueTask<string?> GetAsync(Ref r, CancellationToken cancellationToken);\nprivate Task<IReadOnlyDictionary<int, string>> GetCoreAsync(IEnumerable<int> ids, CancellationToken cancellationToken) => null!;\n}", 1),
        ["batched nullable value type"] = (InClass("[SingleFlight(BatchWindowMilliseconds = 1)] public static partial Task<int?> GetAsync(int id);\nprivate static Task<Dictionary<int, int?>> GetCoreAsync(IReadOnlyList<int> ids) => null!;"), 1),
        ["batched distributed without the Redis package"] = (InClass("[SingleFlight(BatchWindowMilliseconds = 1, Distributed = true)] public partial Task<string> GetAsync(int id);\nprivate Task<IReadOnlyDictionary<int, string>> GetCoreAsync(IReadOnlyCollection<int> ids) => null!;"), 1),
        ["max batch size alone on a single-key method"] = (InClass("[SingleFlight(MaxBatchSize = 4)] public partial Task<string> GetAsync(int id);\nprivate Task<string> GetCoreAsync(int id) => null!;"), 1),

        // Distributed = true, compiled without the SingleFlight.Redis package: generated in-process (SF0010 says why).
        ["distributed without the Redis package"] = (InClass("[SingleFlight(Distributed = true)] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), 1),
        ["distributed from a constant"] = (InClass("private const bool On = true;\n[SingleFlight(KeyFrom = \"id\", Distributed = On)] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), 1),
        ["distributed with a non-bool value"] = (InClass("[SingleFlight(Distributed = 1)] public partial Task<int> GetAsync(int id);\nprivate Task<int> GetCoreAsync(int id) => Task.FromResult(id);"), 0),
        ["distributed false on a blocking generic method"] = (InClass("[SingleFlight(Distributed = false)] public partial T Get<T>(object key) where T : new();\nprivate T GetCore<T>(object key) where T : new() => new T();"), 1),
    };
}
