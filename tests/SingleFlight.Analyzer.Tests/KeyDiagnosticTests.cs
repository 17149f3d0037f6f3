using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using SingleFlight.Analyzer.Tests.Infrastructure;
using static SingleFlight.Analyzer.Tests.Infrastructure.Source;

namespace SingleFlight.Analyzer.Tests;

/// <summary>SF0004–SF0009: located on the part of the KeyFrom string at fault.</summary>
public sealed class KeyDiagnosticTests
{
    private static DiagnosticResult Warning(string id, int location) => new DiagnosticResult(id, DiagnosticSeverity.Warning).WithLocation(location);

    // ---- SF0004 ------------------------------------------------------------------------------------------

    [Fact]
    public Task SF0004_unknown_name_with_suggestion() => AnalyzerTest.VerifyAsync(
        Method("\"tenant, {|#0:usrId|}\"", "string tenant, int userId"),
        new DiagnosticResult("SF0004", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "KeyFrom names 'usrId', which is not a parameter of 'GetAsync'. Did you mean 'userId'?"));

    [Fact]
    public Task SF0004_unknown_name_without_close_parameter() => AnalyzerTest.VerifyAsync(
        Method("\"{|#0:zzzzzz|}\"", "int id, string name"),
        new DiagnosticResult("SF0004", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "KeyFrom names 'zzzzzz', which is not a parameter of 'GetAsync'. Its parameters are: id, name."));

    [Fact]
    public Task SF0004_location_survives_escapes_before_the_name() => AnalyzerTest.VerifyAsync(
        Method("\"name == \\\"a\\\" ? id : {|SF0004:idd|}\"", "int id, string name"));

    [Fact]
    public Task SF0004_location_in_a_verbatim_string() => AnalyzerTest.VerifyAsync(
        Method("@\"name == \"\"a\"\" ? id : {|SF0004:idd|}\"", "int id, string name"));

    [Fact]
    public Task SF0004_location_in_a_raw_string() => AnalyzerTest.VerifyAsync(
        Method("\"\"\"name == \"a\" ? id : {|SF0004:idd|}\"\"\"", "int id, string name"));

    [Fact]
    public Task SF0004_location_after_unicode_escapes() => AnalyzerTest.VerifyAsync(
        Method("\"name == \\\"\\u00e9\\U0001F600\\\" ? id : {|SF0004:idd|}\"", "int id, string name"));

    [Fact]
    public Task SF0004_location_in_a_multi_line_raw_string() => AnalyzerTest.VerifyAsync(
        InClass(""""
            [SingleFlight(KeyFrom = """
                name,
                {|SF0004:idd|}
                """)]
            public partial Task<int> GetAsync(int id, string name);
            private Task<int> GetCoreAsync(int id, string name) => Task.FromResult(id);
            """"));

    [Fact]
    public Task SF0004_on_the_whole_expression_when_KeyFrom_is_a_constant() => AnalyzerTest.VerifyAsync(
        InClass("""
            private const string Key = "idd";
            [SingleFlight(KeyFrom = {|SF0004:Key|})]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            """));

    [Fact]
    public Task SF0004_member_that_does_not_exist() => AnalyzerTest.VerifyAsync(
        Method("\"id.{|SF0004:Nope|}\"", "int id"));

    [Fact]
    public Task SF0004_syntax_error() => AnalyzerTest.VerifyAsync(
        Method("\"id +{|SF0004:|}\"", "int id"));

    [Fact]
    public Task SF0004_core_parameter_name_is_not_a_parameter_of_the_wrapper() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(KeyFrom = "{|SF0004:x|}")]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int x) => Task.FromResult(x);
            """));

    [Fact]
    public Task SF0004_void_expression() => AnalyzerTest.VerifyAsync(
        Method("\"{|SF0004:Console.WriteLine()|}\"", "int id"));

    [Fact]
    public Task SF0004_not_for_nameof_members_and_static_helpers() => AnalyzerTest.VerifyAsync(
        Method("nameof(id)", "int id") + "\n" + InClass("""
            private static string Normalize(string s) => s.Trim();
            [SingleFlight(KeyFrom = "Normalize(name), id.ToString(CultureInfo.InvariantCulture)")]
            public partial Task<int> FindAsync(string name, int id);
            private Task<int> FindCoreAsync(string name, int id) => Task.FromResult(id);
            """).Replace(Usings, string.Empty));

    // ---- SF0005 ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("{|#0:DateTime.Now|}")]
    [InlineData("{|#0:System.DateTime.UtcNow|}")]
    [InlineData("{|#0:DateTime.Today|}.Ticks")]
    [InlineData("{|#0:DateTimeOffset.UtcNow|}")]
    [InlineData("{|#0:Guid.NewGuid()|}")]
    [InlineData("{|#0:Guid.NewGuid()|}.ToString()")]
    [InlineData("{|#0:new Random()|}.Next()")]
    [InlineData("{|#0:Random.Shared|}.Next()")]
    [InlineData("{|#0:Environment.TickCount64|}")]
    [InlineData("{|#0:System.Diagnostics.Stopwatch.GetTimestamp()|}")]
    [InlineData("{|#0:System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(name)|}")]
    public Task SF0005_non_deterministic_apis(string key)
        => AnalyzerTest.VerifyAsync(Method($"\"{key}, name\"", "string name"), Warning("SF0005", 0));

    [Fact]
    public Task SF0005_time_provider_and_stopwatch() => AnalyzerTest.VerifyAsync(
        Method("\"{|SF0005:TimeProvider.System.GetUtcNow()|}, {|SF0005:System.Diagnostics.Stopwatch.StartNew()|}.ElapsedTicks, id\"", "int id"));

    [Fact]
    public Task SF0005_not_for_look_alikes_of_the_listed_apis() => AnalyzerTest.VerifyAsync(
        Method(
            "\"Guid.Parse(id), DateTime.Parse(day, CultureInfo.InvariantCulture), Clock.Now, random.Next, DateTime.MaxValue\"",
            "string id, string day, Random random",
            "public static class Clock { public static int Now => 1; }\npublic sealed record Random(int Next);"));

    [Fact]
    public Task SF0005_through_using_static() => AnalyzerTest.VerifyAsync(
        "using static System.DateTime;\n" + Method("\"{|#0:Now|}.Ticks, id\"", "int id"),
        new DiagnosticResult("SF0005", DiagnosticSeverity.Warning).WithLocation(0).WithMessage(
            "Key expression 'Now' reads the clock: two calls with the same arguments get different keys and never share a flight. Key on the method's arguments only."));

    [Fact]
    public Task SF0005_identity_hash_code() => AnalyzerTest.VerifyAsync(
        Method("\"{|SF0005:options.GetHashCode()|}\"", "Options options", "public sealed class Options { public int Size { get; set; } }"));

    [Fact]
    public Task SF0005_not_for_hash_codes_of_value_types_and_records() => AnalyzerTest.VerifyAsync(
        Method("\"id.GetHashCode(), point.GetHashCode()\"", "int id, Point point", "public sealed record Point(int X, int Y);"));

    [Fact]
    public Task SF0005_new_object_that_compares_by_reference() => AnalyzerTest.VerifyAsync(
        Method("\"{|SF0005:new Options { Size = size }|}\"", "int size", "public sealed class Options { public int Size { get; set; } }"));

    [Fact]
    public Task SF0005_not_for_new_records_or_intermediate_objects() => AnalyzerTest.VerifyAsync(
        Method("\"new Point(x, y), new System.Text.StringBuilder().Append(x).ToString()\"", "int x, int y", "public sealed record Point(int X, int Y);"));

    [Theory]
    [InlineData("{|#0:price.ToString()|}", "decimal price")]
    [InlineData("{|#0:ratio.ToString(\\\"F2\\\")|}", "double ratio")]
    [InlineData("{|#0:when.ToString()|}", "DateTime when")]
    [InlineData("$\\\"p{|#0:{price}|}\\\"", "decimal price")]
    [InlineData("\\\"p\\\" + {|#0:price|}", "decimal price")]
    [InlineData("{|#0:string.Format(\\\"{0}\\\", price)|}", "decimal price")]
    [InlineData("{|#0:Convert.ToString(price)|}", "decimal price")]
    public Task SF0005_culture_sensitive_formatting(string key, string parameters) => AnalyzerTest.VerifyAsync(
        Method($"\"{key}\"", parameters),
        new DiagnosticResult("SF0005", DiagnosticSeverity.Warning).WithLocation(0));

    [Theory]
    [InlineData("price.ToString(CultureInfo.InvariantCulture)", "decimal price")]
    [InlineData("ratio.ToString(\\\"F2\\\", CultureInfo.InvariantCulture)", "double ratio")]
    [InlineData("when.ToString(\\\"O\\\", CultureInfo.InvariantCulture)", "DateTime when")]
    [InlineData("FormattableString.Invariant($\\\"p{price}\\\")", "decimal price")]
    [InlineData("string.Create(CultureInfo.InvariantCulture, $\\\"p{price}\\\")", "decimal price")]
    [InlineData("id.ToString()", "int id")]
    [InlineData("$\\\"user-{id}\\\"", "int id")]
    [InlineData("kind.ToString()", "DayOfWeek kind")]
    [InlineData("price", "decimal price")]
    [InlineData("when", "DateTime when")]
    public Task SF0005_not_for_invariant_formatting_or_plain_values(string key, string parameters) => AnalyzerTest.VerifyAsync(
        Method($"\"{key}\"", parameters));

    // ---- SF0006 ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("Options options")]
    [InlineData("int[] ids")]
    [InlineData("Func<int> factory")]
    [InlineData("Task<int> pending")]
    [InlineData("IComparable value")]
    [InlineData("object value")]
    [InlineData("List<int> ids")]
    public Task SF0006_reference_equality_part(string parameter)
    {
        var name = parameter.Split(' ')[1];

        // A whole key that is a collection of keys, with a result that is not a dictionary by key: SF0015 as well.
        if (parameter.StartsWith("int[]", StringComparison.Ordinal) || parameter.StartsWith("List<", StringComparison.Ordinal))
        {
            return AnalyzerTest.VerifyAsync(
                Method($"\"{{|#0:{name}|}}\"", parameter.Replace(" " + name, " {|#1:" + name + "|}", StringComparison.Ordinal), "public sealed class Options { public int Size { get; set; } }"),
                Warning("SF0006", 0),
                Warning("SF0015", 1));
        }

        return AnalyzerTest.VerifyAsync(
            Method($"\"{{|#0:{name}|}}\"", parameter, "public sealed class Options { public int Size { get; set; } }"),
            Warning("SF0006", 0));
    }

    [Fact]
    public Task SF0006_message() => AnalyzerTest.VerifyAsync(
        Method("\"{|#0:options|}\"", "Options options", "public sealed class Options { public int Size { get; set; } }"),
        Warning("SF0006", 0).WithMessage(
            "Key part 'options' has type 'Options', which is a class that neither overrides Equals(object) nor implements IEquatable<T>: equal values from different callers never share a flight. Key on value members (such as an id), or give the type value equality (a record, or Equals and GetHashCode overrides)."));

    [Fact]
    public Task SF0006_tuple_element_by_element() => AnalyzerTest.VerifyAsync(
        Method("\"{|#0:(id, options)|}\"", "int id, Options options", "public sealed class Options { public int Size { get; set; } }"),
        Warning("SF0006", 0).WithMessage(
            "Key part '(id, options)' has type '(int id, Options options)' (element type 'Options'), which is a class that neither overrides Equals(object) nor implements IEquatable<T>: equal values from different callers never share a flight. Key on value members (such as an id), or give the type value equality (a record, or Equals and GetHashCode overrides)."));

    [Fact]
    public Task SF0006_default_key_parameter() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<int> GetAsync(int id, int[] {|SF0006:tags|}, CancellationToken cancellationToken);
            private Task<int> GetCoreAsync(int id, int[] tags, CancellationToken cancellationToken) => Task.FromResult(id);
            """));

    [Fact]
    public Task SF0006_not_for_value_types_records_strings_and_equatable_classes() => AnalyzerTest.VerifyAsync(
        Method(
            "\"id, name, point, key, day, moment, (id, name), options.Size, equatable, overrides, uri, version, tuple\"",
            "int id, string name, Point point, Key key, DayOfWeek day, DateTimeOffset moment, Options options, Equatable equatable, Overrides overrides, Uri uri, Version version, Tuple<int, string> tuple",
            """
            public sealed record Point(int X, int Y);
            public readonly record struct Key(string Tenant, int Id);
            public sealed class Options { public int Size { get; set; } }
            public sealed class Equatable : IEquatable<Equatable> { public bool Equals(Equatable? other) => true; public override int GetHashCode() => 0; public override bool Equals(object? obj) => obj is Equatable; }
            public class OverridesBase { public override bool Equals(object? obj) => true; public override int GetHashCode() => 0; }
            public sealed class Overrides : OverridesBase { }
            """));

    // An Equals(object) override that only calls base.Equals is reference equality (EF Core's DbContext, DbSet<T>,
    // DatabaseFacade do this to hide the method from IntelliSense).

    private const string DisguisedInSource = """
        public class Context { public override bool Equals(object? obj) => base.Equals(obj); public override int GetHashCode() => base.GetHashCode(); }
        public sealed class AppContext : Context { }
        public sealed class Blocky { public override bool Equals(object? other) { return (base.Equals(other)); } public override int GetHashCode() => 0; }
        """;

    [Theory]
    [InlineData("Context context")]
    [InlineData("AppContext context")]
    [InlineData("Blocky blocky")]
    public Task SF0006_an_Equals_override_in_source_that_only_calls_base(string parameter)
    {
        var name = parameter.Split(' ')[1];
        return AnalyzerTest.VerifyAsync(Method($"\"{{|#0:{name}|}}\"", parameter, DisguisedInSource), Warning("SF0006", 0));
    }

    [Fact]
    public Task SF0006_message_for_an_override_that_only_calls_base() => AnalyzerTest.VerifyAsync(
        Method("\"{|#0:context|}\"", "AppContext context", DisguisedInSource),
        Warning("SF0006", 0).WithMessage(
            "Key part 'context' has type 'AppContext', which is a class whose Equals(object) override (in 'Context') only defers to object.Equals, which compares references: equal values from different callers never share a flight. Key on value members (such as an id), or give the type value equality (a record, or Equals and GetHashCode overrides)."));

    [Fact]
    public Task SF0006_not_for_overrides_that_compare_values_or_defer_to_a_base_that_does() => AnalyzerTest.VerifyAsync(
        Method(
            "\"money, checkedMoney, derived, other\"",
            "Money money, CheckedMoney checkedMoney, Derived derived, OtherParameter other",
            """
            public class Money { public decimal Amount { get; init; } public override bool Equals(object? obj) => obj is Money m && m.Amount == Amount; public override int GetHashCode() => Amount.GetHashCode(); }
            public sealed class CheckedMoney : Money { public override bool Equals(object? obj) => base.Equals(obj) && obj is CheckedMoney; public override int GetHashCode() => base.GetHashCode(); }
            public sealed class Derived : Money { public override bool Equals(object? obj) => base.Equals(obj); public override int GetHashCode() => base.GetHashCode(); }
            public sealed class OtherParameter { public static readonly object Shared = new(); public override bool Equals(object? obj) => base.Equals(Shared); public override int GetHashCode() => 0; }
            """));

    /// <summary>Types from a referenced assembly: no syntax to read, so the rule is the attribute and a known-type list.</summary>
    private static readonly Lazy<MetadataReference> s_vendorAssembly = new(static () =>
    {
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create(
            "Vendor",
            [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("""
                using System.ComponentModel;

                namespace Microsoft.EntityFrameworkCore
                {
                    // Shaped like EF Core's (no [EditorBrowsable] here: these are recognised by name).
                    public class DbContext { public override bool Equals(object? obj) => base.Equals(obj); public override int GetHashCode() => base.GetHashCode(); }
                    public abstract class DbSet<TEntity> where TEntity : class { public override bool Equals(object? obj) => base.Equals(obj); public override int GetHashCode() => base.GetHashCode(); }
                }

                namespace Microsoft.EntityFrameworkCore.Infrastructure
                {
                    public class DatabaseFacade { public override bool Equals(object? obj) => base.Equals(obj); public override int GetHashCode() => base.GetHashCode(); }
                }

                namespace Vendor
                {
                    public class Hidden { [EditorBrowsable(EditorBrowsableState.Never)] public override bool Equals(object? obj) => base.Equals(obj); [EditorBrowsable(EditorBrowsableState.Never)] public override int GetHashCode() => base.GetHashCode(); }
                    public sealed class Session : Hidden { }
                    public sealed class HiddenWithOperator
                    {
                        public int Id { get; init; }
                        [EditorBrowsable(EditorBrowsableState.Never)] public override bool Equals(object? obj) => obj is HiddenWithOperator h && h.Id == Id;
                        public override int GetHashCode() => Id;
                        public static bool operator ==(HiddenWithOperator? a, HiddenWithOperator? b) => Equals(a, b);
                        public static bool operator !=(HiddenWithOperator? a, HiddenWithOperator? b) => !Equals(a, b);
                    }
                    public sealed class HiddenEquatable : System.IEquatable<HiddenEquatable>
                    {
                        public int Id { get; init; }
                        [EditorBrowsable(EditorBrowsableState.Never)] public override bool Equals(object? obj) => Equals(obj as HiddenEquatable);
                        public bool Equals(HiddenEquatable? other) => other is not null && other.Id == Id;
                        public override int GetHashCode() => Id;
                    }
                    public sealed class Visible { public int Id { get; init; } public override bool Equals(object? obj) => obj is Visible v && v.Id == Id; public override int GetHashCode() => Id; }
                }
                """, TestReferences.ParseOptions)],
            Basic.Reference.Assemblies.Net100.References.All,
            new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: Microsoft.CodeAnalysis.NullableContextOptions.Enable));
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        return MetadataReference.CreateFromImage(stream.ToArray());
    });

    private static Task VerifyWithVendorAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest(source);
        test.TestState.AdditionalReferences.Add(s_vendorAssembly.Value);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    [Theory]
    [InlineData("Microsoft.EntityFrameworkCore.DbContext db")]
    [InlineData("AppDb db")]
    [InlineData("Microsoft.EntityFrameworkCore.DbSet<Blog> blogs")]
    [InlineData("Microsoft.EntityFrameworkCore.Infrastructure.DatabaseFacade database")]
    [InlineData("Vendor.Hidden hidden")]
    [InlineData("Vendor.Session session")]
    public Task SF0006_a_referenced_type_whose_Equals_only_hides_reference_equality(string parameter)
    {
        var name = parameter.Split(' ')[1];
        return VerifyWithVendorAsync(
            Method($"\"{{|#0:{name}|}}\"", parameter, "public sealed class AppDb : Microsoft.EntityFrameworkCore.DbContext { }\npublic sealed class Blog { }"),
            Warning("SF0006", 0));
    }

    [Fact]
    public Task SF0006_not_for_referenced_types_with_operator_IEquatable_or_a_visible_override() => VerifyWithVendorAsync(
        Method("\"withOperator, equatable, visible\"", "Vendor.HiddenWithOperator withOperator, Vendor.HiddenEquatable equatable, Vendor.Visible visible"));

    // ---- SF0007 ------------------------------------------------------------------------------------------

    [Fact]
    public Task SF0007_token_in_key() => AnalyzerTest.VerifyAsync(
        Method("\"id, {|#0:cancellationToken|}\"", "int id, CancellationToken cancellationToken"),
        Warning("SF0007", 0).WithMessage(
            "KeyFrom uses the CancellationToken 'cancellationToken': every caller has its own token, so keys never match. Remove it from KeyFrom; the core method receives the flight's own token."));

    [Fact]
    public Task SF0007_token_inside_an_expression() => AnalyzerTest.VerifyAsync(
        Method("\"id, {|SF0007:ct|}.IsCancellationRequested\"", "int id, CancellationToken ct"));

    [Fact]
    public Task SF0007_not_for_a_token_left_out_or_a_token_source_member() => AnalyzerTest.VerifyAsync(
        Method("\"id, options.Name\"", "int id, TokenOptions options, CancellationToken ct", "public sealed record TokenOptions(string Name, CancellationTokenSource Source);"));

    // ---- SF0008 ------------------------------------------------------------------------------------------

    [Fact]
    public Task SF0008_parameter_left_out() => AnalyzerTest.VerifyAsync(
        Method("\"id\"", "int id, string {|#0:tenant|}, CancellationToken cancellationToken = default"),
        new DiagnosticResult("SF0008", DiagnosticSeverity.Info).WithLocation(0).WithMessage(
            "Parameter 'tenant' of 'GetAsync' is not in KeyFrom \"id\": callers that differ only in 'tenant' share one flight and get the same result. Add 'tenant' to KeyFrom, or mark it [NotKey] if sharing is intended."));

    [Fact]
    public Task SF0008_silenced_by_naming_NotKey_or_token() => AnalyzerTest.VerifyAsync(
        Method("\"request.Tenant, id\"", "int id, Request request, [NotKey] string traceId, CancellationToken cancellationToken", "public sealed record Request(string Tenant);"));

    [Fact]
    public Task SF0008_not_for_default_key() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<int> GetAsync(int id, string tenant, CancellationToken cancellationToken);
            private Task<int> GetCoreAsync(int id, string tenant, CancellationToken cancellationToken) => Task.FromResult(id);
            """));

    // ---- SF0009 ------------------------------------------------------------------------------------------

    [Fact]
    public Task SF0009_concatenation() => AnalyzerTest.VerifyAsync(
        Method("\"{|#0:tenant + \\\":\\\" + id|}\"", "string tenant, string id"),
        Warning("SF0009", 0).WithMessage(
            "Key part 'tenant + \":\" + id' joins 2 values into one string: different arguments can produce the same key, and every call allocates. List them as separate key parts instead: KeyFrom = \"tenant, id\"."));

    [Fact]
    public Task SF0009_interpolation() => AnalyzerTest.VerifyAsync(
        Method("\"{|SF0009:$\\\"{tenant}:{id}\\\"|}\"", "string tenant, int id"));

    [Fact]
    public Task SF0009_string_concat() => AnalyzerTest.VerifyAsync(
        Method("\"{|SF0009:string.Concat(tenant, id)|}\"", "string tenant, string id"));

    [Fact]
    public Task SF0009_string_format_and_join() => AnalyzerTest.VerifyAsync(
        Method("\"{|SF0009:string.Format(\\\"{0}/{1}\\\", tenant, id)|}, {|SF0009:string.Join(\\\",\\\", tenant, id)|}\"", "string tenant, string id"));

    [Fact]
    public Task SF0009_not_for_one_value_with_a_constant_prefix_or_tuples() => AnalyzerTest.VerifyAsync(
        Method("\"\\\"user:\\\" + id, $\\\"tenant-{tenant}\\\", (tenant, id)\"", "string tenant, string id"));
}
