using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;

namespace SingleFlight.Generator.Roslyn48.Tests;

/// <summary>The generator hosted by Roslyn 4.8: representative shapes generate, compile cleanly, and one of them runs.</summary>
public sealed class GeneratorTests
{
    public static TheoryData<string> Shapes => new()
    {
        nameof(Inputs.InstanceTaskOfT),
        nameof(Inputs.StaticValueTaskDefaultKey),
        nameof(Inputs.Blocking),
        nameof(Inputs.BoundKey),
        nameof(Inputs.GenericMethod),
        nameof(Inputs.TrimAnnotated),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Shape_generates_and_compiles_without_problems(string shape)
    {
        var run = Roslyn48Compiler.Generate(Roslyn48Compiler.Create(Source(shape)));

        Assert.True(run.Result.Exception is null, run.Result.Exception?.ToString());
        Assert.True(run.GeneratorDiagnostics.IsEmpty, Roslyn48Compiler.Format(run.GeneratorDiagnostics));
        var generated = Assert.Single(run.Sources);
        Assert.Contains("SingleFlightGroup<", generated.SourceText.ToString(), StringComparison.Ordinal);
        var problems = Roslyn48Compiler.Problems(run.Output);
        Assert.True(problems.Length == 0, Roslyn48Compiler.Format(problems));
    }

    [Fact]
    public void Missing_core_gets_a_stub_that_throws_and_names_SF0002()
    {
        var run = Roslyn48Compiler.Generate(Roslyn48Compiler.Create(Inputs.MissingCore));

        Assert.True(run.Result.Exception is null, run.Result.Exception?.ToString());
        Assert.True(run.GeneratorDiagnostics.IsEmpty, Roslyn48Compiler.Format(run.GeneratorDiagnostics));
        var stub = Assert.Single(run.Sources).SourceText.ToString();
        Assert.Contains("throw new global::System.InvalidOperationException(", stub, StringComparison.Ordinal);
        Assert.Contains("SF0002", stub, StringComparison.Ordinal);
        Assert.DoesNotContain("SingleFlightGroup<", stub, StringComparison.Ordinal);
        // The stub keeps the compiler's "partial method has no implementation" error away; SF0002 (from the analyzer) is the one left.
        var problems = Roslyn48Compiler.Problems(run.Output);
        Assert.True(problems.Length == 0, Roslyn48Compiler.Format(problems));
    }

    [Fact]
    public void A_ref_struct_parameter_gets_a_stub_that_names_SF0003()
    {
        var run = Roslyn48Compiler.Generate(Roslyn48Compiler.Create(Inputs.RefStructParameter));

        Assert.True(run.Result.Exception is null, run.Result.Exception?.ToString());
        var stub = Assert.Single(run.Sources).SourceText.ToString();
        Assert.Contains("see error SF0003 reported on it.", stub, StringComparison.Ordinal);
        var problems = Roslyn48Compiler.Problems(run.Output);
        Assert.True(problems.Length == 0, Roslyn48Compiler.Format(problems));
    }

    [Fact]
    public void Syntax_errors_do_not_crash_the_generator()
    {
        var compilation = Roslyn48Compiler.Create(Inputs.SyntaxErrors);
        Assert.Contains(compilation.GetDiagnostics(), static d => d.Severity == DiagnosticSeverity.Error);

        var run = Roslyn48Compiler.Generate(compilation);

        Assert.True(run.Result.Exception is null, run.Result.Exception?.ToString());
        Assert.DoesNotContain(run.GeneratorDiagnostics, static d => d.Id == "CS8785");
        var generated = run.Output.SyntaxTrees.Except(compilation.SyntaxTrees).ToHashSet();
        var inGenerated = run.Output.GetDiagnostics().Where(d => d.Location.SourceTree is { } tree && generated.Contains(tree)).ToArray();
        Assert.True(inGenerated.Length == 0, Roslyn48Compiler.Format(inGenerated));
    }

    [Fact]
    public async Task Generated_code_runs_concurrent_callers_share_one_execution()
    {
        var run = Roslyn48Compiler.Generate(Roslyn48Compiler.Create(Inputs.InstanceTaskOfT));
        Assert.Empty(Roslyn48Compiler.Problems(run.Output));

        using var stream = new MemoryStream();
        var emit = run.Output.Emit(stream);
        Assert.True(emit.Success, Roslyn48Compiler.Format(emit.Diagnostics));
        stream.Position = 0;

        var context = new AssemblyLoadContext("SingleFlight.Roslyn48", isCollectible: true);
        try
        {
            var type = context.LoadFromStream(stream).GetType("Demo.UserRepository", throwOnError: true)!;
            var repository = Activator.CreateInstance(type)!;
            var getUser = type.GetMethod("GetUserAsync", BindingFlags.Public | BindingFlags.Instance)!;
            var gate = (TaskCompletionSource<bool>)type.GetProperty("Gate")!.GetValue(repository)!;
            int Executions() => (int)type.GetField("Executions")!.GetValue(repository)!;

            // The core is stuck on the gate, so every call below joins the first one's flight.
            const int Callers = 16;
            var calls = Enumerable.Range(0, Callers)
                .Select(_ => (Task<string>)getUser.Invoke(repository, [42, CancellationToken.None])!)
                .ToArray();
            var otherKey = (Task<string>)getUser.Invoke(repository, [7, CancellationToken.None])!;

            Assert.All(calls, static call => Assert.False(call.IsCompleted));
            Assert.Equal(2, Executions());

            gate.SetResult(true);
            var results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.All(results, static result => Assert.Equal("user42", result));
            Assert.Equal("user7", await otherKey.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(2, Executions());

            // Nothing is cached: a later call runs the core again.
            Assert.Equal("user42", await ((Task<string>)getUser.Invoke(repository, [42, CancellationToken.None])!).WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(3, Executions());
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public async Task Batch_methods_generate_compile_and_coalesce_per_key()
    {
        var run = Roslyn48Compiler.Generate(Roslyn48Compiler.Create(Inputs.Batch));
        Assert.True(run.Result.Exception is null, run.Result.Exception?.ToString());
        Assert.Equal(2, run.Sources.Length);
        Assert.All(run.Sources, static s => Assert.Contains("SingleFlightBatchGroup<int, string>", s.SourceText.ToString(), StringComparison.Ordinal));
        var problems = Roslyn48Compiler.Problems(run.Output);
        Assert.True(problems.Length == 0, Roslyn48Compiler.Format(problems));

        using var stream = new MemoryStream();
        var emit = run.Output.Emit(stream);
        Assert.True(emit.Success, Roslyn48Compiler.Format(emit.Diagnostics));
        stream.Position = 0;
        var context = new AssemblyLoadContext("SingleFlight.Roslyn48.Batch", isCollectible: true);
        try
        {
            var type = context.LoadFromStream(stream).GetType("Demo.Catalog", throwOnError: true)!;
            var catalog = Activator.CreateInstance(type)!;
            var getMany = type.GetMethod("GetManyAsync")!;
            var gate = (TaskCompletionSource<bool>)type.GetProperty("Gate")!.GetValue(catalog)!;
            var calls = (List<int[]>)type.GetProperty("Calls")!.GetValue(catalog)!;

            // The first call's core is stuck on the gate: the second joins keys 2 and 3 and fetches only 4.
            var first = (Task<IReadOnlyDictionary<int, string>>)getMany.Invoke(catalog, [new[] { 1, 2, 3 }, CancellationToken.None])!;
            var second = (Task<IReadOnlyDictionary<int, string>>)getMany.Invoke(catalog, [new[] { 2, 3, 4 }, CancellationToken.None])!;
            Assert.Equal(2, calls.Count);
            Assert.Equal([4], calls[1]);
            gate.SetResult(true);
            Assert.Equal(["p1", "p2", "p3"], (await first.WaitAsync(TimeSpan.FromSeconds(30))).OrderBy(static p => p.Key).Select(static p => p.Value));
            Assert.Equal(["p2", "p3", "p4"], (await second.WaitAsync(TimeSpan.FromSeconds(30))).OrderBy(static p => p.Key).Select(static p => p.Value));
        }
        finally
        {
            context.Unload();
        }
    }

    internal static string Source(string shape)
        => (string)typeof(Inputs).GetField(shape, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
}
