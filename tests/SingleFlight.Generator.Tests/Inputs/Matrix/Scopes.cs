using System.Threading;
using System.Threading.Tasks;
using SingleFlight;

namespace Matrix.Scopes;

public sealed partial class Tenant(string name)
{
    public static readonly Gate Gate = new();

    [SingleFlight(KeyFrom = "id", Scope = SingleFlightScope.Instance)]
    public partial Task<string> GetAsync(int id, CancellationToken cancellationToken = default);

    private async Task<string> GetCoreAsync(int id, CancellationToken cancellationToken)
    {
        Gate.Enter();
        await Gate.WaitAsync();
        return name + id;
    }

    [SingleFlight(Scope = SingleFlightScope.Instance)]
    public partial string Get(int id);

    private string GetCore(int id)
    {
        Gate.Enter();
        Gate.Wait();
        return name + id;
    }
}

public static class Scenarios
{
    public static async Task Instance()
    {
        // Same instance: callers share flights per key.
        var shared = new Tenant("a");
        await Run.TwoKeysAsync(Tenant.Gate, id => shared.GetAsync(id), id => "a" + id);

        // Different instances, same key: one flight per instance.
        var tenants = new[] { new Tenant("x"), new Tenant("y"), new Tenant("z") };
        await Run.SeparateFlightsAsync(Tenant.Gate, 3, i => tenants[i].GetAsync(1), i => new[] { "x1", "y1", "z1" }[i]);
    }

    public static Task InstanceBlocking()
    {
        var shared = new Tenant("b");
        Run.TwoKeysBlocking(Tenant.Gate, id => shared.Get(id), id => "b" + id);
        return Task.CompletedTask;
    }
}
