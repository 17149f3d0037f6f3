using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// Deterministic mutation fuzzing: the matrix inputs with a few characters or tokens deleted, duplicated or
/// swapped (fixed seeds, so a failure reproduces). The generator must never throw and its files must never
/// carry a diagnostic of their own, whatever the user's file looks like.
/// </summary>
public sealed class FuzzTests
{
    private static readonly string[] s_inputs = Directory.GetFiles(TestPaths.Inputs("Matrix"), "*.cs")
        .Where(static p => !p.EndsWith("Harness.cs", StringComparison.Ordinal))
        .OrderBy(static p => p, StringComparer.Ordinal)
        .Select(File.ReadAllText)
        .ToArray();

    private static readonly string s_harness = File.ReadAllText(Path.Combine(TestPaths.Inputs("Matrix"), "Harness.cs"));

    private static readonly string[] s_tokens = ["(", ")", "{", "}", ";", ",", "?", "partial", "static", "async", "ref ", "out ", "in ", "params ", "this", "<", ">", "\"", "=", "Core", "Async", "Task", "int", "string", "CancellationToken", "[NotKey]", "KeyFrom", "Scope"];

    public static TheoryData<int> Seeds => new(Enumerable.Range(0, Iterations));

    // Enough to be useful in every run and still fast; raise locally with SINGLEFLIGHT_FUZZ=<n> to hunt.
    private static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("SINGLEFLIGHT_FUZZ"), out var n) ? n : 40;

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Mutated_input_never_breaks_the_generator(int seed)
    {
        var random = new Random(seed);
        var text = s_inputs[seed % s_inputs.Length];
        for (var edits = random.Next(1, 4); edits > 0; edits--)
        {
            text = SourceMutator.Mutate(text, random, s_tokens);
        }

        var compilation = TestCompiler.Create([("Harness.cs", s_harness), ("Mutated.cs", text)]);
        var run = TestCompiler.Run(compilation);
        Assert.Null(run.Exception);
        Assert.True(run.GeneratorDiagnostics.IsEmpty, TestCompiler.Format(run.GeneratorDiagnostics));

        var ours = TestCompiler.ProblemsInGeneratedCode(compilation, run.Output);
        Assert.True(ours.Length == 0, $"seed {seed}:\n{TestCompiler.Format(ours)}\n--- input ---\n{text}");
    }
}

/// <summary>Random token soup as <c>KeyFrom</c> (fixed seeds): never a crash, never an error in generated code.</summary>
public sealed class KeyFromFuzzTests
{
    private static readonly string[] s_tokens =
    [
        "id", "tenant", "request", "x", "nope", "this", "_field", "Field", "CultureInfo", "InvariantCulture", "ToString",
        "Length", "TenantId", "Id", "Items", ".", "?.", "+", "-", "*", "?", ":", "??", "!", "(", ")", ",", "[", "]",
        "=>", "=", "==", "<", ">", "new", "await", "ref", "out", "var", "default", "null", "typeof", "nameof",
        "\\\"s\\\"", "1", "2.5", "'c'", "is", "as", "int", "string", "switch", "{", "}", "_", "$\\\"{id}\\\"", "stackalloc",
        "throw", "checked", "sizeof", "@class", "cancellationToken", "Count()", "static", "async", "delegate",
    ];

    public static TheoryData<int> Seeds => new(Enumerable.Range(0, Iterations));

    private static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("SINGLEFLIGHT_FUZZ"), out var n) ? n : 40;

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_KeyFrom_never_breaks_the_generator(int seed)
    {
        var random = new Random(seed);
        var keyFrom = string.Join(random.Next(3) == 0 ? "" : " ", Enumerable.Range(0, random.Next(1, 9)).Select(_ => s_tokens[random.Next(s_tokens.Length)]));
        var isStatic = random.Next(4) == 0 ? "static " : string.Empty;
        var source = $$"""
            using System;
            using System.Collections.Generic;
            using System.Globalization;
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Fuzz;

            public sealed record Request(string TenantId, int Id, List<int> Items);

            public partial class C
            {
                private readonly int _field = 1;
                public static int Field = 2;

                [SingleFlight(KeyFrom = "{{keyFrom}}")]
                public {{isStatic}}partial Task<int> GetAsync(int id, string tenant, Request request, string? @class, CancellationToken cancellationToken = default);

                private {{isStatic}}Task<int> GetCoreAsync(int x, string t, Request r, string? c, CancellationToken ct) => Task.FromResult(x);
            }
            """;

        var compilation = TestCompiler.Create(source);
        var run = TestCompiler.Run(compilation);
        Assert.Null(run.Exception);
        Assert.True(run.GeneratorDiagnostics.IsEmpty, TestCompiler.Format(run.GeneratorDiagnostics));

        var ours = TestCompiler.ProblemsInGeneratedCode(compilation, run.Output);
        Assert.True(ours.Length == 0, $"KeyFrom = \"{keyFrom}\":\n{TestCompiler.Format(ours)}");
    }
}
