using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using SingleFlight;

namespace Matrix.Generics;

public sealed partial class Service
{
    public static readonly Gate Gate = new();

    // The key is a type parameter (may be null: wrapped in a one-element tuple); one group per T.
    [SingleFlight(KeyFrom = "id")]
    public partial Task<T> EchoAsync<T>(T id, CancellationToken cancellationToken = default);

    private async Task<T> EchoCoreAsync<T>(T id, CancellationToken cancellationToken)
    {
        Gate.Enter();
        await Gate.WaitAsync();
        return id;
    }

    [SingleFlight]
    public partial ValueTask<List<TValue>> ListAsync<TKey, TValue>(TKey key, TValue value)
        where TKey : notnull
        where TValue : class, new();

    private async ValueTask<List<TValue>> ListCoreAsync<TKey, TValue>(TKey key, TValue value)
        where TKey : notnull
        where TValue : class, new()
    {
        Gate.Enter();
        await Gate.WaitAsync();
        return new List<TValue> { value };
    }

    [SingleFlight]
    public static partial T Default<T>(int id) where T : struct;

    private static T DefaultCore<T>(int id) where T : struct
    {
        Gate.Enter();
        Gate.Wait();
        return default;
    }
}

public static class Scenarios
{
    public static async Task GenericMethod()
    {
        await Run.TwoKeysAsync(Service.Gate, id => new Service().EchoAsync(id), id => id);
        await Run.TwoKeysAsync(Service.Gate, id => new Service().EchoAsync(id == 0 ? null : "s"), id => id == 0 ? null : "s");

        // EchoAsync<int>(1) and EchoAsync<long>(1) are different groups.
        await Run.SeparateFlightsAsync(
            Service.Gate,
            2,
            i => i == 0 ? new Service().EchoAsync<int>(1).ContinueWith(t => (object)t.Result) : new Service().EchoAsync<long>(1).ContinueWith(t => (object)t.Result),
            i => i == 0 ? 1 : (object)1L);
    }

    public static async Task GenericConstraints()
    {
        var item = new object();
        await Run.OneKeyAsync(Service.Gate, _ => new Service().ListAsync("k", item).AsTask().ContinueWith(t => t.Result[0]), item);
    }

    public static Task GenericStatic()
    {
        Run.TwoKeysBlocking(Service.Gate, id => Service.Default<int>(id), _ => 0);
        return Task.CompletedTask;
    }
}
