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
}
