using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>Regressions found in the review of issue 18's generated batch wrappers (compiled, loaded and run).</summary>
public sealed class BatchReviewTests
{
    private const string Source = """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Review;

        public sealed partial class Repository
        {
            [SingleFlight]
            public partial Task<IReadOnlyDictionary<int, string>> GetManyAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken = default);

            private Task<IDictionary<int, string>> GetManyCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken)
                => Task.FromResult<IDictionary<int, string>>(null!);

            [SingleFlight(BatchWindowMilliseconds = 1, MaxBatchSize = 1)]
            public partial Task<string> GetOneAsync(int id);

            private ValueTask<IDictionary<int, string>> GetOneCoreAsync(IReadOnlyList<int> ids)
                => new((IDictionary<int, string>)null!);
        }
        """;

    [Fact]
    public async Task A_core_that_returns_a_null_IDictionary_faults_as_a_null_dictionary_does()
    {
        var run = TestCompiler.Run(TestCompiler.Create(Source));
        Assert.Null(run.Exception);
        Assert.True(TestCompiler.Problems(run.Output).IsEmpty, TestCompiler.Format(TestCompiler.Problems(run.Output)));
        await TestCompiler.WithLoadedAssembly(run.Output, "BatchReviewNullIDictionary", async assembly =>
        {
            var repository = Activator.CreateInstance(assembly.GetType("Review.Repository")!)!;
            var many = (Task<IReadOnlyDictionary<int, string>>)repository.GetType().GetMethod("GetManyAsync")!.Invoke(repository, [new[] { 1, 2 }, CancellationToken.None])!;
            var one = (Task<string>)repository.GetType().GetMethod("GetOneAsync")!.Invoke(repository, [1])!;

            // The group's own fault for a null dictionary (batching.md, B3), not ReadOnlyDictionary's ArgumentNullException.
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => many.WaitAsync(TimeSpan.FromSeconds(15)));
            Assert.Contains("null", error.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<InvalidOperationException>(() => one.WaitAsync(TimeSpan.FromSeconds(15)));
        });
    }

    private const string TupleNames = """
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Review;

        public sealed partial class Grid
        {
            public int Calls;

            // The declaration, the key collection and the core name their tuple elements differently: one type to C#.
            [SingleFlight]
            public partial Task<IReadOnlyDictionary<(int, int), string>> GetCellsAsync(IReadOnlyCollection<(int Row, int Column)> cells);

            private Task<Dictionary<(int R, int C), string>> GetCellsCoreAsync(IReadOnlyCollection<(int Row, int Column)> cells)
            {
                Interlocked.Increment(ref Calls);
                return Task.FromResult(cells.ToDictionary(c => (c.Row, c.Column), c => $"{c.Row}:{c.Column}"));
            }
        }
        """;

    [Fact]
    public async Task A_batch_method_whose_tuple_keys_differ_only_in_element_names_coalesces_per_key()
    {
        var run = TestCompiler.Run(TestCompiler.Create(TupleNames));
        Assert.Null(run.Exception);
        Assert.True(TestCompiler.Problems(run.Output).IsEmpty, TestCompiler.Format(TestCompiler.Problems(run.Output)));

        // A batch method, not a flight keyed by the collection: the generated source uses the batch group.
        Assert.Contains(run.Output.SyntaxTrees, tree => tree.ToString().Contains("SingleFlightBatchGroup<", StringComparison.Ordinal));
        await TestCompiler.WithLoadedAssembly(run.Output, "BatchReviewTupleNames", async assembly =>
        {
            var grid = Activator.CreateInstance(assembly.GetType("Review.Grid")!)!;
            var cells = new List<(int Row, int Column)> { (1, 2), (3, 4), (1, 2) };
            var result = await ((Task<IReadOnlyDictionary<(int, int), string>>)grid.GetType().GetMethod("GetCellsAsync")!.Invoke(grid, [cells])!)
                .WaitAsync(TimeSpan.FromSeconds(15));

            Assert.Equal(2, result.Count);
            Assert.Equal("1:2", result[(1, 2)]);
            Assert.Equal("3:4", result[(3, 4)]);
            Assert.Equal(1, (int)grid.GetType().GetField("Calls")!.GetValue(grid)!);
        });
    }
}
