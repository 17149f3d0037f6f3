using System.Reflection;
using Microsoft.Extensions.Time.Testing;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// <c>DeadlineMilliseconds</c> and <c>ShareForMilliseconds</c>: the generated code compiled, loaded and run. A generated
/// group measures time on <see cref="TimeProvider.System"/>; these tests replace it with a <see cref="FakeTimeProvider"/>
/// through the group's <see cref="SingleFlightGroup{TKey, TValue}.TimeProvider"/> (the seam docs/semantics.md describes).
/// </summary>
public sealed class LifetimeOptionTests
{
    private const string Source = """
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Shop;

        public sealed partial class Backend
        {
            public TaskCompletionSource<int> Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
            public int Fetches;
            public int Counts;
            public int Loads;
            public CancellationToken LastToken;

            [SingleFlight(DeadlineMilliseconds = 5000)]
            public partial Task<int> FetchAsync(int id, CancellationToken cancellationToken = default);

            private async Task<int> FetchCoreAsync(int id, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref Fetches);
                LastToken = cancellationToken;
                return await Gate.Task;
            }

            [SingleFlight(ShareForMilliseconds = 2000)]
            public partial ValueTask<int> CountAsync(int id);

            private ValueTask<int> CountCoreAsync(int id) => new(Interlocked.Increment(ref Counts) * 100 + id);

            [SingleFlight(ShareForMilliseconds = 2000)]
            public partial int Load(int id);

            private int LoadCore(int id) => Interlocked.Increment(ref Loads) * 100 + id;

            [SingleFlight]
            public partial int Plain(int id);

            private int PlainCore(int id) => id;
        }
        """;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static object Group(Type type, string method)
        => type.GetFields(BindingFlags.NonPublic | BindingFlags.Static)
            .Single(f => f.Name.StartsWith("__singleFlightGroup_" + method + "_", StringComparison.Ordinal))
            .GetValue(null)!;

    private static T Invoke<T>(object target, string method, params object[] arguments)
        => (T)target.GetType().GetMethod(method)!.Invoke(target, arguments)!;

    [Fact]
    public async Task Generated_groups_carry_the_options_and_honour_them_on_a_virtual_clock()
    {
        var run = TestCompiler.Run(TestCompiler.Create(Source));
        Assert.Null(run.Exception);
        Assert.True(TestCompiler.Problems(run.Output).IsEmpty, TestCompiler.Format(TestCompiler.Problems(run.Output)));

        await TestCompiler.WithLoadedAssembly(run.Output, "LifetimeOptions", async assembly =>
        {
            var type = assembly.GetType("Shop.Backend")!;
            var backend = Activator.CreateInstance(type)!;
            var clock = new FakeTimeProvider();

            var fetch = (SingleFlightGroup<int, int>)Group(type, "FetchAsync");
            var count = (SingleFlightGroup<int, int>)Group(type, "CountAsync");
            var load = (SingleFlightGroup<int, int>)Group(type, "Load");
            var plain = (SingleFlightGroup<int, int>)Group(type, "Plain");
            Assert.Equal(TimeSpan.FromSeconds(5), fetch.Deadline);
            Assert.Null(fetch.ShareFor);
            Assert.Equal(TimeSpan.FromSeconds(2), count.ShareFor);
            Assert.Null(count.Deadline);
            Assert.Null(plain.Deadline);
            Assert.Null(plain.ShareFor);
            fetch.TimeProvider = clock;
            count.TimeProvider = clock;
            load.TimeProvider = clock;

            // Deadline: a hung core frees its key, its token is cancelled, and the next call runs afresh.
            var hung = Invoke<Task<int>>(backend, "FetchAsync", 1, CancellationToken.None);
            var joiner = Invoke<Task<int>>(backend, "FetchAsync", 1, CancellationToken.None);
            clock.Advance(TimeSpan.FromSeconds(5));
            var error = await Assert.ThrowsAsync<SingleFlightDeadlineExceededException>(() => hung.WaitAsync(Bound));
            Assert.Same(error, await Assert.ThrowsAsync<SingleFlightDeadlineExceededException>(() => joiner.WaitAsync(Bound)));
            Assert.Equal("Shop.Backend.FetchAsync", error.Operation);
            var token = (CancellationToken)type.GetField("LastToken")!.GetValue(backend)!;
            Assert.True(token.IsCancellationRequested);
            var gate = (TaskCompletionSource<int>)type.GetField("Gate")!.GetValue(backend)!;
            type.GetField("Gate")!.SetValue(backend, new TaskCompletionSource<int>());
            ((TaskCompletionSource<int>)type.GetField("Gate")!.GetValue(backend)!).SetResult(9);
            Assert.Equal(9, await Invoke<Task<int>>(backend, "FetchAsync", 1, CancellationToken.None).WaitAsync(Bound));
            Assert.Equal(2, (int)type.GetField("Fetches")!.GetValue(backend)!);
            gate.SetResult(0);

            // Share window, asynchronous and blocking: callers after completion run the core zero more times.
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(101, await Invoke<ValueTask<int>>(backend, "CountAsync", 1).AsTask().WaitAsync(Bound));
                Assert.Equal(101, Invoke<int>(backend, "Load", 1));
            }

            Assert.Equal(1, (int)type.GetField("Counts")!.GetValue(backend)!);
            Assert.Equal(1, (int)type.GetField("Loads")!.GetValue(backend)!);
            Assert.Equal(0, count.InFlightCount);

            // The window ends: the entries are gone and the next calls run the core again.
            clock.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal(201, await Invoke<ValueTask<int>>(backend, "CountAsync", 1).AsTask().WaitAsync(Bound));
            Assert.Equal(201, Invoke<int>(backend, "Load", 1));
        });
    }
}
