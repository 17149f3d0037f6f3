using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Benchmarks.Contenders;

/// <summary>
/// What a user writes: a repository with a core method. The <c>[SingleFlight]</c> declarations are in
/// UserRepository.SingleFlight.cs; the generator writes their bodies.
/// </summary>
public sealed partial class UserRepository(UserStore store)
{
    public UserStore Store => store;

    // NoInlining on both core methods: a real core method (a database call) is never inlined into its caller,
    // and without it the JIT folds the direct call into a constant (0.01 ns), which makes every ratio
    // meaningless. Every contender calls the same non-inlined method, so it cancels out.

    /// <summary>The core method: what the "direct call" contender calls.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public ValueTask<int> GetCoreAsync(int id, CancellationToken cancellationToken) => store.LoadAsync(id, cancellationToken);

    /// <summary>The synchronous core method, for the blocking path.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public int GetCore(int id) => store.Load(id);
}
