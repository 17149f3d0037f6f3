using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SingleFlight.Generator.Roslyn48.Tests;

/// <summary>Roslyn 4.8's driver sees every tracked step Cached or Unchanged after an edit that touches no annotated method.</summary>
public sealed class IncrementalityTests
{
    [Theory]
    [InlineData("add a file")]
    [InlineData("method body elsewhere")]
    public void Unrelated_edit_leaves_every_step_cached_or_unchanged(string edit)
    {
        var compilation = Roslyn48Compiler.Create(Inputs.InstanceTaskOfT, Inputs.Blocking, Inputs.Unrelated);
        var first = Roslyn48Compiler.Generate(compilation);
        Assert.Equal(2, first.Sources.Length);

        var other = compilation.SyntaxTrees[2];
        Compilation edited = edit switch
        {
            "add a file" => compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Demo; public class Extra { }", Roslyn48Compiler.ParseOptions, "Extra.cs")),
            "method body elsewhere" => compilation.ReplaceSyntaxTree(other, CSharpSyntaxTree.ParseText(
                other.ToString().Replace("x * 2", "x + x", StringComparison.Ordinal), Roslyn48Compiler.ParseOptions, other.FilePath)),
            _ => throw new ArgumentOutOfRangeException(nameof(edit)),
        };
        Assert.NotSame(compilation, edited);
        var second = Roslyn48Compiler.Generate(edited, first.Driver);

        foreach (var name in TrackingNames.All)
        {
            Assert.True(second.Result.TrackedSteps.ContainsKey(name), $"step {name} is not tracked");
        }

        var reasons = second.Result.TrackedSteps
            .Where(static s => TrackingNames.All.Contains(s.Key))
            .SelectMany(static s => s.Value)
            .SelectMany(static step => step.Outputs)
            .Select(static output => output.Reason)
            .Concat(second.Result.TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static step => step.Outputs).Select(static o => o.Reason))
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
    public void Signature_edit_regenerates()
    {
        var compilation = Roslyn48Compiler.Create(Inputs.InstanceTaskOfT, Inputs.Unrelated);
        var first = Roslyn48Compiler.Generate(compilation);

        var tree = compilation.SyntaxTrees[0];
        var text = tree.ToString()
            .Replace("GetUserAsync(int id,", "GetUserAsync(long id,", StringComparison.Ordinal)
            .Replace("GetUserCoreAsync(int id,", "GetUserCoreAsync(long id,", StringComparison.Ordinal);
        var second = Roslyn48Compiler.Generate(
            compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(text, Roslyn48Compiler.ParseOptions, tree.FilePath)),
            first.Driver);

        var models = second.Result.TrackedSteps[TrackingNames.Models].SelectMany(static s => s.Outputs).ToArray();
        Assert.Contains(models, static o => o.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New);
        Assert.Contains("SingleFlightGroup<long, string>", Assert.Single(second.Sources).SourceText.ToString(), StringComparison.Ordinal);
    }
}
