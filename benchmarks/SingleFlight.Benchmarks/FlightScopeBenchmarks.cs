using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using SingleFlight.Benchmarks.Contenders;

namespace SingleFlight.Benchmarks;

/// <summary>
/// One caller, one key, work that completes at once: today's generated wrapper beside the wrapper of a core that takes
/// its store from the flight's own DI scope (<c>[FromFlightScope]</c>), and beside creating that scope by hand.
/// </summary>
[MemoryDiagnoser]
public class FlightScopeBenchmarks
{
    private UserRepository _repo = null!;
    private ScopedUserRepository _scoped = null!;
    private ServiceProvider _provider = null!;

    [GlobalSetup]
    public void Setup()
    {
        _repo = new UserRepository(new SyncStore());
        _provider = new ServiceCollection().AddScoped<UserStore, SyncStore>().BuildServiceProvider();
        _scoped = new ScopedUserRepository(_provider.GetRequiredService<IServiceScopeFactory>());
    }

    [GlobalCleanup]
    public void Cleanup() => _provider.Dispose();

    [Benchmark(Baseline = true, Description = "Generated wrapper")]
    public ValueTask<int> Generated() => _repo.GetAsync(UncontendedBenchmarks.Id);

    [Benchmark(Description = "Generated wrapper, [FromFlightScope]")]
    public ValueTask<int> GeneratedFlightScope() => _scoped.GetAsync(UncontendedBenchmarks.Id);

    [Benchmark(Description = "Scope by hand, no single-flight")]
    public ValueTask<int> ScopeByHand() => _scoped.GetByHandAsync(UncontendedBenchmarks.Id, CancellationToken.None);
}
