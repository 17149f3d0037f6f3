using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// <c>[SingleFlight(Distributed = true)]</c>: the generated code compiles and runs (here without Redis configured, so
/// in-process; tests/SingleFlight.Redis.Tests runs it across processes), and finds the user's JSON context.
/// </summary>
public sealed class DistributedTests
{
    private const string Repository = """
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Shop;

        public sealed record Product(int Id, string Name);

        public static partial class Products
        {
            public static TaskCompletionSource<bool> Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
            public static int Executions;

            [SingleFlight(KeyFrom = "id", Distributed = true)]
            public static partial Task<Product?> GetAsync(int id, CancellationToken cancellationToken = default);

            private static async Task<Product?> GetCoreAsync(int id, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref Executions);
                await Gate.Task.WaitAsync(cancellationToken);
                return new Product(id, "p" + id);
            }

            [SingleFlight]
            public static partial Task<int> CountAsync(string category);

            private static Task<int> CountCoreAsync(string category) => Task.FromResult(category.Length);
        }
        """;

    private const string Context = """
        using System;
        using System.Text.Json;
        using System.Text.Json.Serialization;
        using System.Text.Json.Serialization.Metadata;

        namespace Shop.Serialization;

        // Written by hand here; in a real project the System.Text.Json generator writes this part.
        [JsonSerializable(typeof(Shop.Product))]
        internal sealed class ShopJson(JsonSerializerOptions options) : JsonSerializerContext(options)
        {
            public static ShopJson Default { get; } = new(new JsonSerializerOptions());

            protected override JsonSerializerOptions? GeneratedSerializerOptions => null;

            public override JsonTypeInfo? GetTypeInfo(Type type) => null;
        }
        """;

    [Fact]
    public async Task Generated_code_runs_and_coalesces_in_process_while_no_registry_is_configured()
    {
        var run = TestCompiler.Run(TestCompiler.CreateDistributed(Repository));
        Assert.Empty(TestCompiler.Problems(run.Output));

        await TestCompiler.WithLoadedAssembly(run.Output, "Distributed", async assembly =>
        {
            var type = assembly.GetType("Shop.Products")!;
            var get = type.GetMethod("GetAsync")!;
            var operation = type.GetFields(BindingFlags.NonPublic | BindingFlags.Static)
                .Single(f => f.Name.StartsWith("__singleFlightGroup_GetAsync", StringComparison.Ordinal));
            Assert.Equal("DistributedSingleFlightOperation`2", operation.FieldType.Name);
            Assert.Equal("Shop.Products.GetAsync", operation.FieldType.GetProperty("Name")!.GetValue(operation.GetValue(null)));

            var calls = Enumerable.Range(0, 8).Select(_ => (Task)get.Invoke(null, [7, CancellationToken.None])!).ToArray();
            var gate = (TaskCompletionSource<bool>)type.GetField("Gate")!.GetValue(null)!;
            gate.SetResult(true);
            await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(20));

            Assert.Equal(1, (int)type.GetField("Executions")!.GetValue(null)!);
            var results = calls.Select(c => c.GetType().GetProperty("Result")!.GetValue(c)).ToArray();
            Assert.All(results, r => Assert.Same(results[0], r));
            Assert.Equal("Product { Id = 7, Name = p7 }", results[0]!.ToString());
        });
    }

    [Fact]
    public void A_json_context_added_later_is_used_and_only_the_distributed_method_is_regenerated()
    {
        var compilation = TestCompiler.CreateDistributed(Repository);
        var first = TestCompiler.Run(compilation);
        Assert.DoesNotContain("ShopJson", Distributed(first), StringComparison.Ordinal);

        var withContext = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(Context, TestCompiler.ParseOptions, "ShopJson.cs"));
        var second = TestCompiler.Run(withContext, first.Driver);
        Assert.Empty(TestCompiler.Problems(second.Output));
        Assert.Contains(
            "(global::System.Text.Json.Serialization.Metadata.JsonTypeInfo<global::Shop.Product?>)global::Shop.Serialization.ShopJson.Default.GetTypeInfo(typeof(global::Shop.Product))!",
            Distributed(second),
            StringComparison.Ordinal);

        var resolved = second.Result.Results.Single().TrackedSteps[TrackingNames.ResolvedModels].SelectMany(static s => s.Outputs).ToArray();
        Assert.Equal(2, resolved.Length);
        Assert.Single(resolved, static o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Single(resolved, static o => o.Reason is IncrementalStepRunReason.Unchanged or IncrementalStepRunReason.Cached);

        // An unrelated edit afterwards leaves every step cached or unchanged.
        var third = TestCompiler.Run(
            withContext.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Shop; static class Other { }", TestCompiler.ParseOptions, "Other.cs")),
            second.Driver);
        var reasons = third.Result.Results.Single().TrackedSteps
            .Where(static s => TrackingNames.All.Contains(s.Key) || s.Key == TrackingNames.JsonContexts)
            .SelectMany(static s => s.Value).SelectMany(static s => s.Outputs).Select(static o => o.Reason).ToArray();
        Assert.NotEmpty(reasons);
        Assert.All(reasons, static r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, "step output was " + r));
    }

    [Theory]
    [InlineData("a private nested context", "internal static class Holder { [JsonSerializable(typeof(Shop.Product))] private sealed class C(JsonSerializerOptions o) : JsonSerializerContext(o) { protected override JsonSerializerOptions? GeneratedSerializerOptions => null; public override JsonTypeInfo? GetTypeInfo(Type t) => null; } }")]
    [InlineData("a class that is not a context", "[JsonSerializable(typeof(Shop.Product))] internal sealed class NotAContext { }")]
    [InlineData("a context for another type", "[JsonSerializable(typeof(string))] internal sealed class Strings(JsonSerializerOptions o) : JsonSerializerContext(o) { public static Strings Default { get; } = new(new()); protected override JsonSerializerOptions? GeneratedSerializerOptions => null; public override JsonTypeInfo? GetTypeInfo(Type t) => null; }")]
    [InlineData("a context that only serializes", "[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Serialization)] [JsonSerializable(typeof(Shop.Product))] internal sealed class Writes(JsonSerializerOptions o) : JsonSerializerContext(o) { public static Writes Default { get; } = new(new()); protected override JsonSerializerOptions? GeneratedSerializerOptions => null; public override JsonTypeInfo? GetTypeInfo(Type t) => null; }")]
    [InlineData("a type listed for serialization only", "[JsonSerializable(typeof(Shop.Product), GenerationMode = JsonSourceGenerationMode.Serialization)] internal sealed class Writes(JsonSerializerOptions o) : JsonSerializerContext(o) { public static Writes Default { get; } = new(new()); protected override JsonSerializerOptions? GeneratedSerializerOptions => null; public override JsonTypeInfo? GetTypeInfo(Type t) => null; }")]
    public void Contexts_the_generated_code_cannot_use_are_ignored(string what, string declaration)
    {
        var source = "using System; using System.Text.Json; using System.Text.Json.Serialization; using System.Text.Json.Serialization.Metadata;\n" + declaration;
        var run = TestCompiler.Run(TestCompiler.CreateDistributed(Repository, source));
        Assert.True(TestCompiler.Problems(run.Output).IsEmpty, what + ": " + TestCompiler.Format(TestCompiler.Problems(run.Output)));
        Assert.Contains("= new(\"Shop.Products.GetAsync\");", Distributed(run), StringComparison.Ordinal);
    }

    private static string Distributed(GeneratorRun run)
        => run.Sources.Single(static s => s.HintName.Contains("GetAsync", StringComparison.Ordinal)).SourceText.ToString();
}
