using System.Threading;
using System.Threading.Tasks;
using SingleFlight;

namespace Matrix.Returns;

public sealed partial class Service
{
    public static readonly Gate Gate = new();

    [SingleFlight(KeyFrom = "id")]
    public partial Task<string> GetAsync(int id, CancellationToken cancellationToken = default);

    private async Task<string> GetCoreAsync(int id, CancellationToken cancellationToken)
    {
        Gate.Enter();
        await Gate.WaitAsync();
        return "value-" + id;
    }

    [SingleFlight(KeyFrom = "id")]
    public partial Task RunAsync(int id, CancellationToken cancellationToken = default);

    private async Task RunCoreAsync(int id, CancellationToken cancellationToken)
    {
        Gate.Enter();
        await Gate.WaitAsync();
    }

    [SingleFlight(KeyFrom = "id")]
    public partial ValueTask<int> GetNumberAsync(int id, CancellationToken cancellationToken = default);

    private async ValueTask<int> GetNumberCoreAsync(int id, CancellationToken cancellationToken)
    {
        Gate.Enter();
        await Gate.WaitAsync();
        return id * 10;
    }

    [SingleFlight(KeyFrom = "id")]
    public partial ValueTask RunValueAsync(int id, CancellationToken cancellationToken = default);

    private async ValueTask RunValueCoreAsync(int id, CancellationToken cancellationToken)
    {
        Gate.Enter();
        await Gate.WaitAsync();
    }

    [SingleFlight(KeyFrom = "id")]
    public partial string Get(int id);

    private string GetCore(int id)
    {
        Gate.Enter();
        Gate.Wait();
        return "sync-" + id;
    }

    public static int LastRun = -1;

    [SingleFlight(KeyFrom = "id")]
    public partial void Run(int id);

    private void RunCore(int id)
    {
        Gate.Enter();
        Gate.Wait();
        LastRun = id;
    }

    [SingleFlight(KeyFrom = "id")]
    public partial Task<string?> FindAsync(int id);

    private async Task<string?> FindCoreAsync(int id)
    {
        Gate.Enter();
        await Gate.WaitAsync();
        return id == 0 ? null : "found-" + id;
    }

    [SingleFlight(KeyFrom = "id")]
    public partial ValueTask<int?> FindNumberAsync(int id);

    private async ValueTask<int?> FindNumberCoreAsync(int id)
    {
        Gate.Enter();
        await Gate.WaitAsync();
        return id == 0 ? null : id;
    }

    // Default key from a nullable value type: the key may be null, so it goes into a one-element tuple.
    [SingleFlight]
    public partial int? Lookup(int? id);

    private int? LookupCore(int? id)
    {
        Gate.Enter();
        Gate.Wait();
        return id is null ? null : id + 100;
    }

    // Default key from a nullable reference type.
    [SingleFlight]
    public partial Task<string?> EchoAsync(string? text);

    private async Task<string?> EchoCoreAsync(string? text)
    {
        Gate.Enter();
        await Gate.WaitAsync();
        return text;
    }
}

public static class Scenarios
{
    // Every caller uses its own instance: the default scope shares flights across instances.
    public static Task TaskOfT() => Run.TwoKeysAsync(Service.Gate, id => new Service().GetAsync(id), id => "value-" + id);

    public static Task Task() => Run.TwoKeysAsync(Service.Gate, id => new Service().RunAsync(id));

    public static Task ValueTaskOfT() => Run.TwoKeysAsync(Service.Gate, id => new Service().GetNumberAsync(id).AsTask(), id => id * 10);

    public static Task ValueTask() => Run.TwoKeysAsync(Service.Gate, id => new Service().RunValueAsync(id).AsTask());

    public static Task PlainT()
    {
        Run.TwoKeysBlocking(Service.Gate, id => new Service().Get(id), id => "sync-" + id);
        return System.Threading.Tasks.Task.CompletedTask;
    }

    public static Task Void()
    {
        Run.TwoKeysBlocking(Service.Gate, id => { new Service().Run(id); return 0; }, _ => 0);
        return System.Threading.Tasks.Task.CompletedTask;
    }

    public static Task NullableReference() => Run.TwoKeysAsync(Service.Gate, id => new Service().FindAsync(id), id => id == 0 ? null : "found-" + id);

    public static Task NullableValue() => Run.TwoKeysAsync(Service.Gate, id => new Service().FindNumberAsync(id).AsTask(), id => id == 0 ? null : (int?)id);

    public static Task NullableValueKey()
    {
        Run.TwoKeysBlocking(Service.Gate, id => new Service().Lookup(id == 0 ? null : id), id => id == 0 ? null : id + 100);
        return System.Threading.Tasks.Task.CompletedTask;
    }

    public static Task NullableReferenceKey() => Run.TwoKeysAsync(Service.Gate, id => new Service().EchoAsync(id == 0 ? null : "text"), id => id == 0 ? null : "text");
}
