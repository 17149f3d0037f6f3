using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// An edit that does not touch an annotated method leaves every tracked step Cached or Unchanged; an edit to an
/// annotated method's signature regenerates its file.
/// </summary>
public sealed class IncrementalityTests
{
    private const string Annotated = """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Demo;

        public sealed partial class UserRepository
        {
            [SingleFlight(KeyFrom = "id")]
            public partial Task<string> GetUserAsync(int id, CancellationToken cancellationToken = default);

            private Task<string> GetUserCoreAsync(int id, CancellationToken cancellationToken) => Task.FromResult("u" + id);

            [SingleFlight]
            public partial string GetName(string tenant, int id);

            private string GetNameCore(string tenant, int id) => tenant + id;

            [SingleFlight(MaxBatchSize = 50)]
            public partial Task<IReadOnlyDictionary<int, string>> GetUsersAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken = default);

            private Task<Dictionary<int, string>> GetUsersCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken) => Task.FromResult(new Dictionary<int, string>());

            [SingleFlight(BatchWindowMilliseconds = 2)]
            public partial ValueTask<string?> FindUserAsync(int id);

            private static Task<IReadOnlyDictionary<int, string>> FindUserCoreAsync(IReadOnlyList<int> ids) => Task.FromResult<IReadOnlyDictionary<int, string>>(new Dictionary<int, string>());
        }
        """;

    private const string Other = """
        namespace Demo;

        public static class Helpers
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    public static TheoryData<string> UnrelatedEdits => new()
    {
        "add a file",
        "comment in the annotated file",
        "method body elsewhere",
        "core method body",
        "other file edited",
    };

    [Theory]
    [MemberData(nameof(UnrelatedEdits))]
    public void Unrelated_edit_leaves_every_step_cached_or_unchanged(string edit)
    {
        var compilation = TestCompiler.Create(Annotated, Other);
        var first = TestCompiler.Run(compilation);
        Assert.Equal(4, first.Sources.Length);

        var edited = Apply(compilation, edit);
        var second = TestCompiler.Run(edited, first.Driver);

        var result = second.Result.Results.Single();
        foreach (var name in TrackingNames.All)
        {
            Assert.True(result.TrackedSteps.ContainsKey(name), $"step {name} is not tracked");
        }

        var reasons = result.TrackedSteps
            .Where(static s => TrackingNames.All.Contains(s.Key))
            .SelectMany(static s => s.Value)
            .SelectMany(static step => step.Outputs)
            .Select(static output => output.Reason)
            .Concat(result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static step => step.Outputs).Select(static o => o.Reason))
            .ToArray();
        Assert.NotEmpty(reasons);
        Assert.All(reasons, static reason => Assert.True(
            reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            "step output was " + reason));

        Assert.Equal(
            first.Sources.Select(static s => s.SourceText.ToString()),
            second.Sources.Select(static s => s.SourceText.ToString()));
    }

    [Fact]
    public void No_step_output_holds_a_symbol_syntax_node_or_compilation()
    {
        // A cached ISymbol, SyntaxNode or Compilation keeps a whole compilation alive between runs and breaks
        // caching (they never compare equal across compilations): walk every step's outputs, fields and all.
        var run = TestCompiler.Run(TestCompiler.CreateDistributed(Annotated, Other, FlightScoped));
        var steps = run.Result.Results.Single().TrackedSteps;
        var outputs = steps.Where(static s => TrackingNames.All.Contains(s.Key) || s.Key == TrackingNames.JsonContexts)
            .SelectMany(static s => s.Value)
            .SelectMany(static step => step.Outputs)
            .Select(static o => o.Value)
            .ToArray();
        Assert.NotEmpty(outputs);

        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var output in outputs)
        {
            AssertNoRoslynObjects(output, "output", seen);
        }
    }

    private const string FlightScoped = """
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.DependencyInjection;
        using SingleFlight;

        namespace Demo;

        public sealed class Db;

        public sealed partial class Scoped(IServiceScopeFactory scopes)
        {
            [SingleFlight(KeyFrom = "id.ToString()", Distributed = true)]
            public partial Task<string> GetAsync(int id, CancellationToken cancellationToken = default);

            private static Task<string> GetCoreAsync(int id, [FromFlightScope] Db db, CancellationToken cancellationToken) => Task.FromResult("x");
        }
        """;

    private static void AssertNoRoslynObjects(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || (!value.GetType().IsValueType && !seen.Add(value)))
        {
            return;
        }

        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel or SyntaxTree or Location,
            $"{path} is a {value.GetType().FullName}: pipeline outputs must hold only plain data");
        if (value is System.Collections.IEnumerable items)
        {
            var i = 0;
            foreach (var item in items)
            {
                AssertNoRoslynObjects(item, $"{path}[{i++}]", seen);
            }

            return;
        }

        for (var type = value.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            foreach (var field in type.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly))
            {
                AssertNoRoslynObjects(field.GetValue(value), path + "." + field.Name, seen);
            }
        }
    }

    [Fact]
    public void Signature_edit_regenerates()
    {
        var compilation = TestCompiler.Create(Annotated, Other);
        var first = TestCompiler.Run(compilation);

        var tree = compilation.SyntaxTrees.First();
        var text = tree.ToString()
            .Replace("GetUserAsync(int id,", "GetUserAsync(long id,", StringComparison.Ordinal)
            .Replace("GetUserCoreAsync(int id,", "GetUserCoreAsync(long id,", StringComparison.Ordinal);
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(text, TestCompiler.ParseOptions, tree.FilePath));
        var second = TestCompiler.Run(edited, first.Driver);

        var models = second.Result.Results.Single().TrackedSteps[TrackingNames.Models].SelectMany(static s => s.Outputs).ToArray();
        Assert.Contains(models, static o => o.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New);

        var regenerated = second.Sources.Single(static s => s.HintName.Contains("GetUserAsync", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("SingleFlightGroup<long, string>", regenerated, StringComparison.Ordinal);
        Assert.True(TestCompiler.Problems(second.Output).IsEmpty, TestCompiler.Format(TestCompiler.Problems(second.Output)));
    }

    [Fact]
    public void Option_edit_regenerates_only_that_method_and_a_repeat_run_is_cached()
    {
        var compilation = TestCompiler.Create(Annotated, Other);
        var first = TestCompiler.Run(compilation);

        var tree = compilation.SyntaxTrees.First();
        var text = tree.ToString().Replace("[SingleFlight(KeyFrom = \"id\")]", "[SingleFlight(KeyFrom = \"id\", DeadlineMilliseconds = 750, ShareForMilliseconds = 50)]", StringComparison.Ordinal);
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(text, TestCompiler.ParseOptions, tree.FilePath));
        var second = TestCompiler.Run(edited, first.Driver);

        var regenerated = second.Sources.Single(static s => s.HintName.Contains("GetUserAsync", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("Deadline = global::System.TimeSpan.FromMilliseconds(750), ShareFor = global::System.TimeSpan.FromMilliseconds(50)", regenerated, StringComparison.Ordinal);
        var untouched = second.Sources.Single(static s => s.HintName.Contains("GetName", StringComparison.Ordinal)).SourceText.ToString();
        Assert.DoesNotContain("Deadline", untouched, StringComparison.Ordinal);
        Assert.True(TestCompiler.Problems(second.Output).IsEmpty, TestCompiler.Format(TestCompiler.Problems(second.Output)));

        // The same compilation again: nothing regenerates.
        var third = TestCompiler.Run(edited.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Demo; public class Extra { }", TestCompiler.ParseOptions, "Extra.cs")), second.Driver);
        var outputs = third.Result.Results.Single().TrackedSteps.Where(static s => s.Key == TrackingNames.Models).SelectMany(static s => s.Value).SelectMany(static s => s.Outputs);
        Assert.All(outputs, static o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    [Fact]
    public void Batch_option_edit_regenerates_only_that_method()
    {
        var compilation = TestCompiler.Create(Annotated, Other);
        var first = TestCompiler.Run(compilation);

        var tree = compilation.SyntaxTrees.First();
        var text = tree.ToString().Replace("[SingleFlight(BatchWindowMilliseconds = 2)]", "[SingleFlight(BatchWindowMilliseconds = 7, MaxBatchSize = 20)]", StringComparison.Ordinal);
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(text, TestCompiler.ParseOptions, tree.FilePath));
        var second = TestCompiler.Run(edited, first.Driver);

        var regenerated = second.Sources.Single(static s => s.HintName.Contains("FindUserAsync", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("BatchWindow = global::System.TimeSpan.FromMilliseconds(7), MaxBatchSize = 20", regenerated, StringComparison.Ordinal);
        Assert.True(TestCompiler.Problems(second.Output).IsEmpty, TestCompiler.Format(TestCompiler.Problems(second.Output)));

        var models = second.Result.Results.Single().TrackedSteps[TrackingNames.Models].SelectMany(static s => s.Outputs).Select(static o => o.Reason).ToArray();
        Assert.Equal(1, models.Count(static r => r == IncrementalStepRunReason.Modified));
        Assert.Equal(3, models.Count(static r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
    }

    private static Compilation Apply(CSharpCompilation compilation, string edit)
    {
        var annotated = compilation.SyntaxTrees[0];
        var other = compilation.SyntaxTrees[1];
        SyntaxTree Replace(SyntaxTree tree, string from, string to)
            => CSharpSyntaxTree.ParseText(tree.ToString().Replace(from, to, StringComparison.Ordinal), TestCompiler.ParseOptions, tree.FilePath);

        return edit switch
        {
            "add a file" => compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Demo; public class Extra { }", TestCompiler.ParseOptions, "Extra.cs")),
            "comment in the annotated file" => compilation.ReplaceSyntaxTree(annotated, Replace(annotated, "namespace Demo;", "// a comment\nnamespace Demo;")),
            "method body elsewhere" => compilation.ReplaceSyntaxTree(other, Replace(other, "x * 2", "x + x")),
            "core method body" => compilation.ReplaceSyntaxTree(annotated, Replace(annotated, "tenant + id;", "id + tenant;")),
            "other file edited" => compilation.ReplaceSyntaxTree(other, Replace(other, "public static class Helpers", "public static class Helpers2")),
            _ => throw new ArgumentOutOfRangeException(nameof(edit)),
        };
    }
}
