using System;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight.Benchmarks.Contenders;

// The "generated wrapper" contender: the real [SingleFlight] generator writes these two methods (one static
// group per method, a state tuple and a static lambda, the flight's token passed to the core method).
public sealed partial class UserRepository
{
    /// <summary>The generated wrapper around <see cref="GetCoreAsync"/>.</summary>
    [SingleFlight(KeyFrom = "id")]
    public partial ValueTask<int> GetAsync(int id, CancellationToken ct = default);

    /// <summary>The generated wrapper around <see cref="GetCore"/>: the blocking path.</summary>
    [SingleFlight(KeyFrom = "id")]
    public partial int Get(int id);

    /// <summary>
    /// For the quick mode's checks only: flights in the generated groups (found by reflection, since their
    /// field names are the generator's business).
    /// </summary>
    internal static int InFlightForChecks
        => new[] { typeof(UserRepository) }
            .Concat(typeof(UserRepository).GetNestedTypes(BindingFlags.NonPublic | BindingFlags.Public))
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            .Where(f => f.FieldType == typeof(SingleFlightGroup<int, int>))
            .Select(f => ((SingleFlightGroup<int, int>?)f.GetValue(null))?.InFlightCount ?? 0)
            .Sum();

    /// <summary>For the quick mode's checks only: how many generated groups were found.</summary>
    internal static int GeneratedGroupsForChecks
        => new[] { typeof(UserRepository) }
            .Concat(typeof(UserRepository).GetNestedTypes(BindingFlags.NonPublic | BindingFlags.Public))
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            .Count(f => f.FieldType == typeof(SingleFlightGroup<int, int>));
}
