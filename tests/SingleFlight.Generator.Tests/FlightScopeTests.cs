using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// <c>[FromFlightScope]</c> for every return kind, a generic method and a distributed one: the generated code compiles
/// clean and, run against a real container, gives each flight a scope of its own that is disposed once, after the
/// work (asynchronously for asynchronous work). tests/SingleFlight.Web.Tests runs the same in an ASP.NET Core app.
/// </summary>
public sealed class FlightScopeTests
{
    private const string Source = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.DependencyInjection;
        using SingleFlight;

        namespace Scoped;

        public sealed class Probe : IDisposable, IAsyncDisposable
        {
            public static readonly List<Probe> All = new();

            public Probe()
            {
                lock (All) { All.Add(this); }
            }

            public int Disposals;
            public bool DisposedAsynchronously;
            public bool UsedAfterDisposal;

            public void Use() => UsedAfterDisposal |= Disposals != 0;

            public void Dispose() => Disposals++;

            public ValueTask DisposeAsync()
            {
                Disposals++;
                DisposedAsynchronously = true;
                return default;
            }
        }

        public sealed partial class Kinds(IServiceScopeFactory scopes)
        {
            [SingleFlight]
            public partial Task RunTaskAsync(int id);
            private static async Task RunTaskCoreAsync(int id, [FromFlightScope] Probe probe) { await Task.Yield(); probe.Use(); }

            [SingleFlight]
            public partial ValueTask RunValueTaskAsync(int id, CancellationToken cancellationToken = default);
            private static async ValueTask RunValueTaskCoreAsync([FromFlightScope] Probe probe, int id, CancellationToken cancellationToken) { await Task.Yield(); probe.Use(); }

            [SingleFlight]
            public partial ValueTask<int> GetValueTaskAsync(int id);
            private async ValueTask<int> GetValueTaskCoreAsync(int id, [FromFlightScope] Probe probe) { await Task.Yield(); probe.Use(); return id; }

            [SingleFlight]
            public partial Task<T> EchoAsync<T>(T value) where T : notnull;
            private static async Task<T> EchoCoreAsync<T>(T value, [FromFlightScope] Probe probe) where T : notnull { await Task.Yield(); probe.Use(); return value; }

            [SingleFlight(KeyFrom = "id", Distributed = true)]
            public partial Task<int> GetDistributedAsync(int id, CancellationToken cancellationToken = default);
            private static async Task<int> GetDistributedCoreAsync(int id, [FromFlightScope] Probe probe, CancellationToken cancellationToken) { await Task.Yield(); probe.Use(); return id; }

            [SingleFlight]
            public partial int Get(int id);
            private static int GetCore(int id, [FromFlightScope] Probe probe) { probe.Use(); return id; }

            [SingleFlight]
            public partial void Run(int id);
            private static void RunCore(int id, [FromFlightScope] Probe probe) => probe.Use();

            [SingleFlight]
            public partial Task<string?> OptionalAsync(int id);
            private static Task<string?> OptionalCoreAsync(int id, [FromFlightScope] IComparable? missing) => Task.FromResult(missing?.ToString());
        }
        """;

    [Theory]
    [InlineData("RunTaskAsync", true)]
    [InlineData("RunValueTaskAsync", true)]
    [InlineData("GetValueTaskAsync", true)]
    [InlineData("EchoAsync", true)]
    [InlineData("GetDistributedAsync", true)]
    [InlineData("Get", false)]
    [InlineData("Run", false)]
    public async Task Each_flight_gets_its_own_scope_disposed_once_after_the_work(string method, bool asynchronous)
    {
        var run = TestCompiler.Run(TestCompiler.CreateDistributed(Source));
        Assert.True(TestCompiler.Problems(run.Output).IsEmpty, TestCompiler.Format(TestCompiler.Problems(run.Output)));

        await TestCompiler.WithLoadedAssembly(run.Output, "FlightScope", async assembly =>
        {
            var probeType = assembly.GetType("Scoped.Probe")!;
            var services = new ServiceCollection().AddScoped(probeType);
            await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
            var kinds = Activator.CreateInstance(assembly.GetType("Scoped.Kinds")!, provider.GetRequiredService<IServiceScopeFactory>())!;
            var all = (System.Collections.IList)probeType.GetField("All")!.GetValue(null)!;

            for (var call = 1; call <= 2; call++)
            {
                await Invoke(kinds, method, call);
                Assert.Equal(call, all.Count);
                var probe = all[call - 1]!;
                Assert.Equal(1, (int)probeType.GetField("Disposals")!.GetValue(probe)!);
                Assert.Equal(asynchronous, (bool)probeType.GetField("DisposedAsynchronously")!.GetValue(probe)!);
                Assert.False((bool)probeType.GetField("UsedAfterDisposal")!.GetValue(probe)!);
            }
        });
    }

    [Fact]
    public async Task A_nullable_flight_parameter_is_optional()
    {
        var run = TestCompiler.Run(TestCompiler.CreateDistributed(Source));
        await TestCompiler.WithLoadedAssembly(run.Output, "FlightScopeOptional", async assembly =>
        {
            await using var provider = new ServiceCollection().BuildServiceProvider();
            var kinds = Activator.CreateInstance(assembly.GetType("Scoped.Kinds")!, provider.GetRequiredService<IServiceScopeFactory>())!;
            var result = (Task<string?>)kinds.GetType().GetMethod("OptionalAsync")!.Invoke(kinds, [1])!;
            Assert.Null(await result.WaitAsync(TimeSpan.FromSeconds(20)));
        });
    }

    private static async Task Invoke(object target, string name, int id)
    {
        var method = target.GetType().GetMethod(name)!;
        if (method.IsGenericMethodDefinition)
        {
            method = method.MakeGenericMethod(typeof(int));
        }

        var arguments = method.GetParameters().Select(p => p.ParameterType == typeof(CancellationToken) ? (object)CancellationToken.None : id).ToArray();
        var result = method.Invoke(target, arguments);
        switch (result)
        {
            case Task task:
                await task.WaitAsync(TimeSpan.FromSeconds(20));
                break;
            case ValueTask valueTask:
                await valueTask;
                break;
            case ValueTask<int> valueTaskOfInt:
                Assert.Equal(id, await valueTaskOfInt);
                break;
            case int value:
                Assert.Equal(id, value);
                break;
        }
    }

    [Theory]
    [InlineData("a static core of an instance method", "public sealed partial class A", "private static Task<int> GetCoreAsync([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] Type t) => Task.FromResult(1);")]
    [InlineData("[FromFlightScope] beside it", "public sealed partial class A(IServiceScopeFactory scopes)", "private Task<int> GetCoreAsync([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] Type t, [FromFlightScope] Db db) => Task.FromResult(1);")]
    [InlineData("both", "public sealed partial class A(IServiceScopeFactory scopes)", "private static Task<int> GetCoreAsync([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] Type t, [FromFlightScope] Db db) => Task.FromResult(1);")]
    public void An_annotated_argument_travels_in_a_state_struct_that_matches_the_call(string what, string type, string core)
    {
        // The state struct and the call that fills it are written from one list: the instance only for an instance core,
        // the scope factory when the core takes [FromFlightScope] parameters.
        var source = $$"""
            using System;
            using System.Diagnostics.CodeAnalysis;
            using System.Threading.Tasks;
            using Microsoft.Extensions.DependencyInjection;
            using SingleFlight;

            namespace Annotated;

            public sealed class Db;

            {{type}}
            {
                [SingleFlight]
                public partial Task<int> GetAsync([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] Type t);

                {{core}}
            }
            """;
        var run = TestCompiler.Run(TestCompiler.CreateDistributed(source));

        Assert.True(TestCompiler.Problems(run.Output).IsEmpty, what + ": " + TestCompiler.Format(TestCompiler.Problems(run.Output)));
        Assert.Contains("private readonly struct __SingleFlightState_GetAsync_", Assert.Single(run.Sources).SourceText.ToString(), StringComparison.Ordinal);
    }
}
