using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// The trim and Native AOT analyzers (ILLink.RoslynAnalyzer from the SDK's Microsoft.NET.ILLink.Tasks, switched on as
/// <c>IsAotCompatible</c> does) over generated code: user code whose annotations are complete must get generated code
/// with no trim warning, which the user could not fix. The test project copies the analyzer into <c>trim-analyzer/</c>.
/// </summary>
public sealed class TrimAnalysisTests
{
    private const string Header = """
        using System;
        using System.Diagnostics.CodeAnalysis;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Trim;

        public sealed class Box<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T> { }

        """;

    /// <summary>Annotated shapes (EF Core's FindAsync(Type, ...), Activator-style factories, FromSqlRaw&lt;TEntity&gt;).</summary>
    public static readonly TheoryData<string, string> Annotated = new()
    {
        {
            "instance, async, annotated Type parameter and a token",
            """
            public partial class Repo
            {
                [SingleFlight]
                public partial Task<object?> FindAsync([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] Type entityType, int id, CancellationToken cancellationToken = default);

                private Task<object?> FindCoreAsync([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] Type entityType, int id, CancellationToken cancellationToken)
                    => Task.FromResult(Activator.CreateInstance(entityType));
            }
            """
        },
        {
            "static, blocking, the annotated Type is the only argument",
            """
            public static partial class Factory
            {
                [SingleFlight]
                public static partial object? Create([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type type);

                private static object? CreateCore([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type type)
                    => Activator.CreateInstance(type);
            }
            """
        },
        {
            "flags combined, KeyFrom, void",
            """
            public partial class Warmer
            {
                [SingleFlight(KeyFrom = "type")]
                public partial void Warm([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.PublicConstructors)] Type type, string reason);

                private void WarmCore([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.PublicConstructors)] Type type, string reason)
                    => _ = (type.GetMethods(), Activator.CreateInstance(type), reason);
            }
            """
        },
        {
            "instance scope, ValueTask",
            """
            public partial class Session
            {
                [SingleFlight(Scope = SingleFlightScope.Instance)]
                public partial ValueTask<int> CountAsync([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type);

                private ValueTask<int> CountCoreAsync([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type)
                    => new(type.GetProperties().Length);
            }
            """
        },
        {
            "generic method whose type parameter is annotated",
            """
            public partial class Sets
            {
                [SingleFlight]
                public partial Task<Box<TEntity>> QueryAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TEntity>(string sql)
                    where TEntity : class;

                private Task<Box<TEntity>> QueryCoreAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TEntity>(string sql)
                    where TEntity : class
                    => Task.FromResult(new Box<TEntity>());
            }
            """
        },
        {
            "generic method, annotated type parameter and annotated Type parameter",
            """
            public partial class Mixed<TOuter>
            {
                [SingleFlight]
                public partial Task<Box<T>> MakeAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] Type other, TOuter outer)
                    where T : new();

                private Task<Box<T>> MakeCoreAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] Type other, TOuter outer)
                    where T : new()
                    => Task.FromResult(new Box<T>());
            }
            """
        },
        {
            "annotated string type name",
            """
            public partial class Names
            {
                [SingleFlight]
                public partial Task<Type?> ResolveAsync([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] string typeName);

                private Task<Type?> ResolveCoreAsync([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] string typeName)
                    => Task.FromResult(Type.GetType(typeName));
            }
            """
        },
        {
            "RequiresUnreferencedCode and RequiresDynamicCode on both methods",
            """
            public partial class Dynamic
            {
                [SingleFlight]
                [RequiresUnreferencedCode("reflects over the assembly")]
                [RequiresDynamicCode("makes generic types")]
                public partial Task<int> ScanAsync(string name);

                [RequiresUnreferencedCode("reflects over the assembly")]
                [RequiresDynamicCode("makes generic types")]
                private Task<int> ScanCoreAsync(string name)
                    => Task.FromResult(typeof(Dynamic).Assembly.GetType(name)!.MakeGenericType(typeof(int)).GetMethods().Length);
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(Annotated))]
    public async Task Annotated_user_code_gets_generated_code_without_trim_or_AOT_warnings(string shape, string members)
    {
        var compilation = TestCompiler.Create(Header + members);
        var run = TestCompiler.Run(compilation);
        var compileProblems = TestCompiler.Problems(run.Output);
        Assert.True(compileProblems.IsEmpty, shape + ":\n" + TestCompiler.Format(compileProblems));

        var warnings = await TrimAnalyzerDiagnostics(run.Output);

        Assert.True(warnings.IsEmpty, shape + ":\n" + TestCompiler.Format(warnings) + "\n" + string.Join("\n", run.Sources.Select(static s => s.SourceText.ToString())));
    }

    /// <summary>The check above is only worth something if the analyzer runs and reports: a lost annotation in user code.</summary>
    [Fact]
    public async Task The_trim_analyzer_runs_and_reports_a_lost_annotation()
    {
        var compilation = TestCompiler.Create(Header + """
            public static class Lost
            {
                public static object? Create(Type type) => Activator.CreateInstance(type);
            }
            """);

        var warnings = await TrimAnalyzerDiagnostics(compilation);

        Assert.Contains(warnings, static d => d.Id == "IL2067");
    }

    /// <summary>
    /// A distributed method (its operation's DoAsync takes the same state) with an annotated argument. No result: a result
    /// type needs a JsonSerializerContext for trimming, which the operation's constructor says itself (IL2026, the user's fix).
    /// </summary>
    [Fact]
    public async Task A_distributed_method_with_an_annotated_argument_has_no_trim_warning()
    {
        var compilation = TestCompiler.CreateDistributed(Header + """
            public static partial class Catalog
            {
                [SingleFlight(KeyFrom = "id", Distributed = true)]
                public static partial Task WarmAsync(int id, [NotKey, DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] Type type, CancellationToken cancellationToken = default);

                private static Task WarmCoreAsync(int id, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] Type type, CancellationToken cancellationToken)
                    => Task.FromResult(type.GetFields().Length + id);
            }
            """);
        var run = TestCompiler.Run(compilation);
        Assert.True(TestCompiler.Problems(run.Output).IsEmpty, TestCompiler.Format(TestCompiler.Problems(run.Output)));

        var warnings = await TrimAnalyzerDiagnostics(run.Output);

        Assert.True(warnings.IsEmpty, TestCompiler.Format(warnings) + "\n" + run.Sources.Single().SourceText);
    }

    private static readonly Lazy<ImmutableArray<DiagnosticAnalyzer>> s_analyzers = new(static () =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "trim-analyzer", "ILLink.RoslynAnalyzer.dll");
        Assert.True(File.Exists(path), path + " is missing: the test project copies it from Microsoft.NET.ILLink.Tasks when it builds.");
        return new AnalyzerFileReference(path, new Loader()).GetAnalyzers(LanguageNames.CSharp);
    });

    /// <summary>Trim (IL2xxx) and AOT (IL3xxx) warnings of <paramref name="compilation"/>, with the analyzers switched on.</summary>
    private static async Task<ImmutableArray<Diagnostic>> TrimAnalyzerDiagnostics(Compilation compilation)
    {
        var analyzers = s_analyzers.Value;
        Assert.NotEmpty(analyzers);
        var options = new AnalyzerOptions([], new OptionsProvider(new Dictionary<string, string>
        {
            ["build_property.EnableTrimAnalyzer"] = "true",
            ["build_property.EnableAotAnalyzer"] = "true",
            ["build_property.EnableSingleFileAnalyzer"] = "true",
        }));
        var diagnostics = await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync();
        return diagnostics.Where(static d => d.Id.StartsWith("IL", StringComparison.Ordinal) && d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();
    }

    private sealed class Loader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath) => Assembly.LoadFrom(fullPath);
    }

    private sealed class OptionsProvider(Dictionary<string, string> values) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(values);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options([]);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options([]);

        private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
        {
            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
                => values.TryGetValue(key, out value);
        }
    }
}
