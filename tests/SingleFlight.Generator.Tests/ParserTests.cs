using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using SingleFlight.Generator.Parsing;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// The shared <see cref="SingleFlightMethodParser"/>: the failure reasons and data the analyzer turns into
/// diagnostics, and the key parts of a success.
/// </summary>
public sealed class ParserTests
{
    private static SingleFlightMethodInfo Parse(string members, string typeKeyword = "public partial class")
    {
        var source = $$"""
            using System;
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace P;

            {{typeKeyword}} C
            {
            {{members}}
            }
            """;
        var compilation = TestCompiler.Create(source);
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        var declaration = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>()
            .First(static m => m.AttributeLists.Count > 0);
        var symbol = (IMethodSymbol)model.GetDeclaredSymbol(declaration)!;
        return SingleFlightMethodParser.Parse(symbol, declaration, model, CancellationToken.None);
    }

    [Theory]
    [InlineData("GetUserAsync", "GetUserCoreAsync")]
    [InlineData("GetUser", "GetUserCore")]
    [InlineData("Async", "CoreAsync")]
    [InlineData("LoadAsyncData", "LoadAsyncDataCore")]
    public void Core_method_name(string method, string core)
        => Assert.Equal(core, SingleFlightMethodParser.GetCoreMethodName(method));

    [Fact]
    public void Composite_key_parts_have_their_types_and_spans()
    {
        var info = Parse("""
            [SingleFlight(KeyFrom = "tenant, id.ToString()")]
            public partial Task<string?> GetAsync(string tenant, int id, string note, [NotKey] string trace, CancellationToken ct);
            private Task<string?> GetCoreAsync(string t, int i, string n, string tr, CancellationToken c) => Task.FromResult<string?>(t);
            """);

        Assert.True(info.IsSuccess, info.Failure.ToString());
        Assert.Equal(SingleFlightReturnKind.TaskOfT, info.ReturnKind);
        Assert.Equal("string?", info.FlightValueType!.ToDisplayString());
        Assert.Equal(["tenant", "id.ToString()"], info.KeyParts.Select(static p => p.Text));
        Assert.Equal(["string", "string"], info.KeyParts.Select(static p => p.Type.ToDisplayString()));
        Assert.Equal([new TextSpan(0, 6), new TextSpan(8, 13)], info.KeyParts.Select(static p => p.SpanInKeyFrom!.Value));
        Assert.Equal("tenant", info.KeyParts[0].Parameter!.Name);
        Assert.Null(info.KeyParts[1].Parameter);
        Assert.NotNull(info.KeySemanticModel);
        Assert.Equal(["note"], info.ParametersLeftOutOfKey.Select(static p => p.Name));
        Assert.Equal("GetCoreAsync", info.CoreMethod!.Name);
    }

    [Fact]
    public void Default_key_leaves_out_tokens_and_NotKey()
    {
        var info = Parse("""
            [SingleFlight]
            public partial int Get(CancellationToken ct, string tenant, [NotKey] int attempt, int id);
            private int GetCore(CancellationToken ct, string tenant, int attempt, int id) => id;
            """);

        Assert.True(info.IsSuccess, info.Failure.ToString());
        Assert.True(info.IsDefaultKey);
        Assert.Equal(["tenant", "id"], info.KeyParts.Select(static p => p.Text));
        Assert.Equal(SingleFlightReturnKind.Value, info.ReturnKind);
    }

    [Fact]
    public void Unknown_name_gives_identifier_span_and_suggestion()
    {
        var info = Parse("""
            [SingleFlight(KeyFrom = "tenant, tenat")]
            public partial Task<int> GetAsync(string tenant);
            private Task<int> GetCoreAsync(string tenant) => Task.FromResult(1);
            """);

        Assert.Equal(SingleFlightFailure.KeyFromUnknownName, info.Failure);
        Assert.Equal("tenat", info.FailureIdentifier);
        Assert.Equal(new TextSpan(8, 5), info.FailureSpanInKeyFrom);
        Assert.Equal("tenant", info.SuggestedName);
    }

    [Fact]
    public void KeyFrom_locations_map_into_the_string_literal()
    {
        var info = Parse("""
            [SingleFlight(KeyFrom = "tenant, tenat")]
            public partial Task<int> GetAsync(string tenant);
            private Task<int> GetCoreAsync(string tenant) => Task.FromResult(1);
            """);

        var location = info.GetKeyFromLocation(info.FailureSpanInKeyFrom);
        Assert.Equal("tenat", location.SourceTree!.GetText().ToString(location.SourceSpan));

        var nameofKey = Parse("""
            [SingleFlight(KeyFrom = nameof(id))]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(1);
            """);
        var whole = nameofKey.GetKeyFromLocation(new TextSpan(0, 2));
        Assert.Equal("nameof(id)", whole.SourceTree!.GetText().ToString(whole.SourceSpan));
    }

    [Fact]
    public void Core_parameter_name_is_unknown_in_the_key()
    {
        var info = Parse("""
            [SingleFlight(KeyFrom = "x")]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int x) => Task.FromResult(x);
            """);

        Assert.Equal(SingleFlightFailure.KeyFromUnknownName, info.Failure);
        Assert.Equal("x", info.FailureIdentifier);
    }

    [Fact]
    public void Syntax_error_has_a_span_and_message()
    {
        var info = Parse("""
            [SingleFlight(KeyFrom = "id +")]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            """);

        Assert.Equal(SingleFlightFailure.KeyFromSyntaxError, info.Failure);
        Assert.NotNull(info.FailureMessage);
        Assert.True(info.FailureSpanInKeyFrom!.Value.End <= "id +".Length);
    }

    [Theory]
    [InlineData("\"Console.WriteLine()\"", nameof(SingleFlightFailure.KeyFromInvalidType))]
    [InlineData("\"id.ToString(1, 2)\"", nameof(SingleFlightFailure.KeyFromDoesNotCompile))]
    [InlineData("\"await Task.FromResult(id)\"", nameof(SingleFlightFailure.KeyFromDoesNotCompile))]
    [InlineData("\"a: id\"", nameof(SingleFlightFailure.KeyFromSyntaxError))]
    public void Bad_key_expressions(string keyFrom, string expected)
    {
        var info = Parse($$"""
            [SingleFlight(KeyFrom = {{keyFrom}})]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            """);

        Assert.Equal(expected, info.Failure.ToString());
        Assert.NotNull(info.FailureSpanInKeyFrom);
    }

    [Fact]
    public void Missing_and_mismatched_core()
    {
        var missing = Parse("[SingleFlight] public partial Task<int> GetAsync(int id);");
        Assert.Equal(SingleFlightFailure.CoreMethodMissing, missing.Failure);
        Assert.Equal("GetCoreAsync", missing.CoreMethodName);

        var mismatch = Parse("""
            [SingleFlight] public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(long id) => Task.FromResult(1);
            """);
        Assert.Equal(SingleFlightFailure.CoreMethodMismatch, mismatch.Failure);
        Assert.Single(mismatch.CoreCandidates);
    }

    [Fact]
    public void Unsupported_shapes_name_the_offender()
    {
        var refParameter = Parse("""
            [SingleFlight] public partial int Get(int a, ref int b);
            private int GetCore(int a, ref int b) => a;
            """);
        Assert.Equal(SingleFlightFailure.RefOrOutParameter, refParameter.Failure);
        Assert.Equal("b", refParameter.FailureParameter!.Name);

        var notPartial = Parse(
            """
            [SingleFlight] public partial int Get(int a);
            private int GetCore(int a) => a;
            """,
            "public class");
        Assert.Equal(SingleFlightFailure.ContainingTypeNotPartial, notPartial.Failure);
        Assert.Equal("C", notPartial.FailureType!.Name);

        var instanceOnStruct = Parse(
            """
            [SingleFlight(Scope = SingleFlightScope.Instance)] public partial int Get(int a);
            private int GetCore(int a) => a;
            """,
            "public partial struct");
        Assert.Equal(SingleFlightFailure.InstanceScopeOnStruct, instanceOnStruct.Failure);
    }
}
