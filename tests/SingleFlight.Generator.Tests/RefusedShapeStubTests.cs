using System.Reflection;
using Microsoft.CodeAnalysis.Diagnostics;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// Signatures refused with SF0003 (ref structs, pointers, ref returns, <c>allows ref struct</c>) get a stub that throws,
/// so that the compilation has no CS8795 and a command-line build shows SF0003 (analyzers report nothing once the
/// compilation has errors). Each stub must compile cleanly, warnings as errors, in a project that allows unsafe code.
/// </summary>
public sealed class RefusedShapeStubTests
{
    private const string Header = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Refused;

        """;

    public static readonly TheoryData<string, string> Shapes = new()
    {
        {
            "ReadOnlySpan<char> parameter",
            """
            public partial class C
            {
                [SingleFlight] public partial int Get(ReadOnlySpan<char> id);
                private int GetCore(ReadOnlySpan<char> id) => id.Length;
            }
            """
        },
        {
            "params ReadOnlySpan<string> parameter",
            """
            public partial class C
            {
                [SingleFlight] public partial Task<int> CountAsync(params ReadOnlySpan<string> names);
                private Task<int> CountCoreAsync(params ReadOnlySpan<string> names) => Task.FromResult(names.Length);
            }
            """
        },
        {
            "scoped span and a token",
            """
            public static partial class C
            {
                [SingleFlight] public static partial ValueTask<int> ParseAsync(scoped ReadOnlySpan<byte> data, CancellationToken cancellationToken = default);
                private static ValueTask<int> ParseCoreAsync(scoped ReadOnlySpan<byte> data, CancellationToken cancellationToken) => new(data.Length);
            }
            """
        },
        {
            "Span<int> return",
            """
            public partial class C
            {
                [SingleFlight] public partial Span<int> Get(int id);
                private Span<int> GetCore(int id) => default;
            }
            """
        },
        {
            "ref return",
            """
            public partial class C
            {
                private int _value;
                [SingleFlight] public partial ref int Get(int id);
                private ref int GetCore(int id) => ref _value;
            }
            """
        },
        {
            "ref readonly return in a struct",
            """
            public partial struct C
            {
                private static readonly int s_value = 1;
                [SingleFlight] public static partial ref readonly int Get(int id);
                private static ref readonly int GetCore(int id) => ref s_value;
            }
            """
        },
        {
            "type parameter allows ref struct",
            """
            public partial class C
            {
                [SingleFlight] public partial Task<int> M<T>(T value) where T : allows ref struct;
                private Task<int> MCore<T>(T value) where T : allows ref struct => Task.FromResult(0);
            }
            """
        },
        {
            "allows ref struct after other constraints",
            """
            public partial class C
            {
                [SingleFlight] public partial Task<int> M<T, U>(T value, U other) where T : IDisposable, allows ref struct where U : notnull;
                private Task<int> MCore<T, U>(T value, U other) where T : IDisposable, allows ref struct where U : notnull => Task.FromResult(0);
            }
            """
        },
        {
            "pointer parameter in an unsafe type",
            """
            public unsafe partial class C
            {
                [SingleFlight] public partial int Sum(int* values, int count);
                private int SumCore(int* values, int count) => count;
            }
            """
        },
        {
            "pointer parameter of an unsafe method",
            """
            public partial class C
            {
                [SingleFlight] public unsafe partial Task<int> ReadAsync(byte* buffer, int length);
                private unsafe Task<int> ReadCoreAsync(byte* buffer, int length) => Task.FromResult(length);
            }
            """
        },
        {
            "function pointer parameter in a nested type of an unsafe type",
            """
            public unsafe partial class Outer
            {
                public partial class C
                {
                    [SingleFlight] public static partial int Call(delegate*<int, int> f, int x);
                    private static int CallCore(delegate*<int, int> f, int x) => f(x);
                }
            }
            """
        },
        {
            "pointer return",
            """
            public unsafe partial class C
            {
                [SingleFlight] public partial int* Find(int id);
                private int* FindCore(int id) => null;
            }
            """
        },
        {
            "deadline of zero milliseconds",
            """
            public partial class C
            {
                [SingleFlight(DeadlineMilliseconds = 0)] public partial Task<int> GetAsync(int id);
                private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            }
            """
        },
        {
            "negative share window on a blocking method",
            """
            public partial class C
            {
                [SingleFlight(ShareForMilliseconds = -250)] public partial int Get(int id);
                private int GetCore(int id) => id;
            }
            """
        },
        {
            "ref pointer parameter",
            """
            public unsafe partial class C
            {
                [SingleFlight] public partial Task M(ref int* p);
                private Task MCore(ref int* p) => Task.CompletedTask;
            }
            """
        },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task A_refused_shape_gets_a_stub_that_compiles_and_names_SF0003(string shape, string members)
    {
        var compilation = TestCompiler.Create(Header + members).WithOptions(TestCompiler.Options.WithAllowUnsafe(true));
        Assert.True(TestCompiler.Problems(compilation).All(static d => d.Id == "CS8795"), shape + ": the input has errors of its own");

        var run = TestCompiler.Run(compilation);

        Assert.Null(run.Exception);
        var source = Assert.Single(run.Sources).SourceText.ToString();
        Assert.Contains("see error SF0003 reported on it.", source);
        var problems = TestCompiler.Problems(run.Output);
        Assert.True(problems.IsEmpty, shape + ":\n" + TestCompiler.Format(problems) + "\n" + source);

        // The error the stub names is the one the analyzer reports on the compilation that contains the stub.
        var analyzer = await run.Output.WithAnalyzers([new SingleFlight.Generator.Analyzers.SingleFlightAnalyzer()]).GetAnalyzerDiagnosticsAsync();
        var errors = analyzer.Where(static d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 1 && errors[0].Id == "SF0003", shape + ": " + TestCompiler.Format(analyzer));
    }

    [Fact]
    public void Without_AllowUnsafeBlocks_a_pointer_signature_gets_no_stub()
    {
        // The user's declaration already has CS0227; an `unsafe` part of ours would only add another.
        var compilation = TestCompiler.Create(Header + """
            public unsafe partial class C
            {
                [SingleFlight] public partial int Sum(int* values, int count);
                private int SumCore(int* values, int count) => count;
            }
            """);

        var run = TestCompiler.Run(compilation);

        Assert.Empty(run.Sources);
    }

    [Fact]
    public async Task The_stub_throws_and_names_the_error()
    {
        var compilation = TestCompiler.Create(Header + """
            public partial class C
            {
                [SingleFlight] public partial Task<int> M<T>(T value) where T : allows ref struct;
                private Task<int> MCore<T>(T value) where T : allows ref struct => Task.FromResult(0);
            }
            """);
        var run = TestCompiler.Run(compilation);

        await TestCompiler.WithLoadedAssembly(run.Output, "RefusedStub", assembly =>
        {
            var type = assembly.GetType("Refused.C")!;
            var method = type.GetMethod("M")!.MakeGenericMethod(typeof(int));
            var thrown = Assert.Throws<TargetInvocationException>(() => method.Invoke(Activator.CreateInstance(type), [1]));
            var inner = Assert.IsType<InvalidOperationException>(thrown.InnerException);
            Assert.Contains("SF0003", inner.Message);
            return Task.CompletedTask;
        });
    }
}
