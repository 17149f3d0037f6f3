using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// Batch methods (a collection of keys in, a dictionary by key out: <c>DoManyAsync</c>) and batched single-key methods
/// (<c>BatchWindowMilliseconds</c> with a batch core: <c>DoAsync</c>/<c>DoOrDefaultAsync</c>): the generated code compiled,
/// loaded and run, with gated cores so that the order of events is fixed.
/// </summary>
public sealed class BatchTests
{
    private const string Source = """
        using System;
        using System.Collections.Generic;
        using System.Collections.Immutable;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Shop;

        public sealed partial class Catalog
        {
            // One gate per core call, in the order the calls start; Entered counts calls that started.
            public readonly List<int[]> Calls = new();
            public readonly List<TaskCompletionSource<bool>> Gates = new();
            public readonly SemaphoreSlim Entered = new(0);
            public readonly HashSet<int> Omit = new();

            private async Task<IReadOnlyDictionary<int, string>> Load(IEnumerable<int> keys, CancellationToken cancellationToken)
            {
                var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                var array = keys.ToArray();
                lock (Calls)
                {
                    Calls.Add(array);
                    Gates.Add(gate);
                }

                Entered.Release();
                await gate.Task;
                return array.Where(k => !Omit.Contains(k)).ToDictionary(k => k, k => "v" + k);
            }

            [SingleFlight]
            public partial Task<IReadOnlyDictionary<int, string>> GetManyAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken = default);

            private Task<IReadOnlyDictionary<int, string>> GetManyCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken)
                => Load(ids, cancellationToken);

            [SingleFlight]
            public partial ValueTask<Dictionary<int, string>> GetArrayAsync(int[] ids, [NotKey] string prefix);

            private async Task<IDictionary<int, string>> GetArrayCoreAsync(int[] ids, string prefix)
            {
                var found = await Load(ids, default);
                return found.ToDictionary(p => p.Key, p => prefix + p.Value);
            }

            [SingleFlight]
            public partial Task<IReadOnlyDictionary<int, string>> GetImmutableAsync(ImmutableArray<int> ids);

            private ValueTask<Dictionary<int, string>> GetImmutableCoreAsync(ImmutableArray<int> ids)
                => new(ids.ToDictionary(k => k, k => "i" + k));

            [SingleFlight(BatchWindowMilliseconds = 50)]
            public partial Task<string> GetOneAsync(int id, CancellationToken cancellationToken = default);

            private Task<IReadOnlyDictionary<int, string>> GetOneCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken)
                => Load(ids, cancellationToken);

            [SingleFlight(BatchWindowMilliseconds = 50, MaxBatchSize = 3, Scope = SingleFlightScope.Instance)]
            public partial ValueTask<string?> FindAsync(int id);

            private static Task<Dictionary<int, string>> FindCoreAsync(IReadOnlyList<int> ids)
                => Task.FromResult(ids.Where(i => i % 2 == 0).ToDictionary(i => i, i => "f" + i));
        }
        """;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static object Group(object target, string method, bool instance = false)
        => target.GetType().GetFields(BindingFlags.NonPublic | (instance ? BindingFlags.Instance : BindingFlags.Static))
            .Single(f => f.Name.StartsWith("__singleFlightGroup_" + method + "_", StringComparison.Ordinal))
            .GetValue(instance ? target : null)!;

    private static T Invoke<T>(object target, string method, params object?[] arguments)
        => (T)target.GetType().GetMethod(method)!.Invoke(target, arguments)!;

    private static T Field<T>(object target, string name) => (T)target.GetType().GetField(name)!.GetValue(target)!;

    private static async Task RunAsync(string name, Func<Type, Task> test)
    {
        var run = TestCompiler.Run(TestCompiler.Create(Source));
        Assert.Null(run.Exception);
        Assert.True(TestCompiler.Problems(run.Output).IsEmpty, TestCompiler.Format(TestCompiler.Problems(run.Output)));
        await TestCompiler.WithLoadedAssembly(run.Output, name, assembly => test(assembly.GetType("Shop.Catalog")!));
    }

    private static async Task EnteredAsync(object catalog, int calls)
    {
        var entered = Field<SemaphoreSlim>(catalog, "Entered");
        for (var i = 0; i < calls; i++)
        {
            Assert.True(await entered.WaitAsync(Bound), "a core call did not start");
        }
    }

    [Fact]
    public async Task Overlapping_batch_calls_send_disjoint_key_sets_and_each_caller_gets_its_keys()
    {
        await RunAsync("BatchOverlap", async type =>
        {
            var catalog = Activator.CreateInstance(type)!;
            var calls = Field<List<int[]>>(catalog, "Calls");
            var gates = Field<List<TaskCompletionSource<bool>>>(catalog, "Gates");

            var a = Invoke<Task<IReadOnlyDictionary<int, string>>>(catalog, "GetManyAsync", new[] { 1, 2, 3 }, CancellationToken.None);
            await EnteredAsync(catalog, 1);
            var b = Invoke<Task<IReadOnlyDictionary<int, string>>>(catalog, "GetManyAsync", new[] { 2, 3, 4 }, CancellationToken.None);
            await EnteredAsync(catalog, 1);
            var c = Invoke<Task<IReadOnlyDictionary<int, string>>>(catalog, "GetManyAsync", new[] { 4, 5 }, CancellationToken.None);
            await EnteredAsync(catalog, 1);

            Assert.Equal(3, calls.Count);
            Assert.Equal(new[] { 1, 2, 3 }, calls[0].Order());
            Assert.Equal(new[] { 4 }, calls[1]);
            Assert.Equal(new[] { 5 }, calls[2]);
            Assert.Equal(Enumerable.Range(1, 5), calls.SelectMany(k => k).Order());

            foreach (var gate in gates)
            {
                gate.SetResult(true);
            }

            Assert.Equal(new Dictionary<int, string> { [1] = "v1", [2] = "v2", [3] = "v3" }, await a.WaitAsync(Bound));
            Assert.Equal(new Dictionary<int, string> { [2] = "v2", [3] = "v3", [4] = "v4" }, await b.WaitAsync(Bound));
            Assert.Equal(new Dictionary<int, string> { [4] = "v4", [5] = "v5" }, await c.WaitAsync(Bound));
        });
    }

    [Fact]
    public async Task A_core_fault_reaches_exactly_the_callers_of_its_keys_and_a_missing_key_is_absent()
    {
        await RunAsync("BatchFault", async type =>
        {
            var catalog = Activator.CreateInstance(type)!;
            var gates = Field<List<TaskCompletionSource<bool>>>(catalog, "Gates");
            Field<HashSet<int>>(catalog, "Omit").Add(2);

            var a = Invoke<Task<IReadOnlyDictionary<int, string>>>(catalog, "GetManyAsync", new[] { 1, 2 }, CancellationToken.None);
            await EnteredAsync(catalog, 1);
            var b = Invoke<Task<IReadOnlyDictionary<int, string>>>(catalog, "GetManyAsync", new[] { 2, 3 }, CancellationToken.None);
            await EnteredAsync(catalog, 1);
            var c = Invoke<Task<IReadOnlyDictionary<int, string>>>(catalog, "GetManyAsync", new[] { 1 }, CancellationToken.None);

            gates[1].SetException(new InvalidOperationException("key 3 failed"));
            gates[0].SetResult(true);

            Assert.Equal(new Dictionary<int, string> { [1] = "v1" }, await a.WaitAsync(Bound));
            Assert.Equal(new Dictionary<int, string> { [1] = "v1" }, await c.WaitAsync(Bound));
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => b.WaitAsync(Bound));
            Assert.Equal("key 3 failed", error.Message);
        });
    }

    [Fact]
    public async Task Declared_collection_and_dictionary_types_are_adapted_and_each_caller_owns_its_dictionary()
    {
        await RunAsync("BatchTypes", async type =>
        {
            var catalog = Activator.CreateInstance(type)!;
            var gates = Field<List<TaskCompletionSource<bool>>>(catalog, "Gates");

            var first = Invoke<ValueTask<Dictionary<int, string>>>(catalog, "GetArrayAsync", new[] { 1, 2, 2 }, "a:").AsTask();
            await EnteredAsync(catalog, 1);
            var second = Invoke<ValueTask<Dictionary<int, string>>>(catalog, "GetArrayAsync", new[] { 2 }, "b:").AsTask();
            gates[0].SetResult(true);

            var one = await first.WaitAsync(Bound);
            var two = await second.WaitAsync(Bound);
            Assert.Equal(new Dictionary<int, string> { [1] = "a:v1", [2] = "a:v2" }, one);

            // The second caller joined key 2 of the first caller's core call: it gets that call's value, in a copy of its own.
            Assert.Equal(new Dictionary<int, string> { [2] = "a:v2" }, two);
            one[2] = "changed";
            Assert.Equal("a:v2", two[2]);

            var immutable = await Invoke<Task<IReadOnlyDictionary<int, string>>>(catalog, "GetImmutableAsync", System.Collections.Immutable.ImmutableArray.Create(7, 8)).WaitAsync(Bound);
            Assert.Equal(new Dictionary<int, string> { [7] = "i7", [8] = "i8" }, immutable);

            var empty = await Invoke<Task<IReadOnlyDictionary<int, string>>>(catalog, "GetManyAsync", Array.Empty<int>(), CancellationToken.None).WaitAsync(Bound);
            Assert.Empty(empty);
            Assert.Single(Field<List<int[]>>(catalog, "Calls"));
        });
    }

    [Fact]
    public async Task A_hundred_single_key_calls_over_ten_keys_within_the_window_make_one_core_call_of_ten_keys()
    {
        await RunAsync("BatchedWindow", async type =>
        {
            var catalog = Activator.CreateInstance(type)!;
            var calls = Field<List<int[]>>(catalog, "Calls");
            var gates = Field<List<TaskCompletionSource<bool>>>(catalog, "Gates");
            var group = (SingleFlightBatchGroup<int, string>)Group(catalog, "GetOneAsync");
            Assert.Equal(TimeSpan.FromMilliseconds(50), group.BatchWindow);
            var clock = new FakeTimeProvider();
            group.TimeProvider = clock;

            var tasks = Enumerable.Range(0, 100)
                .Select(i => Invoke<Task<string>>(catalog, "GetOneAsync", i % 10, CancellationToken.None))
                .ToArray();
            Assert.Empty(calls);
            Assert.All(tasks, t => Assert.False(t.IsCompleted));

            clock.Advance(TimeSpan.FromMilliseconds(50));
            await EnteredAsync(catalog, 1);
            gates[0].SetResult(true);

            var values = await Task.WhenAll(tasks).WaitAsync(Bound);
            var call = Assert.Single(calls);
            Assert.Equal(Enumerable.Range(0, 10), call.Order());
            for (var i = 0; i < 100; i++)
            {
                Assert.Equal("v" + (i % 10), values[i]);
            }
        });
    }

    [Fact]
    public async Task A_batched_call_whose_key_the_core_leaves_out_fails_or_is_null_when_the_result_is_nullable()
    {
        await RunAsync("BatchedMissing", async type =>
        {
            var catalog = Activator.CreateInstance(type)!;
            var gates = Field<List<TaskCompletionSource<bool>>>(catalog, "Gates");
            Field<HashSet<int>>(catalog, "Omit").Add(2);
            var clock = new FakeTimeProvider();
            ((SingleFlightBatchGroup<int, string>)Group(catalog, "GetOneAsync")).TimeProvider = clock;

            var present = Invoke<Task<string>>(catalog, "GetOneAsync", 1, CancellationToken.None);
            var missing = Invoke<Task<string>>(catalog, "GetOneAsync", 2, CancellationToken.None);
            clock.Advance(TimeSpan.FromMilliseconds(50));
            await EnteredAsync(catalog, 1);
            gates[0].SetResult(true);
            Assert.Equal("v1", await present.WaitAsync(Bound));
            await Assert.ThrowsAsync<KeyNotFoundException>(() => missing.WaitAsync(Bound));

            // MaxBatchSize = 3 sends the batch at its third key, before the window; odd keys are left out: null.
            var find = (SingleFlightBatchGroup<int, string>)Group(catalog, "FindAsync", instance: true);
            Assert.Equal(3, find.MaxBatchSize);
            find.TimeProvider = new FakeTimeProvider();
            var found = await Task.WhenAll(new[] { 2, 3, 4 }.Select(i => Invoke<ValueTask<string?>>(catalog, "FindAsync", i).AsTask())).WaitAsync(Bound);
            Assert.Equal(new[] { "f2", null, "f4" }, found);
        });
    }

    private const string ScopedSource = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.DependencyInjection;
        using SingleFlight;

        namespace Scoped;

        public sealed class Probe : IAsyncDisposable
        {
            public static readonly List<Probe> All = new();
            public int Disposals;
            public bool UsedAfterDisposal;

            public Probe()
            {
                lock (All) { All.Add(this); }
            }

            public void Use() => UsedAfterDisposal |= Disposals != 0;

            public ValueTask DisposeAsync()
            {
                Disposals++;
                return default;
            }
        }

        public sealed partial class Catalog(IServiceScopeFactory scopes)
        {
            public static readonly TaskCompletionSource<bool> Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

            [SingleFlight]
            public partial Task<IReadOnlyDictionary<int, int>> GetManyAsync(IReadOnlyCollection<int> ids);

            private static async Task<Dictionary<int, int>> GetManyCoreAsync([FromFlightScope] Probe probe, IReadOnlyCollection<int> ids)
            {
                await Gate.Task;
                probe.Use();
                return ids.ToDictionary(static i => i, static i => i * 10);
            }

            [SingleFlight(BatchWindowMilliseconds = 60000, MaxBatchSize = 2)]
            public partial ValueTask<int> GetOneAsync(int id, CancellationToken cancellationToken = default);

            private async Task<IDictionary<int, int>> GetOneCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken, [FromFlightScope] Probe probe)
            {
                await Task.Yield();
                probe.Use();
                return ids.ToDictionary(static i => i, static i => i + 1);
            }
        }
        """;

    [Fact]
    public async Task Each_core_call_of_a_batch_owns_a_scope_for_its_FromFlightScope_parameters()
    {
        var run = TestCompiler.Run(TestCompiler.CreateDistributed(ScopedSource));
        Assert.Null(run.Exception);
        Assert.True(TestCompiler.Problems(run.Output).IsEmpty, TestCompiler.Format(TestCompiler.Problems(run.Output)));
        await TestCompiler.WithLoadedAssembly(run.Output, "BatchScoped", async assembly =>
        {
            var type = assembly.GetType("Scoped.Catalog")!;
            var probeType = assembly.GetType("Scoped.Probe")!;
            await using var provider = new ServiceCollection().AddScoped(probeType).BuildServiceProvider();
            var catalog = Activator.CreateInstance(type, provider.GetRequiredService<IServiceScopeFactory>())!;
            var probes = (System.Collections.IList)probeType.GetField("All")!.GetValue(null)!;
            int Disposals(object probe) => (int)probeType.GetField("Disposals")!.GetValue(probe)!;

            // Two core calls (key 3 is missing from the first), each with a probe of its own, alive while the core runs.
            var first = Invoke<Task<IReadOnlyDictionary<int, int>>>(catalog, "GetManyAsync", new[] { 1, 2 });
            var second = Invoke<Task<IReadOnlyDictionary<int, int>>>(catalog, "GetManyAsync", new[] { 2, 3 });
            Assert.Equal(2, probes.Count);
            Assert.All(probes.Cast<object>(), p => Assert.Equal(0, Disposals(p)));
            ((TaskCompletionSource<bool>)type.GetField("Gate")!.GetValue(null)!).SetResult(true);
            Assert.Equal(new Dictionary<int, int> { [1] = 10, [2] = 20 }, await first.WaitAsync(Bound));
            Assert.Equal(new Dictionary<int, int> { [2] = 20, [3] = 30 }, await second.WaitAsync(Bound));

            // A batch of single keys, sent when it holds MaxBatchSize keys: one core call, one more scope.
            var one = Invoke<ValueTask<int>>(catalog, "GetOneAsync", 5, CancellationToken.None).AsTask();
            var two = Invoke<ValueTask<int>>(catalog, "GetOneAsync", 6, CancellationToken.None).AsTask();
            Assert.Equal(6, await one.WaitAsync(Bound));
            Assert.Equal(7, await two.WaitAsync(Bound));

            Assert.Equal(3, probes.Count);
            Assert.All(probes.Cast<object>(), p =>
            {
                Assert.Equal(1, Disposals(p));
                Assert.False((bool)probeType.GetField("UsedAfterDisposal")!.GetValue(p)!);
            });
        });
    }
}
