using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using SingleFlight.Generator.Diagnostics;
using SingleFlight.Generator.Parsing;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// The shared <see cref="MethodParser"/>: the diagnostics it reports where it finds each problem (descriptor,
/// location, arguments), and the key parts of a success.
/// </summary>
public sealed class ParserTests
{
    private sealed record Result(ParsedMethod? Parsed, IReadOnlyList<Diagnostic> Diagnostics, string? Error, string Source)
    {
        public Diagnostic Single => Assert.Single(Diagnostics);

        /// <summary>The source text the diagnostic is located on.</summary>
        public string TextAt(Location location) => Source.Substring(location.SourceSpan.Start, location.SourceSpan.Length);
    }

    private static Result Parse(string members, string typeKeyword = "public partial class")
    {
        var source = $$"""
            using System;
            using System.Collections.Generic;
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
        var diagnostics = new List<Diagnostic>();
        var parsed = MethodParser.Parse(symbol, declaration, model, ignoreGeneratedImplementation: false, diagnostics.Add, out var error, CancellationToken.None);
        return new Result(parsed, diagnostics, error, tree.ToString());
    }

    [Theory]
    [InlineData("GetUserAsync", "GetUserCoreAsync")]
    [InlineData("GetUser", "GetUserCore")]
    [InlineData("Async", "CoreAsync")]
    [InlineData("LoadAsyncData", "LoadAsyncDataCore")]
    public void Core_method_name(string method, string core)
        => Assert.Equal(core, MethodParser.GetCoreMethodName(method));

    [Fact]
    public void A_batch_method_is_keyed_by_the_element_type_and_knows_its_shapes()
    {
        var result = Parse("""
                [SingleFlight]
                public partial ValueTask<Dictionary<long, string>> GetAsync(long[] ids, [NotKey] string tag, CancellationToken cancellationToken);
                private Task<IDictionary<long, string>> GetCoreAsync(long[] ids, string tag, CancellationToken cancellationToken) => null!;
            """);

        Assert.Empty(result.Diagnostics);
        var batch = result.Parsed?.Batch;
        Assert.NotNull(batch);
        Assert.Equal(BatchKind.Batch, batch.Kind);
        Assert.Equal(SpecialType.System_Int64, batch.KeyType.SpecialType);
        Assert.Equal(SpecialType.System_String, batch.ValueType.SpecialType);
        Assert.Equal("ids", batch.Collection?.Name);
        Assert.Equal(KeyCollectionKind.Array, batch.CollectionKind);
        Assert.Equal(DictionaryKind.ConcreteDictionary, batch.DeclaredResult);
        Assert.Equal(DictionaryKind.Dictionary, batch.CoreResult);
        Assert.False(batch.CoreReturnsValueTask);
        var part = Assert.Single(result.Parsed!.Key.Parts);
        Assert.Equal(SpecialType.System_Int64, part.Type.SpecialType);
    }

    [Fact]
    public void A_batched_method_finds_its_batch_core_and_returns_default_for_a_nullable_value()
    {
        var result = Parse("""
                [SingleFlight(BatchWindowMilliseconds = 3, MaxBatchSize = 7)]
                public partial Task<string?> GetAsync(int id);
                private static ValueTask<IReadOnlyDictionary<int, string>> GetCoreAsync(IReadOnlyList<int> ids) => default;
            """);

        Assert.Empty(result.Diagnostics);
        var batch = result.Parsed?.Batch;
        Assert.NotNull(batch);
        Assert.Equal(BatchKind.Batched, batch.Kind);
        Assert.Equal(KeyCollectionKind.ReadOnlyList, batch.CollectionKind);
        Assert.True(batch.CoreReturnsValueTask);
        Assert.False(batch.CoreTakesToken);
        Assert.True(batch.OrDefault);
        Assert.Equal((3, 7), (result.Parsed!.Attribute.BatchWindowMilliseconds, result.Parsed.Attribute.MaxBatchSize));
        Assert.Equal("GetCoreAsync", result.Parsed.CoreMethod.Name);
    }

    [Fact]
    public void A_batched_method_without_a_batch_core_is_SF0016_with_the_signature_for_the_fix()
    {
        var result = Parse("""
                [SingleFlight(BatchWindowMilliseconds = 3)]
                public partial Task<string> GetAsync(int id, CancellationToken cancellationToken);
            """);

        Assert.Null(result.Parsed);
        Assert.Equal(DiagnosticDescriptors.BatchCoreId, result.Error);
        var diagnostic = result.Single;
        Assert.Equal("GetAsync", result.TextAt(diagnostic.Location));
        Assert.Equal(
            "global::System.Threading.Tasks.Task<global::System.Collections.Generic.IReadOnlyDictionary<int, string>> GetCoreAsync(global::System.Collections.Generic.IReadOnlyCollection<int> keys, global::System.Threading.CancellationToken cancellationToken)",
            diagnostic.Properties[DiagnosticDescriptors.BatchCoreSignatureProperty]);
    }

    [Fact]
    public void Composite_key_parts_have_their_types_and_spans()
    {
        var result = Parse("""
            [SingleFlight(KeyFrom = "tenant, id.ToString()")]
            public partial Task<string?> GetAsync(string tenant, int id, string note, [NotKey] string trace, CancellationToken ct);
            private Task<string?> GetCoreAsync(string t, int i, string n, string tr, CancellationToken c) => Task.FromResult<string?>(t);
            """);

        var info = Assert.IsType<ParsedMethod>(result.Parsed);
        Assert.Empty(result.Diagnostics);
        Assert.Equal(SingleFlightReturnKind.TaskOfT, info.ReturnKind);
        Assert.Equal("string?", info.FlightValueType!.ToDisplayString());
        Assert.Equal(["tenant", "id.ToString()"], info.Key.Parts.Select(static p => p.Text));
        Assert.Equal(["string", "string"], info.Key.Parts.Select(static p => p.Type.ToDisplayString()));
        Assert.Equal([new TextSpan(0, 6), new TextSpan(8, 13)], info.Key.Parts.Select(static p => p.SpanInKeyFrom!.Value));
        Assert.Equal("tenant", info.Key.Parts[0].Parameter!.Name);
        Assert.Null(info.Key.Parts[1].Parameter);
        Assert.All(info.Key.Parts, static p => Assert.IsType<BoundKeyPart>(p));
        Assert.NotNull(info.Key.SemanticModel);
        Assert.Equal(["note"], info.Key.ParametersLeftOut.Select(static p => p.Name));
        Assert.Equal("GetCoreAsync", info.CoreMethod.Name);
    }

    [Fact]
    public void Default_key_leaves_out_tokens_and_NotKey()
    {
        var result = Parse("""
            [SingleFlight]
            public partial int Get(CancellationToken ct, string tenant, [NotKey] int attempt, int id);
            private int GetCore(CancellationToken ct, string tenant, int attempt, int id) => id;
            """);

        var info = Assert.IsType<ParsedMethod>(result.Parsed);
        Assert.Empty(result.Diagnostics);
        Assert.True(info.Key.IsDefault);
        Assert.Equal(["tenant", "id"], info.Key.Parts.Select(static p => p.Text));
        Assert.All(info.Key.Parts, static p => Assert.IsType<PathKeyPart>(p));
        Assert.Equal(SingleFlightReturnKind.Value, info.ReturnKind);
    }

    [Fact]
    public void Unknown_name_gives_identifier_span_and_suggestion()
    {
        var result = Parse("""
            [SingleFlight(KeyFrom = "tenant, tenat")]
            public partial Task<int> GetAsync(string tenant);
            private Task<int> GetCoreAsync(string tenant) => Task.FromResult(1);
            """);

        Assert.Null(result.Parsed);
        Assert.Equal("SF0004", result.Error);
        var diagnostic = result.Single;
        Assert.Same(DiagnosticDescriptors.UnknownKeyFromNameWithSuggestion, diagnostic.Descriptor);
        Assert.Equal("KeyFrom names 'tenat', which is not a parameter of 'GetAsync'. Did you mean 'tenant'?", diagnostic.GetMessage());
        Assert.Equal("tenant, tenant", diagnostic.Properties[DiagnosticDescriptors.NewKeyFromProperty]);
    }

    [Fact]
    public void KeyFrom_locations_map_into_the_string_literal()
    {
        var result = Parse("""
            [SingleFlight(KeyFrom = "tenant, tenat")]
            public partial Task<int> GetAsync(string tenant);
            private Task<int> GetCoreAsync(string tenant) => Task.FromResult(1);
            """);
        Assert.Equal("tenat", result.TextAt(result.Single.Location));

        var nameofKey = Parse("""
            [SingleFlight(KeyFrom = nameof(id))]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(1);
            """);
        var keyFrom = nameofKey.Parsed!.KeyFrom!;
        var whole = keyFrom.GetLocation(new TextSpan(0, 2), Location.None);
        Assert.Equal("nameof(id)", nameofKey.TextAt(whole));
    }

    [Fact]
    public void Core_parameter_name_is_unknown_in_the_key()
    {
        var result = Parse("""
            [SingleFlight(KeyFrom = "x")]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int x) => Task.FromResult(x);
            """);

        Assert.Contains(result.Single.Descriptor, new[] { DiagnosticDescriptors.UnknownKeyFromName, DiagnosticDescriptors.UnknownKeyFromNameWithSuggestion });
        Assert.StartsWith("KeyFrom names 'x', which is not a parameter of 'GetAsync'.", result.Single.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("x", result.TextAt(result.Single.Location));
    }

    [Fact]
    public void Syntax_error_has_a_span_and_message()
    {
        var result = Parse("""
            [SingleFlight(KeyFrom = "id +")]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            """);

        var diagnostic = result.Single;
        Assert.Same(DiagnosticDescriptors.InvalidKeyFrom, diagnostic.Descriptor);
        Assert.StartsWith("KeyFrom \"id +\" of 'GetAsync' does not compile: ", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.True(diagnostic.Location.SourceSpan.End <= result.Source.IndexOf("id +\"", StringComparison.Ordinal) + "id +".Length);
    }

    [Theory]
    [InlineData("\"Console.WriteLine()\"", "cannot be a key")]
    [InlineData("\"id.ToString(1, 2)\"", "does not compile")]
    [InlineData("\"await Task.FromResult(id)\"", "A key cannot await")]
    [InlineData("\"a: id\"", "not a named or ref/out/in argument")]
    public void Bad_key_expressions(string keyFrom, string expected)
    {
        var result = Parse($$"""
            [SingleFlight(KeyFrom = {{keyFrom}})]
            public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            """);

        var diagnostic = result.Single;
        Assert.Same(DiagnosticDescriptors.InvalidKeyFrom, diagnostic.Descriptor);
        Assert.Contains(expected, diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.NotEqual(diagnostic.Location.SourceSpan, result.Parsed?.Declaration.Span ?? default);
    }

    [Fact]
    public void Missing_and_mismatched_core()
    {
        var missing = Parse("[SingleFlight] public partial Task<int> GetAsync(int id);");
        Assert.Same(DiagnosticDescriptors.CoreMethod, missing.Single.Descriptor);
        Assert.Equal("GetCoreAsync", missing.Single.Properties[DiagnosticDescriptors.CoreMethodNameProperty]);

        var mismatch = Parse("""
            [SingleFlight] public partial Task<int> GetAsync(int id);
            private Task<int> GetCoreAsync(long id) => Task.FromResult(1);
            """);
        Assert.Same(DiagnosticDescriptors.CoreMethodMismatch, mismatch.Single.Descriptor);
        Assert.Equal("GetCoreAsync", mismatch.TextAt(Assert.Single(mismatch.Single.AdditionalLocations)));
    }

    [Fact]
    public void Unsupported_shapes_name_the_offender()
    {
        var refParameter = Parse("""
            [SingleFlight] public partial int Get(int a, ref int b);
            private int GetCore(int a, ref int b) => a;
            """);
        Assert.Same(DiagnosticDescriptors.RefOrOutParameter, refParameter.Single.Descriptor);
        Assert.Equal("b", refParameter.TextAt(refParameter.Single.Location));

        var notPartial = Parse(
            """
            [SingleFlight] public partial int Get(int a);
            private int GetCore(int a) => a;
            """,
            "public class");
        Assert.Same(DiagnosticDescriptors.ContainingTypeNotPartial, notPartial.Single.Descriptor);
        Assert.Equal("C", notPartial.TextAt(Assert.Single(notPartial.Single.AdditionalLocations)));

        var instanceOnStruct = Parse(
            """
            [SingleFlight(Scope = SingleFlightScope.Instance)] public partial int Get(int a);
            private int GetCore(int a) => a;
            """,
            "public partial struct");
        Assert.Same(DiagnosticDescriptors.InstanceScopeOnStruct, instanceOnStruct.Single.Descriptor);
    }

    [Fact]
    public void Without_a_report_the_parser_still_names_the_error()
    {
        var source = "[SingleFlight] public partial Task<int> GetAsync(int id);";
        var compilation = TestCompiler.Create("using System.Threading.Tasks; using SingleFlight; public partial class C { " + source + " }");
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        var declaration = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
        var parsed = MethodParser.Parse((IMethodSymbol)model.GetDeclaredSymbol(declaration)!, declaration, model, false, report: null, out var error, CancellationToken.None);

        Assert.Null(parsed);
        Assert.Equal("SF0002", error);
    }
}
