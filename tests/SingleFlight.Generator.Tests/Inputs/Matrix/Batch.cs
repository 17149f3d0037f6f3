using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SingleFlight;

namespace Matrix.Batch;

/// <summary>Batch methods (a collection of keys, a dictionary by key) in each collection and dictionary shape, and batched single keys.</summary>
public sealed partial class Catalog
{
    public static readonly Gate Gate = new();
    public static readonly List<int[]> Calls = new();

    private static async Task<Dictionary<int, string>> LoadAsync(IEnumerable<int> keys)
    {
        var array = keys.OrderBy(static k => k).ToArray();
        lock (Calls)
        {
            Calls.Add(array);
        }

        Gate.Enter();
        await Gate.WaitAsync();
        return array.ToDictionary(static k => k, static k => "p" + k);
    }

    [SingleFlight]
    public partial Task<IReadOnlyDictionary<int, string>> GetManyAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken = default);

    private Task<Dictionary<int, string>> GetManyCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken) => LoadAsync(ids);

    [SingleFlight(MaxBatchSize = 2)]
    public static partial ValueTask<Dictionary<int, string>> GetListAsync(List<int> ids, [NotKey] string? reason = null);

    private static async ValueTask<IDictionary<int, string>> GetListCoreAsync(List<int> ids, string? reason) => await LoadAsync(ids);

    [SingleFlight(Scope = SingleFlightScope.Instance)]
    public partial Task<IDictionary<int, string>> GetSetAsync(ISet<int> ids);

    private async Task<IReadOnlyDictionary<int, string>> GetSetCoreAsync(ISet<int> ids) => await LoadAsync(ids);

    [SingleFlight]
    public partial ValueTask<IReadOnlyDictionary<int, string>> GetImmutableAsync(ImmutableArray<int> ids);

    private ValueTask<IReadOnlyDictionary<int, string>> GetImmutableCoreAsync(ImmutableArray<int> ids) => new(ids.ToDictionary(static k => k, static k => "i" + k));

    // A long window: the batch goes when it holds MaxBatchSize keys, so the scenario does not depend on timing.
    [SingleFlight(BatchWindowMilliseconds = 60_000, MaxBatchSize = 3)]
    public partial Task<string?> FindAsync(int id, CancellationToken cancellationToken = default);

    private static Task<IReadOnlyDictionary<int, string>> FindCoreAsync(IReadOnlyList<int> ids, CancellationToken cancellationToken)
        => Task.FromResult<IReadOnlyDictionary<int, string>>(ids.Where(static i => i != 0).ToDictionary(static i => i, static i => "f" + i));
}

public static class Scenarios
{
    private static int[][] TakeCalls()
    {
        lock (Catalog.Calls)
        {
            var calls = Catalog.Calls.ToArray();
            Catalog.Calls.Clear();
            return calls;
        }
    }

    private static string Text(IEnumerable<KeyValuePair<int, string>> values) => string.Join(",", values.OrderBy(static p => p.Key).Select(static p => p.Key + "=" + p.Value));

    public static async Task BatchMethodCoalescesPerKey()
    {
        Catalog.Gate.Reset();
        TakeCalls();
        var catalog = new Catalog();
        var first = catalog.GetManyAsync(new[] { 1, 2, 3 });
        var second = catalog.GetManyAsync(new[] { 2, 3, 4 });
        var third = catalog.GetManyAsync(new[] { 4, 5, 5 });
        Catalog.Gate.Open();
        Check.Equal("1=p1,2=p2,3=p3", Text(await first), "first caller's keys");
        Check.Equal("2=p2,3=p3,4=p4", Text(await second), "second caller's keys");
        Check.Equal("4=p4,5=p5", Text(await third), "third caller's keys");
        Check.Equal("1,2,3|4|5", string.Join("|", TakeCalls().Select(static c => string.Join(",", c))), "core calls");
    }

    public static async Task BatchShapesAdaptTheirTypes()
    {
        Catalog.Gate.Reset();
        TakeCalls();
        Catalog.Gate.Open();
        var list = await Catalog.GetListAsync(new List<int> { 1, 2, 3 }, "warmup");
        list[1] = "mine";
        Check.Equal("1=mine,2=p2,3=p3", Text(list), "a List<int> batch, a Dictionary of the caller's own");
        Check.Equal("1,2|3", string.Join("|", TakeCalls().Select(static c => string.Join(",", c))), "MaxBatchSize = 2 splits the core calls");
        Check.Equal("7=p7,8=p8", Text(await new Catalog().GetSetAsync(new HashSet<int> { 7, 8 })), "an ISet<int> batch");
        Check.Equal("9=i9", Text(await new Catalog().GetImmutableAsync(ImmutableArray.Create(9))), "an ImmutableArray<int> batch");
        Check.Equal(0, (await new Catalog().GetManyAsync(new int[0])).Count, "an empty batch");
    }

    public static async Task BatchedSingleKeysShareACoreCall()
    {
        var catalog = new Catalog();
        var calls = new[] { 1, 0, 1, 2 }.Select(id => catalog.FindAsync(id)).ToArray();
        var values = await Task.WhenAll(calls);
        Check.Equal("f1,,f1,f2", string.Join(",", values), "values (key 0 is left out by the core: null)");
    }
}
