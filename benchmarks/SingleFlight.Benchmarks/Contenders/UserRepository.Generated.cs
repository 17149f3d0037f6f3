using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Benchmarks.Contenders;

// TODO(generator): this file stands in for the generator's output, which is being written on another branch.
// It is, line for line, what the generator emits for
//
//     [SingleFlight(KeyFrom = "id")]
//     public partial ValueTask<int> GetAsync(int id, CancellationToken ct = default);
//     [SingleFlight(KeyFrom = "id")]
//     public partial int Get(int id);
//
// (one static group per method, the state tuple and a static lambda, the flight's token passed to the core).
// Once the generator is merged, delete this file, declare the two partial methods above with the attribute
// in UserRepository.cs, and reference the generator as an analyzer; the benchmarks need no other change.
public sealed partial class UserRepository
{
    private static readonly SingleFlightGroup<int, int> s_getAsyncGroup = new();
    private static readonly SingleFlightGroup<int, int> s_getGroup = new();

    /// <summary>The generated wrapper around <see cref="GetCoreAsync"/>.</summary>
    public ValueTask<int> GetAsync(int id, CancellationToken ct = default)
        => s_getAsyncGroup.DoAsync(id, (this, id), static (s, t) => s.Item1.GetCoreAsync(s.Item2, t), ct);

    /// <summary>The generated wrapper around <see cref="GetCore"/>: the blocking path.</summary>
    public int Get(int id)
        => s_getGroup.Do(id, (this, id), static s => s.Item1.GetCore(s.Item2));

    /// <summary>For the benchmarks' checks only: the generator emits no such member.</summary>
    internal static int InFlightForChecks => s_getAsyncGroup.InFlightCount + s_getGroup.InFlightCount;
}
