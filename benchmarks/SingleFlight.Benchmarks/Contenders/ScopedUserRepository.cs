using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;

namespace SingleFlight.Benchmarks.Contenders;

/// <summary>
/// <see cref="UserRepository"/>'s method with the store taken from a scope the flight owns
/// (<c>[FromFlightScope]</c>): what a repository that follows README.md pays.
/// </summary>
public sealed partial class ScopedUserRepository(IServiceScopeFactory scopes)
{
    /// <summary>The generated wrapper: a scope per flight, the store resolved from it.</summary>
    [SingleFlight(KeyFrom = "id")]
    public partial ValueTask<int> GetAsync(int id, CancellationToken ct = default);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ValueTask<int> GetCoreAsync(int id, [FromFlightScope] UserStore store, CancellationToken cancellationToken)
        => store.LoadAsync(id, cancellationToken);

    /// <summary>The same by hand, without single-flight: a scope per call, the store resolved from it.</summary>
    public async ValueTask<int> GetByHandAsync(int id, CancellationToken cancellationToken = default)
    {
        var scope = scopes.CreateAsyncScope();
        try
        {
            return await GetCoreAsync(id, scope.ServiceProvider.GetRequiredService<UserStore>(), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await scope.DisposeAsync().ConfigureAwait(false);
        }
    }
}
