using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight;

/// <summary>
/// The work of a <see cref="SingleFlightBatchGroup{TKey, TValue}"/>: loads the values of several keys in one call
/// (one database query, one HTTP round trip) and answers with a dictionary from key to value.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
/// <param name="keys">
/// The keys to load: distinct (by the group's comparer), never empty, and never more than
/// <see cref="SingleFlightBatchGroup{TKey, TValue}.MaxBatchSize"/> when that is set. The list belongs to this call;
/// it is not changed while the work runs, and the work must not keep it after it returned.
/// </param>
/// <param name="cancellationToken">
/// Cancelled only when nobody waits for any of <paramref name="keys"/> any more.
/// </param>
/// <returns>
/// The values found, by key. A key the work does not return is "not found" for its callers (absent from
/// <c>DoManyAsync</c>'s result, <see cref="System.Collections.Generic.KeyNotFoundException"/> from <c>DoAsync</c>,
/// <see langword="default"/> from <c>DoOrDefaultAsync</c>); keys that were not asked for are ignored. The dictionary
/// is read once, when the work completes, and never changed or kept by the group.
/// </returns>
public delegate ValueTask<IReadOnlyDictionary<TKey, TValue>> SingleFlightBatchWork<TKey, TValue>(
    IReadOnlyList<TKey> keys, CancellationToken cancellationToken)
    where TKey : notnull;
