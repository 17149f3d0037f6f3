using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using SingleFlight.Analyzer.Tests.Infrastructure;
using static SingleFlight.Analyzer.Tests.Infrastructure.Source;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// The batch shapes: SF0015 (a collection key without a dictionary by key), SF0016 (a batched method without a batch
/// core), SF0017 (a batch key with other parts), SF0006 on a batch key's element type, and what SF0003 and SF0010 refuse.
/// </summary>
public sealed class BatchDiagnosticTests
{
    private const string Batch = """
        [SingleFlight]
        public partial Task<IReadOnlyDictionary<int, string>> GetManyAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken);
        private Task<Dictionary<int, string>> GetManyCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken) => Task.FromResult(new Dictionary<int, string>());
        """;

    private const string BatchCore = """
        private Task<IReadOnlyDictionary<int, string>> GetOneCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyDictionary<int, string>>(new Dictionary<int, string>());
        """;

    // ---- accepted shapes -------------------------------------------------------------------------------

    [Fact]
    public Task Batch_method_with_every_dictionary_and_collection_shape_is_quiet() => AnalyzerTest.VerifyAsync(
        InClass(Batch + """

            [SingleFlight]
            public partial ValueTask<Dictionary<string, int>> CountAsync(string[] names, [NotKey] bool fresh);
            private ValueTask<IDictionary<string, int>> CountCoreAsync(string[] names, bool fresh) => default;

            [SingleFlight(KeyFrom = "ids", MaxBatchSize = 50)]
            public static partial Task<IDictionary<Guid, int>> SizesAsync(HashSet<Guid> ids);
            private static Task<IReadOnlyDictionary<Guid, int>> SizesCoreAsync(HashSet<Guid> ids) => null!;
            """));

    [Fact]
    public Task Batched_single_key_method_with_a_batch_core_is_quiet() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(BatchWindowMilliseconds = 2, MaxBatchSize = 100)]
            public partial Task<string?> GetOneAsync(int id, CancellationToken cancellationToken = default);
            """ + BatchCore + """

            [SingleFlight(BatchWindowMilliseconds = 5)]
            public partial ValueTask<string> FindAsync(string name);
            private static ValueTask<Dictionary<string, string>> FindCoreAsync(IReadOnlyList<string> names) => default;
            """));

    [Fact]
    public Task Batch_method_whose_tuple_keys_differ_only_in_element_names_is_quiet() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<IReadOnlyDictionary<(int, int), string>> GetPairsAsync(IReadOnlyCollection<(int Row, int Column)> cells);
            private Task<IReadOnlyDictionary<(int R, int C), string>> GetPairsCoreAsync(IReadOnlyCollection<(int Row, int Column)> cells) => null!;
            """));

    // ---- SF0015 ----------------------------------------------------------------------------------------

    [Fact]
    public Task SF0015_collection_key_with_a_result_that_is_not_a_dictionary() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<int> CountAsync(IReadOnlyCollection<int> {|#0:ids|});
            private Task<int> CountCoreAsync(IReadOnlyCollection<int> ids) => Task.FromResult(0);
            """),
        new DiagnosticResult("SF0015", DiagnosticSeverity.Warning).WithLocation(0).WithMessage(
            "'CountAsync' is keyed by the collection 'ids' but returns 'System.Threading.Tasks.Task<int>', so it is not a batch method: calls share a flight only when they pass the same collection. To coalesce per key, return Task<IReadOnlyDictionary<int, TValue>> (or ValueTask, IDictionary, Dictionary) with a value for each key."),
        new DiagnosticResult("SF0006", DiagnosticSeverity.Warning).WithLocation(0));

    [Fact]
    public Task SF0015_dictionary_keyed_by_another_type() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<IReadOnlyDictionary<string, int>> GetAsync(int[] {|#0:ids|});
            private Task<IReadOnlyDictionary<string, int>> GetCoreAsync(int[] ids) => null!;
            """),
        new DiagnosticResult("SF0015", DiagnosticSeverity.Warning).WithLocation(0).WithMessage(
            "'GetAsync' takes keys of type 'int' in 'ids' but returns a dictionary keyed by 'string', so it is not a batch method: calls share a flight only when they pass the same collection. Key the result by 'int' to coalesce per key."),
        new DiagnosticResult("SF0006", DiagnosticSeverity.Warning).WithLocation(0));

    [Fact]
    public Task SF0015_not_for_a_collection_that_is_only_part_of_the_key_or_a_string() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(KeyFrom = "ids.Count")]
            public partial Task<int> CountAsync(IReadOnlyCollection<int> ids);
            private Task<int> CountCoreAsync(IReadOnlyCollection<int> ids) => Task.FromResult(0);

            [SingleFlight]
            public partial Task<IReadOnlyDictionary<char, int>> LettersAsync(string text);
            private Task<IReadOnlyDictionary<char, int>> LettersCoreAsync(string text) => null!;
            """));

    // ---- SF0016 ----------------------------------------------------------------------------------------

    [Fact]
    public Task SF0016_batched_method_without_a_core() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(BatchWindowMilliseconds = 2)]
            public partial Task<string> {|#0:GetOneAsync|}(int id, CancellationToken cancellationToken);
            """),
        new DiagnosticResult("SF0016", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "'GetOneCoreAsync' was not found in 'C': 'GetOneAsync' batches its calls (BatchWindowMilliseconds), so it needs a batch core that receives the keys of a batch: Task<IReadOnlyDictionary<int, string>> GetOneCoreAsync(IReadOnlyCollection<int> keys, CancellationToken cancellationToken)"));

    [Fact]
    public Task SF0016_batched_method_whose_core_takes_one_key() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(BatchWindowMilliseconds = 2)]
            public partial Task<string> {|#0:GetOneAsync|}(int id, CancellationToken cancellationToken);
            private Task<string> {|#1:GetOneCoreAsync|}(int id, CancellationToken cancellationToken) => Task.FromResult("x");
            """),
        new DiagnosticResult("SF0016", DiagnosticSeverity.Error).WithLocation(0).WithLocation(1).WithMessage(
            "'Task<string> C.GetOneCoreAsync(int id, CancellationToken cancellationToken)' is not a batch core: 'GetOneAsync' batches its calls (BatchWindowMilliseconds), so its core receives the keys of a batch and returns a dictionary by key: Task<IReadOnlyDictionary<int, string>> GetOneCoreAsync(IReadOnlyCollection<int> keys, CancellationToken cancellationToken)"));

    [Fact]
    public Task SF0016_batch_core_with_another_value_type() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(BatchWindowMilliseconds = 2)]
            public partial Task<string> {|SF0016:GetOneAsync|}(int id, CancellationToken cancellationToken);
            private Task<IReadOnlyDictionary<int, object>> GetOneCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken) => null!;
            """));

    [Fact]
    public Task SF0002_batch_method_whose_core_returns_another_value() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<IReadOnlyDictionary<int, string>> {|SF0002:GetManyAsync|}(IReadOnlyCollection<int> ids);
            private Task<IReadOnlyDictionary<int, int>> GetManyCoreAsync(IReadOnlyCollection<int> ids) => null!;
            """));

    // ---- SF0017 ----------------------------------------------------------------------------------------

    [Fact]
    public Task SF0017_batch_key_with_another_parameter() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<IReadOnlyDictionary<int, string>> GetManyAsync(string {|#0:tenant|}, IReadOnlyCollection<int> ids);
            private Task<IReadOnlyDictionary<int, string>> GetManyCoreAsync(string tenant, IReadOnlyCollection<int> ids) => null!;
            """),
        new DiagnosticResult("SF0017", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "'GetManyAsync' is a batch method keyed by 'ids', so its key is exactly that collection, but 'tenant' is part of the key too. Mark 'tenant' [NotKey] (the core receives the first caller's value), or take it out of KeyFrom."));

    [Fact]
    public Task SF0017_KeyFrom_names_more_than_the_collection() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight({|#0:KeyFrom = "tenant, ids"|})]
            public partial Task<IReadOnlyDictionary<int, string>> GetManyAsync(string tenant, IReadOnlyCollection<int> ids);
            private Task<IReadOnlyDictionary<int, string>> GetManyCoreAsync(string tenant, IReadOnlyCollection<int> ids) => null!;
            """).Replace("{|#0:KeyFrom = \"tenant, ids\"|}", "KeyFrom = {|#0:\"tenant, ids\"|}"),
        new DiagnosticResult("SF0017", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "KeyFrom = \"tenant, ids\" of 'GetManyAsync' names more than its collection of keys: a batch method is keyed by each element of 'ids'. Write KeyFrom = \"ids\", or leave KeyFrom out."));

    [Fact]
    public Task SF0017_batched_method_with_a_second_parameter() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(BatchWindowMilliseconds = 2)]
            public partial Task<string> GetOneAsync(int id, [NotKey] string {|#0:region|}, CancellationToken cancellationToken);
            """ + BatchCore),
        new DiagnosticResult("SF0017", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "'GetOneAsync' batches its calls (BatchWindowMilliseconds), and its batch core receives only the keys and a token, so 'region' could not reach it. Key the method on one parameter, or remove BatchWindowMilliseconds."));

    // ---- SF0006 on the element type --------------------------------------------------------------------

    [Fact]
    public Task SF0006_batch_key_element_that_compares_by_reference() => AnalyzerTest.VerifyAsync(
        InClass("""
            public sealed class Tag { }

            [SingleFlight]
            public partial Task<IReadOnlyDictionary<Tag, string>> GetManyAsync(IReadOnlyCollection<Tag> {|SF0006:tags|});
            private Task<IReadOnlyDictionary<Tag, string>> GetManyCoreAsync(IReadOnlyCollection<Tag> tags) => null!;
            """));

    [Fact]
    public Task SF0006_not_for_a_batch_key_of_values() => AnalyzerTest.VerifyAsync(
        InClass("""
            public sealed record Sku(string Code);

            [SingleFlight]
            public partial Task<IReadOnlyDictionary<Sku, string>> GetManyAsync(List<Sku> skus);
            private Task<IReadOnlyDictionary<Sku, string>> GetManyCoreAsync(List<Sku> skus) => null!;
            """));

    // ---- SF0014 on the value of one key -----------------------------------------------------------------

    [Fact]
    public Task SF0014_on_the_value_of_a_batch_key_not_on_the_dictionary() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<Dictionary<int, {|#0:System.IO.Stream|}>> OpenAsync(IReadOnlyCollection<int> ids);
            private Task<Dictionary<int, System.IO.Stream>> OpenCoreAsync(IReadOnlyCollection<int> ids) => null!;

            [SingleFlight(BatchWindowMilliseconds = 2)]
            public partial Task<{|#1:List<int>|}> GetListAsync(int id);
            private Task<IReadOnlyDictionary<int, List<int>>> GetListCoreAsync(IReadOnlyCollection<int> ids) => null!;

            [SingleFlight]
            public partial Task<Dictionary<int, string>> GetNamesAsync(int[] ids);
            private Task<Dictionary<int, string>> GetNamesCoreAsync(int[] ids) => null!;
            """),
        new DiagnosticResult("SF0014", DiagnosticSeverity.Warning).WithLocation(0),
        new DiagnosticResult("SF0014", DiagnosticSeverity.Info).WithLocation(1));

    // ---- SF0003 ----------------------------------------------------------------------------------------

    [Fact]
    public Task SF0003_batch_window_of_zero() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(BatchWindowMilliseconds = {|#0:0|})]
            public partial Task<string> GetOneAsync(int id, CancellationToken cancellationToken);
            """ + BatchCore),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "BatchWindowMilliseconds of 'GetOneAsync' is 0: a batch window is a positive number of milliseconds. Leave the argument out for no batching."));

    [Fact]
    public Task SF0003_negative_batch_size() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(BatchWindowMilliseconds = 2, MaxBatchSize = {|#0:-1|})]
            public partial Task<string> GetOneAsync(int id, CancellationToken cancellationToken);
            """ + BatchCore),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "MaxBatchSize of 'GetOneAsync' is -1: a batch size is a positive number of keys. Leave the argument out (0) for no limit."));

    [Fact]
    public Task SF0003_batch_size_without_a_window_on_a_single_key_method() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(MaxBatchSize = {|#0:10|})]
            public partial Task<string> GetOneAsync(int id);
            private Task<string> GetOneCoreAsync(int id) => Task.FromResult("x");
            """),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "MaxBatchSize of 'GetOneAsync' has no effect without BatchWindowMilliseconds: single-key calls are batched only within a window. Add BatchWindowMilliseconds, or remove MaxBatchSize."));

    [Fact]
    public Task SF0003_batch_window_on_a_batch_method() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(BatchWindowMilliseconds = {|SF0003:5|})]
            public partial Task<IReadOnlyDictionary<int, string>> GetManyAsync(IReadOnlyCollection<int> ids);
            private Task<IReadOnlyDictionary<int, string>> GetManyCoreAsync(IReadOnlyCollection<int> ids) => null!;
            """));

    [Fact]
    public Task SF0003_lifetime_options_with_batching() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight(DeadlineMilliseconds = {|#0:100|})]
            public partial Task<IReadOnlyDictionary<int, string>> GetManyAsync(IReadOnlyCollection<int> ids);
            private Task<IReadOnlyDictionary<int, string>> GetManyCoreAsync(IReadOnlyCollection<int> ids) => null!;

            [SingleFlight(BatchWindowMilliseconds = 2, ShareForMilliseconds = {|#1:100|})]
            public partial Task<string> GetOneAsync(int id, CancellationToken cancellationToken);
            """ + BatchCore),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "DeadlineMilliseconds is not supported on 'GetManyAsync': a batch flight serves many keys at once, and the batch group has no per-key deadline or share window. Remove DeadlineMilliseconds."),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(1).WithMessage(
            "ShareForMilliseconds is not supported on 'GetOneAsync': a batch flight serves many keys at once, and the batch group has no per-key deadline or share window. Remove ShareForMilliseconds."));

    [Fact]
    public Task Flight_scope_on_a_batch_core_with_a_scope_factory_is_quiet() => AnalyzerTest.VerifyDistributedAsync(
        Usings + """
            public interface IDb { }

            public partial class C(Microsoft.Extensions.DependencyInjection.IServiceScopeFactory scopes)
            {
                [SingleFlight]
                public partial Task<IReadOnlyDictionary<int, string>> GetManyAsync(IReadOnlyCollection<int> ids);
                private static Task<IReadOnlyDictionary<int, string>> GetManyCoreAsync(IReadOnlyCollection<int> ids, [FromFlightScope] IDb db) => null!;

                [SingleFlight(BatchWindowMilliseconds = 1)]
                public partial Task<string> GetOneAsync(int id);
                private static Task<IReadOnlyDictionary<int, string>> GetOneCoreAsync([FromFlightScope] IDb db, IReadOnlyCollection<int> ids) => null!;
            }
            """);

    [Fact]
    public Task Flight_scope_on_a_batch_core_needs_a_scope_factory() => AnalyzerTest.VerifyAsync(
        InClass("""
            public interface IDb { }

            [SingleFlight]
            public partial Task<IReadOnlyDictionary<int, string>> {|SF0002:GetManyAsync|}(IReadOnlyCollection<int> ids);
            private Task<IReadOnlyDictionary<int, string>> GetManyCoreAsync(IReadOnlyCollection<int> ids, [FromFlightScope] IDb db) => null!;
            """));

    [Fact]
    public Task SF0003_generic_batch_method_nullable_keys_and_a_blocking_batched_method() => AnalyzerTest.VerifyAsync(
        InClass("""
            [SingleFlight]
            public partial Task<IReadOnlyDictionary<T, string>> {|#0:GetManyAsync|}<T>(IReadOnlyCollection<T> ids) where T : notnull;
            private Task<IReadOnlyDictionary<T, string>> GetManyCoreAsync<T>(IReadOnlyCollection<T> ids) where T : notnull => null!;

            [SingleFlight]
            public partial Task<IReadOnlyDictionary<string?, string>> {|#1:NamesAsync|}(IReadOnlyCollection<string?> names);
            private Task<IReadOnlyDictionary<string?, string>> NamesCoreAsync(IReadOnlyCollection<string?> names) => null!;

            [SingleFlight(BatchWindowMilliseconds = 2)]
            public partial string {|#2:GetOne|}(int id);
            """),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "'GetManyAsync' is a batch method, and batch methods cannot be generic yet. Make it non-generic, or take the keys one by one."),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(1).WithMessage(
            "The keys of 'NamesAsync' are of type 'string?', which may be null: a batch key is a dictionary key, so it cannot be null. Use a non-nullable key type."),
        new DiagnosticResult("SF0003", DiagnosticSeverity.Error).WithLocation(2).WithMessage(
            "'GetOne' batches its calls (BatchWindowMilliseconds), so it must return Task<T> or ValueTask<T>, not 'string': a call waits for its batch. Return Task<T> or ValueTask<T>, or remove BatchWindowMilliseconds."));

    // ---- SF0010 ----------------------------------------------------------------------------------------

    [Fact]
    public Task SF0010_distributed_batch_method() => AnalyzerTest.VerifyDistributedAsync(
        InClass("""
            [SingleFlight({|#0:Distributed = true|})]
            public partial Task<IReadOnlyDictionary<int, string>> GetManyAsync(IReadOnlyCollection<int> ids);
            private Task<IReadOnlyDictionary<int, string>> GetManyCoreAsync(IReadOnlyCollection<int> ids) => null!;
            """),
        new DiagnosticResult("SF0010", DiagnosticSeverity.Error).WithLocation(0).WithMessage(
            "'GetManyAsync' is a batch method (or batches its calls), and batch flights are not shared across processes: Redis elects one process per key, and a batch would need one election per key and a leader that answers for many keys at once. Its keys are coalesced in this process only. Remove Distributed."));
}
