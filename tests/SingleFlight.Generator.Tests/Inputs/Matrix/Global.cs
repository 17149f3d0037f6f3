using System.Threading;
using System.Threading.Tasks;
using SingleFlight;

// The global namespace.
public partial class GlobalService
{
    public static readonly Matrix.Gate Gate = new();

    [SingleFlight(KeyFrom = "id")]
    public partial Task<string> GetAsync(int id, CancellationToken cancellationToken = default);

    private async Task<string> GetCoreAsync(int id, CancellationToken cancellationToken)
    {
        Gate.Enter();
        await Gate.WaitAsync();
        return "global" + id;
    }
}

namespace Matrix.GlobalNamespace
{
    public static class Scenarios
    {
        public static Task Global() => Run.TwoKeysAsync(GlobalService.Gate, id => new GlobalService().GetAsync(id), id => "global" + id);
    }
}
