using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using SingleFlight.Analyzer.Tests.Infrastructure;
using static SingleFlight.Analyzer.Tests.Infrastructure.Source;

namespace SingleFlight.Analyzer.Tests;

/// <summary>SF0001–SF0003: declarations the generator cannot implement. Reported on the method's name.</summary>
public sealed class ShapeDiagnosticTests
{
    // ---- SF0001 ------------------------------------------------------------------------------------------

    [Fact]
    public Task SF0001_method_with_a_body() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(KeyFrom = "id")]
            public Task<int> {|#0:GetAsync|}(int id) => Task.FromResult(id);
            """),
        new DiagnosticResult("SF0001", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "'GetAsync' is not partial: the generator implements [SingleFlight] methods, so 'GetAsync' must be a partial declaration without a body. Make it partial and move its body into 'GetCoreAsync' (the code fix does both)."));

    [Fact]
    public Task SF0001_containing_type_not_partial() => AnalyzerTest.VerifyAsync(
        Usings + """
            public class {|#1:Repo|}
            {
                [SingleFlight(KeyFrom = "id")]
                public partial Task<int> {|#0:GetAsync|}(int id);
                private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            }
            """,
        new DiagnosticResult("SF0001", DiagnosticSeverity.Error).WithLocation(0).WithLocation(1).WithMessage(
            "'Repo' is not partial: the generator adds the implementation of 'GetAsync' in a partial part of every containing type. Add 'partial' to 'Repo'."));

    [Fact]
    public Task SF0001_outer_type_not_partial() => AnalyzerTest.VerifyAsync(
        Usings + """
            public class {|#1:Outer|}
            {
                public partial class Inner
                {
                    [SingleFlight]
                    public partial Task<int> {|#0:GetAsync|}(int id);
                    private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
                }
            }
            """,
        new DiagnosticResult("SF0001", DiagnosticSeverity.Error).WithLocation(0).WithLocation(1));

    [Fact]
    public Task SF0001_partial_method_that_already_has_a_body() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<int> GetAsync(int id);
            public partial Task<int> GetAsync(int id) => Task.FromResult(id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            """).Replace("public partial Task<int> GetAsync(int id);", "public partial Task<int> {|SF0001:GetAsync|}(int id);"));

    [Fact]
    public Task SF0001_not_for_partial_declarations_in_partial_types() => AnalyzerTest.VerifyAsync(
        Usings + """
            public static partial class Outer
            {
                internal partial struct Inner
                {
                    [SingleFlight]
                    public partial Task<int> GetAsync(int id);
                    private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
                }
            }
            """);

    [Fact]
    public Task SF0001_not_for_methods_without_the_attribute() => AnalyzerTest.VerifyAsync(
        Usings + """
            public class Repo
            {
                [Obsolete]
                public Task<int> GetAsync(int id) => Task.FromResult(id);
            }
            """);

    // ---- SF0002 ------------------------------------------------------------------------------------------

    [Fact]
    public Task SF0002_core_missing() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<int> {|#0:GetUserAsync|}(int id, CancellationToken cancellationToken);
            """),
        new DiagnosticResult("SF0002", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "'C' has no core method 'GetUserCoreAsync' for 'GetUserAsync': add 'Task<int> GetUserCoreAsync(int id, CancellationToken cancellationToken)' and put the work there (the code fix adds a stub)."));

    [Fact]
    public Task SF0002_core_has_another_parameter_type() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<int> {|#0:GetAsync|}(int id);
            private Task<int> {|#1:GetCoreAsync|}(long id) => Task.FromResult((int)id);
            """),
        new DiagnosticResult("SF0002", DiagnosticSeverity.Error).WithLocation(0).WithLocation(1).WithMessage(
            "The core method 'Task<int> C.GetCoreAsync(long id)' does not match 'GetAsync': it must be 'Task<int> GetCoreAsync(int id)', with the same parameters (and their nullability), return type, static-ness and type parameters."));

    [Fact]
    public Task SF0002_core_nullability_mismatch() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<string> {|#0:GetAsync|}(string? name);
            private Task<string?> {|#1:GetCoreAsync|}(string? name) => Task.FromResult(name);
            """),
        new DiagnosticResult("SF0002", DiagnosticSeverity.Error).WithLocation(0).WithLocation(1).WithMessage(
            "The core method 'Task<string?> C.GetCoreAsync(string? name)' does not match 'GetAsync': it must be 'Task<string> GetCoreAsync(string? name)', with the same parameters (and their nullability), return type, static-ness and type parameters."));

    [Fact]
    public Task SF0002_core_static_mismatch() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public static partial int {|#0:Get|}(int id);
            private int {|#1:GetCore|}(int id) => id;
            """),
        new DiagnosticResult("SF0002", DiagnosticSeverity.Error).WithLocation(0).WithLocation(1));

    [Fact]
    public Task SF0002_core_without_body_and_KeyFrom() => AnalyzerTest.VerifyAsync(
        Usings + """
            public abstract partial class C
            {
                [SingleFlight(KeyFrom = "id + 1")]
                public partial Task<int> {|SF0002:GetAsync|}(int id);
                protected abstract Task<int> GetCoreAsync(int id);
            }
            """);

    [Fact]
    public Task SF0002_not_for_a_matching_core_of_any_accessibility_or_in_another_part() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<int> GetAsync(int id);
            protected internal virtual Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            [SingleFlight]
            public static partial void Run(string name);
            """) + "public partial class C { private static void RunCore(string name) { } }");

    [Theory]
    [InlineData("[SingleFlight]")]
    [InlineData("[SingleFlight(KeyFrom = \"id\")]")]
    public Task SF0002_not_for_an_abstract_core_with_a_parameter_key(string attribute) => AnalyzerTest.VerifyAsync(
        Usings + $$"""
            public abstract partial class C
            {
                {{attribute}}
                public partial Task<int> GetAsync(int id);
                protected abstract Task<int> GetCoreAsync(int id);
            }
            """);

    // ---- SF0003 ------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("ref")]
    [InlineData("out")]
    [InlineData("ref readonly")]
    public Task SF0003_by_reference_parameter(string kind) => AnalyzerTest.VerifyAsync(
        InClass($$"""
            [SingleFlight]
            public partial int Get({{kind}} int {|#0:id|});
            private int GetCore({{kind}} int id) => throw null!;
            """),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            $"Parameter 'id' of 'Get' is passed by '{kind}': callers that share a flight cannot each get a value written back. Pass it by value, or drop [SingleFlight]."));

    [Fact]
    public Task SF0003_in_parameter_is_fine() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial int Get(in int id);
            private int GetCore(in int id) => id;
            """));

    [Fact]
    public Task SF0003_ref_return() => AnalyzerTest.VerifyAsync(
        InClass("""
            private int _v;
            [SingleFlight]
            public partial ref int {|SF0003:Get|}(int id);
            private ref int GetCore(int id) => ref _v;
            """));

    [Fact]
    public Task SF0003_type_parameter_that_allows_ref_struct() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<int> {|#0:Get|}<T>(T value) where T : allows ref struct;
            private Task<int> GetCore<T>(T value) where T : allows ref struct => Task.FromResult(0);
            """),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "Type parameter 'T' of 'Get' allows ref struct: a flight keeps its arguments and shares its result, which a ref struct cannot be. Remove 'allows ref struct', or drop [SingleFlight]."));

    [Fact]
    public Task SF0003_iterator_core() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial IEnumerable<int> {|SF0003:Get|}(int id);
            private IEnumerable<int> GetCore(int id) { yield return id; }
            """));

    [Fact]
    public Task SF0003_enumerable_without_yield_is_fine() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial IEnumerable<int> Get(int id);
            private IEnumerable<int> GetCore(int id) => new[] { id };
            """));

    [Fact]
    public Task SF0003_async_stream() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial IAsyncEnumerable<int> {|SF0003:GetAsync|}(int id);
            private async IAsyncEnumerable<int> GetCoreAsync(int id) { await Task.Yield(); yield return id; }
            """));

    [Fact]
    public Task SF0003_async_void() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial void {|#0:Run|}(int id);
            private async void RunCore(int id) => await Task.Yield();
            """),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "'RunCore' is async void: the wrapper of 'Run' could not wait for it, so joiners would not get its outcome. Return Task (or ValueTask) from both methods."));

    [Fact]
    public Task SF0003_sync_void_is_fine() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial void Run(int id);
            private void RunCore(int id) { }
            """));

    [Fact]
    public Task SF0003_explicit_interface_implementation() => AnalyzerTest.VerifyAsync(
        Usings + """
            public interface IRepo { Task<int> GetAsync(int id); }
            public partial class C : IRepo
            {
                [SingleFlight]
                partial Task<int> IRepo.{|SF0003:GetAsync|}(int id);
                private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            }
            """);

    [Fact]
    public Task SF0003_span_parameter() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial int Get(ReadOnlySpan<char> {|SF0003:name|});
            private int GetCore(ReadOnlySpan<char> name) => name.Length;
            """));

    [Theory]
    [InlineData("public partial struct C", "")]
    [InlineData("public partial record C", "")]
    [InlineData("public partial class C", "static ")]
    public Task SF0003_instance_scope_where_no_instance_group_can_exist(string type, string isStatic) => AnalyzerTest.VerifyAsync(
        Usings + $$"""
            {{type}}
            {
                [SingleFlight(Scope = SingleFlightScope.Instance)]
                public {{isStatic}}partial Task<int> {|SF0003:GetAsync|}(int id);
                private {{isStatic}}Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            }
            """);

    [Fact]
    public Task SF0003_instance_scope_on_a_class_is_fine() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(Scope = SingleFlightScope.Instance)]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            """));

    [Fact]
    public Task SF0003_local_function_and_lambda() => AnalyzerTest.VerifyAsync(
        InClass("""
            public int M()
            {
                [SingleFlight] static int {|#0:F|}(int x) => x;
                Func<int, int> g = [{|#1:SingleFlight|}] (int x) => x;
                return F(1) + g(2);
            }
            """),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "[SingleFlight] on local function 'F' has no effect: the generator only implements partial methods of classes and structs. Move the work into a partial method of the containing type."),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(1));

    [Fact]
    public Task SF0003_undefined_scope_value() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(Scope = {|SF0003:(SingleFlightScope)7|})]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            """));

    [Fact]
    public Task SF0003_deadline_of_zero_or_less() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(DeadlineMilliseconds = {|#0:0|})]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            [SingleFlight(KeyFrom = "id", DeadlineMilliseconds = {|#1:-5000|})]
            public partial int Get(int id);
            private int GetCore(int id) => id;
            """),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "DeadlineMilliseconds of 'GetAsync' is 0: a deadline is a positive number of milliseconds. Leave the argument out for no deadline."),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(1).WithMessage(
            "DeadlineMilliseconds of 'Get' is -5000: a deadline is a positive number of milliseconds. Leave the argument out for no deadline."));

    [Fact]
    public Task SF0003_share_window_of_zero_or_less() => AnalyzerTest.VerifyAsync(
        InClass("""
            private const int Window = -1;
            [SingleFlight(DeadlineMilliseconds = 1000, ShareForMilliseconds = {|#0:Window|})]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            """),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "ShareForMilliseconds of 'GetAsync' is -1: a share window is a positive number of milliseconds. Leave the argument out to keep nothing once a flight ends."));

    [Fact]
    public Task Positive_lifetime_options_are_accepted() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(DeadlineMilliseconds = int.MaxValue, ShareForMilliseconds = 1)]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            [SingleFlight(ShareForMilliseconds = 500, Scope = SingleFlightScope.Instance)]
            public partial void Touch(int id);
            private void TouchCore(int id) { }
            """));

    [Fact]
    public Task Compiler_errors_are_left_to_the_compiler() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<Nope> GetAsync(int id);
            private Task<Nope> GetCoreAsync(int id) => null!;
            [SingleFlight(Nope = 1)]
            public partial Task<int> OtherAsync(int id);
            private Task<int> OtherCoreAsync(int id) => Task.FromResult(id);
            """));
}
