using Microsoft.CodeAnalysis;
using SingleFlight.Analyzer.Tests.Infrastructure;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// The analyzer as a build runs it: after the generator, on a compilation that already contains the generated
/// implementation (which carries [GeneratedCode]).
/// </summary>
public sealed class PipelineTests
{
    private const string Source = """
        using System;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Shop;

        public sealed partial class Prices
        {
            [SingleFlight(KeyFrom = "sku, DateTime.Now.Hour")]
            public partial Task<decimal> GetAsync(string sku, string currency);

            private Task<decimal> GetCoreAsync(string sku, string currency) => Task.FromResult(1m);
        }
        """;

    [Fact]
    public async Task Generated_implementation_is_not_mistaken_for_the_users_and_key_warnings_still_show()
    {
        var diagnostics = await Pipeline.RunAsync(Source);

        Assert.Equal(["SF0005", "SF0008"], diagnostics.Select(static d => d.Id).Order());
        var sf0005 = diagnostics.Single(static d => d.Id == "SF0005");
        Assert.Equal(DiagnosticSeverity.Warning, sf0005.Severity);
        Assert.Equal("https://github.com/singleflight-generators/SingleFlight.Generators/blob/main/docs/diagnostics/SF0005.md", sf0005.Descriptor.HelpLinkUri);
        Assert.Equal("DateTime.Now", sf0005.Location.SourceTree!.GetText().ToString(sf0005.Location.SourceSpan));
    }

    [Fact]
    public void Generated_implementation_is_recognised_by_its_attribute_and_by_its_file()
    {
        var compilation = Pipeline.Compile(Source);
        Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create([new SingleFlight.Generator.SingleFlightGenerator().AsSourceGenerator()], parseOptions: TestReferences.ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var definition = (IMethodSymbol)output.GetTypeByMetadataName("Shop.Prices")!.GetMembers("GetAsync").Single();
        var implementation = definition.PartialImplementationPart!;

        Assert.Contains("SingleFlight.Generator.SingleFlightGenerator", implementation.DeclaringSyntaxReferences.Single().SyntaxTree.FilePath, StringComparison.Ordinal);
        Assert.True(SingleFlight.Generator.Parsing.SingleFlightMethodParser.IsGeneratedImplementation(implementation));

        // The same text in a file of the user's: recognised by [GeneratedCode("SingleFlight.Generator", ...)].
        var tree = implementation.DeclaringSyntaxReferences.Single().SyntaxTree;
        var copied = output.ReplaceSyntaxTree(tree, tree.WithFilePath("Copied.cs"));
        var copiedDefinition = (IMethodSymbol)copied.GetTypeByMetadataName("Shop.Prices")!.GetMembers("GetAsync").Single();
        Assert.True(SingleFlight.Generator.Parsing.SingleFlightMethodParser.IsGeneratedImplementation(copiedDefinition.PartialImplementationPart!));
    }

    [Fact]
    public async Task A_hand_written_implementation_is_still_reported()
    {
        var diagnostics = await Pipeline.RunAsync(Source.Replace(
            "private Task<decimal> GetCoreAsync",
            "public partial Task<decimal> GetAsync(string sku, string currency) => GetCoreAsync(sku, currency);\n    private Task<decimal> GetCoreAsync",
            StringComparison.Ordinal));

        Assert.Contains(diagnostics, static d => d.Id == "SF0001");
    }
}
