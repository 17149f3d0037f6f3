using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Benchmarks.Contenders;

/// <summary>
/// What a user writes: a repository with a core method. The single-flight wrapper for it lives in
/// UserRepository.Generated.cs.
/// </summary>
public sealed partial class UserRepository(UserStore store)
{
    public UserStore Store => store;

    /// <summary>The core method: what the "direct call" contender calls.</summary>
    public ValueTask<int> GetCoreAsync(int id, CancellationToken cancellationToken) => store.LoadAsync(id, cancellationToken);

    /// <summary>The synchronous core method, for the blocking path.</summary>
    public int GetCore(int id) => store.Load(id);
}
