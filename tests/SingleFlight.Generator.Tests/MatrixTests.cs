using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// The compile-and-run matrix: every supported shape (Inputs/Matrix/*.cs) is compiled with the generator under
/// Nullable + warnings-as-errors, loaded, and called by concurrent callers behind deterministic gates. Each
/// scenario checks one core execution per key, the right values, and separate flights for different keys.
/// </summary>
public sealed class MatrixTests
{
    private static readonly Lazy<MatrixBuild> s_build = new(MatrixBuild.Create);

    public static TheoryData<string, string> Scenarios => new()
    {
        { "Matrix.Batch.Scenarios", "BatchMethodCoalescesPerKey" },
        { "Matrix.Batch.Scenarios", "BatchShapesAdaptTheirTypes" },
        { "Matrix.Batch.Scenarios", "BatchedSingleKeysShareACoreCall" },
        { "Matrix.Returns.Scenarios", "TaskOfT" },
        { "Matrix.Returns.Scenarios", "Task" },
        { "Matrix.Returns.Scenarios", "ValueTaskOfT" },
        { "Matrix.Returns.Scenarios", "ValueTask" },
        { "Matrix.Returns.Scenarios", "PlainT" },
        { "Matrix.Returns.Scenarios", "Void" },
        { "Matrix.Returns.Scenarios", "NullableReference" },
        { "Matrix.Returns.Scenarios", "NullableValue" },
        { "Matrix.Returns.Scenarios", "NullableValueKey" },
        { "Matrix.Returns.Scenarios", "NullableReferenceKey" },
        { "Matrix.Keys.Scenarios", "Nameof" },
        { "Matrix.Keys.Scenarios", "Composite" },
        { "Matrix.Keys.Scenarios", "MemberPath" },
        { "Matrix.Keys.Scenarios", "MethodCall" },
        { "Matrix.Keys.Scenarios", "AliasAndUsingStatic" },
        { "Matrix.Keys.Scenarios", "DefaultKey" },
        { "Matrix.Keys.Scenarios", "NoKey" },
        { "Matrix.Keys.Scenarios", "NoParameters" },
        { "Matrix.Tokens.Scenarios", "First" },
        { "Matrix.Tokens.Scenarios", "Middle" },
        { "Matrix.Tokens.Scenarios", "TwoTokens" },
        { "Matrix.Tokens.Scenarios", "BlockingWithToken" },
        { "Matrix.Tokens.Scenarios", "CallerCancellation" },
        { "Matrix.Types.Scenarios", "Static" },
        { "Matrix.Types.Scenarios", "Accessibility" },
        { "Matrix.Types.Scenarios", "Nested" },
        { "Matrix.Types.Scenarios", "GenericType" },
        { "Matrix.Types.Scenarios", "Record" },
        { "Matrix.Types.Scenarios", "RecordStruct" },
        { "Matrix.Types.Scenarios", "Struct" },
        { "Matrix.Types.Scenarios", "ReadonlyStruct" },
        { "Matrix.GlobalNamespace.Scenarios", "Global" },
        { "Matrix.Generics.Scenarios", "GenericMethod" },
        { "Matrix.Generics.Scenarios", "GenericConstraints" },
        { "Matrix.Generics.Scenarios", "GenericStatic" },
        { "Matrix.Parameters.Scenarios", "In" },
        { "Matrix.Parameters.Scenarios", "ScopedIn" },
        { "Matrix.Parameters.Scenarios", "Params" },
        { "Matrix.Parameters.Scenarios", "Defaults" },
        { "Matrix.Parameters.Scenarios", "Keywords" },
        { "Matrix.Parameters.Scenarios", "Extension" },
        { "Matrix.Parameters.Scenarios", "Nullables" },
        { "Matrix.Scopes.Scenarios", "Instance" },
        { "Matrix.Scopes.Scenarios", "InstanceBlocking" },
        { "Matrix.Overloads.Scenarios", "Overloads" },
        { "Matrix.Overloads.Scenarios", "SameTypeNameInTwoNamespaces" },
        { "Matrix.Outcomes.Scenarios", "SynchronousCompletion" },
        { "Matrix.Outcomes.Scenarios", "FailuresAreShared" },
        { "Matrix.Outcomes.Scenarios", "SynchronousThrowIsAFault" },
        { "Matrix.Outcomes.Scenarios", "BlockingFailuresAreShared" },
    };

    [Fact]
    public void Matrix_compiles_with_no_warnings_and_every_method_is_generated()
    {
        var build = s_build.Value;
        Assert.True(build.GeneratorException is null, build.GeneratorException?.ToString());
        Assert.True(build.Problems.IsEmpty, TestCompiler.Format(build.Problems));
        Assert.Equal(build.AnnotatedMethods, build.GeneratedFiles);
        Assert.Equal(build.GeneratedFiles, build.HintNames.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Every_scenario_in_the_inputs_is_in_the_theory()
    {
        var declared = s_build.Value.Assembly!.GetTypes()
            .Where(static t => t.Name == "Scenarios")
            .SelectMany(static t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Select(m => (t.FullName!, m.Name)))
            .OrderBy(static x => x)
            .ToArray();
        var listed = Scenarios.Select(static row => ((string)row[0], (string)row[1])).OrderBy(static x => x).ToArray();
        Assert.Equal(declared, listed);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Scenario_runs(string type, string method)
    {
        var assembly = s_build.Value.Assembly;
        Assert.True(assembly is not null, "the matrix did not compile:" + Environment.NewLine + TestCompiler.Format(s_build.Value.Problems));
        var scenario = assembly.GetType(type, throwOnError: true)!.GetMethod(method, BindingFlags.Public | BindingFlags.Static)!;
        try
        {
            await (Task)scenario.Invoke(null, null)!;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
    }

    private sealed class MatrixBuild
    {
        public Assembly? Assembly { get; private init; }

        public System.Collections.Immutable.ImmutableArray<Diagnostic> Problems { get; private init; }

        public Exception? GeneratorException { get; private init; }

        public int AnnotatedMethods { get; private init; }

        public int GeneratedFiles { get; private init; }

        public string[] HintNames { get; private init; } = [];

        public static MatrixBuild Create()
        {
            var sources = Directory.GetFiles(TestPaths.Inputs("Matrix"), "*.cs")
                .OrderBy(static p => p, StringComparer.Ordinal)
                .Select(static p => (Path.GetFileName(p), File.ReadAllText(p)));
            var compilation = TestCompiler.Create(sources, "Matrix");
            var run = TestCompiler.Run(compilation);
            var annotated = compilation.SyntaxTrees
                .SelectMany(static t => t.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
                .Count(static m => m.AttributeLists.SelectMany(static l => l.Attributes).Any(static a => a.Name.ToString() == "SingleFlight"));
            var problems = TestCompiler.Problems(run.Output).AddRange(run.GeneratorDiagnostics);

            // Debugging aid: SINGLEFLIGHT_DUMP_DIR=/some/dir writes the generated files there.
            if (Environment.GetEnvironmentVariable("SINGLEFLIGHT_DUMP_DIR") is { Length: > 0 } dump)
            {
                Directory.CreateDirectory(dump);
                foreach (var source in run.Sources)
                {
                    File.WriteAllText(Path.Combine(dump, source.HintName), source.SourceText.ToString());
                }
            }

            Assembly? assembly = null;
            if (problems.IsEmpty)
            {
                using var stream = new MemoryStream();
                var emit = run.Output.Emit(stream);
                if (!emit.Success)
                {
                    problems = problems.AddRange(emit.Diagnostics.Where(static d => d.Severity >= DiagnosticSeverity.Warning));
                }
                else
                {
                    stream.Position = 0;
                    assembly = new AssemblyLoadContext("SingleFlight.Matrix", isCollectible: true).LoadFromStream(stream);
                }
            }

            return new MatrixBuild
            {
                Assembly = assembly,
                Problems = problems,
                GeneratorException = run.Exception,
                AnnotatedMethods = annotated,
                GeneratedFiles = run.Sources.Length,
                HintNames = run.Sources.Select(static s => s.HintName).ToArray(),
            };
        }
    }
}
