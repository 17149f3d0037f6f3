using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using SingleFlight.Analyzer.Tests.Infrastructure;
using static SingleFlight.Analyzer.Tests.Infrastructure.Source;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// Core methods with <c>[FromFlightScope]</c> parameters: SF0002 when the type has no single
/// <c>IServiceScopeFactory</c> to create the flight's scope from; nothing for the shapes the generator implements.
/// </summary>
public sealed class FlightScopeDiagnosticTests
{
    private const string Db = """
        using Microsoft.Extensions.DependencyInjection;

        public sealed class Db : IDisposable
        {
            public void Dispose() { }
        }

        """;

    private static string WithDb(string source) => source.Replace("namespace Users;", Db + "namespace Users;", StringComparison.Ordinal);

    [Fact]
    public Task SF0002_when_the_type_has_no_scope_factory() => AnalyzerTest.VerifyDistributedAsync(
        WithDb(InClass("""
            [SingleFlight]
            public partial Task<int> {|#0:GetAsync|}(int id);
            private static Task<int> GetCoreAsync(int id, [FromFlightScope] Db db) => Task.FromResult(id);
            """)),
        new DiagnosticResult("SF0002", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "The core method 'GetCoreAsync' has [FromFlightScope] parameters, but 'C' has no IServiceScopeFactory to create the flight's scope from: add one as a constructor parameter, field or property (Microsoft.Extensions.DependencyInjection.Abstractions)."));

    [Fact]
    public Task SF0002_when_a_static_method_has_only_an_instance_scope_factory() => AnalyzerTest.VerifyDistributedAsync(
        WithDb(InClass("""
            private readonly IServiceScopeFactory _scopes = null!;
            [SingleFlight]
            public static partial Task<int> {|#0:GetAsync|}(int id);
            private static Task<int> GetCoreAsync(int id, [FromFlightScope] Db db) => Task.FromResult(id);
            """)),
        new DiagnosticResult("SF0002", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "The core method 'GetCoreAsync' has [FromFlightScope] parameters, but 'C' has no IServiceScopeFactory to create the flight's scope from: add one in a static field or property (Microsoft.Extensions.DependencyInjection.Abstractions)."));

    [Fact]
    public Task SF0002_when_the_project_has_no_dependency_injection() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<int> {|#0:GetAsync|}(int id);
            private static Task<int> GetCoreAsync(int id, [FromFlightScope] string name) => Task.FromResult(id);
            """),
        new DiagnosticResult("SF0002", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "The core method 'GetCoreAsync' has [FromFlightScope] parameters, but 'C' has no IServiceScopeFactory to create the flight's scope from: add one as a constructor parameter, field or property (Microsoft.Extensions.DependencyInjection.Abstractions)."));

    [Fact]
    public Task SF0002_when_the_type_has_two_scope_factories() => AnalyzerTest.VerifyDistributedAsync(
        WithDb(InClass("""
            private readonly IServiceScopeFactory _scopes = null!;
            public IServiceScopeFactory Scopes { get; } = null!;
            [SingleFlight]
            public partial Task<int> {|#0:GetAsync|}(int id);
            private static Task<int> GetCoreAsync(int id, [FromFlightScope] Db db) => Task.FromResult(id);
            """)),
        new DiagnosticResult("SF0002", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "The core method 'GetCoreAsync' has [FromFlightScope] parameters, and 'C' has several IServiceScopeFactory members ('_scopes', 'Scopes'): keep one, so that it is clear which container the flight's scope comes from."));

    [Fact]
    public Task SF0002_for_a_flight_scope_parameter_passed_by_reference() => AnalyzerTest.VerifyDistributedAsync(
        WithDb(InClass("""
            private readonly IServiceScopeFactory _scopes = null!;
            [SingleFlight]
            public partial Task<int> {|#0:GetAsync|}(int id);
            private static Task<int> {|#1:GetCoreAsync|}(int id, [FromFlightScope] in Db db) => Task.FromResult(id);
            """)),
        new DiagnosticResult("SF0002", DiagnosticSeverity.Error).WithLocation(0).WithLocation(1).WithMessage(
            "The core method 'Task<int> C.GetCoreAsync(int id, in Db db)' does not match 'GetAsync': it must be 'Task<int> GetCoreAsync(int id)', with the same parameters (and their nullability), return type, static-ness and type parameters."));

    [Theory]
    [InlineData("a primary-constructor parameter", "public partial class C(IServiceScopeFactory scopes)", "", "")]
    [InlineData("a field", "public partial class C", "private readonly IServiceScopeFactory _scopes = null!;", "")]
    [InlineData("a property", "public partial class C", "private IServiceScopeFactory Scopes { get; } = null!;", "")]
    [InlineData("a static field for a static method", "public partial class C", "private static IServiceScopeFactory s_scopes = null!;", "static ")]
    [InlineData("a base type's protected field", "public partial class C : Base", "", "")]
    [InlineData("a field beside a primary-constructor parameter", "public partial class C(IServiceScopeFactory scopes)", "private readonly IServiceScopeFactory _scopes = scopes;", "")]
    public Task Nothing_for_a_type_with_one_scope_factory(string what, string type, string member, string modifier)
    {
        _ = what;
        return AnalyzerTest.VerifyDistributedAsync(WithDb(Usings + $$"""
            public abstract class Base
            {
                protected readonly IServiceScopeFactory BaseScopes = null!;
            }

            {{type}}
            {
                {{member}}

                [SingleFlight(KeyFrom = "id")]
                public {{modifier}}partial Task<int> GetAsync(int id, CancellationToken cancellationToken = default);

                private static Task<int> GetCoreAsync(int id, [FromFlightScope] Db db, [FromFlightScope] Db? optional, CancellationToken cancellationToken)
                    => Task.FromResult(id);
            }
            """));
    }

    [Fact]
    public Task Nothing_for_a_static_core_of_an_instance_method() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<int> GetAsync(int id);
            private static Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            """));

    [Theory]
    [InlineData("a base property whose getter the type cannot call", "public class Base { public IServiceScopeFactory Scopes { private get; set; } = null!; }", "public partial class C : Base")]
    [InlineData("an explicit interface implementation", "public interface IHas { IServiceScopeFactory Scopes { get; } }", "public partial class C : IHas { IServiceScopeFactory IHas.Scopes => null!;")]
    public Task SF0002_for_a_scope_factory_the_generated_code_cannot_read(string what, string declarations, string type)
    {
        _ = what;
        var open = type.EndsWith(';') ? type + "\n" : type + "\n{\n";
        return AnalyzerTest.VerifyDistributedAsync(
            WithDb(Usings + declarations + "\n" + open + """
                [SingleFlight]
                public partial Task<int> {|#0:GetAsync|}(int id);
                private static Task<int> GetCoreAsync(int id, [FromFlightScope] Db db) => Task.FromResult(id);
            }
            """),
            new DiagnosticResult("SF0002", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
                "The core method 'GetCoreAsync' has [FromFlightScope] parameters, but 'C' has no IServiceScopeFactory to create the flight's scope from: add one as a constructor parameter, field or property (Microsoft.Extensions.DependencyInjection.Abstractions)."));
    }

    [Theory]
    [InlineData("int?")]
    [InlineData("T")]
    public Task SF0002_for_a_flight_scope_parameter_no_container_can_hand_out(string parameterType) => AnalyzerTest.VerifyDistributedAsync(
        WithDb(InClass($$"""
            private readonly IServiceScopeFactory _scopes = null!;
            [SingleFlight]
            public partial Task<int> {|#0:GetAsync|}<T>(int id);
            private static Task<int> {|#1:GetCoreAsync|}<T>(int id, [FromFlightScope] {{parameterType}} service) => Task.FromResult(id);
            """)),
        new DiagnosticResult("SF0002", DiagnosticSeverity.Error).WithLocation(0).WithLocation(1));

    [Fact]
    public Task SF0002_for_a_primary_constructor_factory_that_is_also_passed_to_the_base_constructor() => AnalyzerTest.VerifyDistributedAsync(
        WithDb(Usings + """
            public class Base(IServiceScopeFactory scopes) { public int N => scopes.GetHashCode(); }

            public sealed partial class C(IServiceScopeFactory scopes) : Base(scopes)
            {
                [SingleFlight]
                public partial Task<int> {|#0:GetAsync|}(int id);
                private static Task<int> GetCoreAsync(int id, [FromFlightScope] Db db) => Task.FromResult(id);
            }
            """),
        new DiagnosticResult("SF0002", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "The core method 'GetCoreAsync' has [FromFlightScope] parameters, and the primary-constructor parameter 'scopes' is the only IServiceScopeFactory of its type, but it is also passed to the base constructor or used to initialize a member, so the generated code cannot capture it as well (CS9107, CS9124). Keep it in a field or property of type IServiceScopeFactory: the flight uses that."));

    [Fact]
    public Task Nothing_for_a_derived_types_own_factory_beside_a_base_types() => AnalyzerTest.VerifyDistributedAsync(
        WithDb(Usings + """
            public abstract class Base { protected readonly IServiceScopeFactory BaseScopes = null!; }

            public sealed partial class C : Base
            {
                private readonly IServiceScopeFactory _own = null!;

                [SingleFlight]
                public partial Task<int> GetAsync(int id);
                private static Task<int> GetCoreAsync(int id, [FromFlightScope] Db db) => Task.FromResult(id);
            }
            """));
}
