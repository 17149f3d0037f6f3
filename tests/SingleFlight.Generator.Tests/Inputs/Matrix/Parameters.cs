using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using SingleFlight;

namespace Matrix.Parameters;

public readonly record struct Big(long A, long B, long C);

public static partial class Extensions
{
    // An extension method: `this` is repeated in the implementation.
    [SingleFlight]
    public static partial Task<string> DescribeAsync(this string text, int id);

    private static Task<string> DescribeCoreAsync(this string text, int id) => Service.WorkAsync(text + id);
}

public sealed partial class Service
{
    public static readonly Gate Gate = new();

    public static async Task<string> WorkAsync(string what)
    {
        Gate.Enter();
        await Gate.WaitAsync();
        return what;
    }

    [SingleFlight(KeyFrom = "big.A")]
    public partial Task<string> ByInAsync(in Big big);

    private Task<string> ByInCoreAsync(in Big big) => WorkAsync("in" + big.A);

    [SingleFlight(KeyFrom = "big.A")]
    public partial Task<string> ByScopedInAsync(scoped in Big big);

    private Task<string> ByScopedInCoreAsync(scoped in Big big) => WorkAsync("scoped" + big.A);

    [SingleFlight(KeyFrom = "prefix, ids.Length")]
    public partial Task<string> ByParamsAsync(string prefix, params int[] ids);

    private Task<string> ByParamsCoreAsync(string prefix, params int[] ids) => WorkAsync(prefix + ids.Length);

    // Default values stay on the declaration only.
    [SingleFlight]
    public partial Task<string> WithDefaultsAsync(int id = 3, string name = "x", CancellationToken cancellationToken = default);

    private Task<string> WithDefaultsCoreAsync(int id, string name, CancellationToken cancellationToken) => WorkAsync(name + id);

    // Keyword names.
    [SingleFlight(KeyFrom = "@class, @int")]
    public partial Task<string> KeywordsAsync(string @class, int @int, CancellationToken @event = default);

    private Task<string> KeywordsCoreAsync(string @class, int @int, CancellationToken @event) => WorkAsync(@class + @int);

    // Nullable annotations in nested positions.
    [SingleFlight(KeyFrom = "name")]
    public partial Task<Dictionary<string, List<int?>?>> NullablesAsync(string? name, IReadOnlyList<string?>? extra);

    private async Task<Dictionary<string, List<int?>?>> NullablesCoreAsync(string? name, IReadOnlyList<string?>? extra)
    {
        await WorkAsync(name ?? "null");
        return new Dictionary<string, List<int?>?> { [name ?? "null"] = null };
    }
}

public static class Scenarios
{
    public static Task In() => Run.TwoKeysAsync(Service.Gate, i => new Service().ByInAsync(new Big(i, 1, 2)), i => "in" + i);

    public static Task ScopedIn() => Run.TwoKeysAsync(Service.Gate, i => new Service().ByScopedInAsync(new Big(i, 1, 2)), i => "scoped" + i);

    public static Task Params() => Run.TwoKeysAsync(Service.Gate, i => i == 0 ? new Service().ByParamsAsync("p", 1) : new Service().ByParamsAsync("p", 1, 2), i => "p" + (i + 1));

    public static Task Defaults() => Run.TwoKeysAsync(Service.Gate, i => i == 0 ? new Service().WithDefaultsAsync() : new Service().WithDefaultsAsync(4), i => i == 0 ? "x3" : "x4");

    public static Task Keywords() => Run.TwoKeysAsync(Service.Gate, i => new Service().KeywordsAsync("k", i), i => "k" + i);

    public static Task Extension() => Run.TwoKeysAsync(Service.Gate, i => "e".DescribeAsync(i), i => "e" + i);

    public static Task Nullables()
        => Run.TwoKeysAsync(Service.Gate, i => new Service().NullablesAsync(i == 0 ? null : "n", null).ContinueWith(t => string.Join(",", t.Result.Keys)), i => i == 0 ? "null" : "n");
}
