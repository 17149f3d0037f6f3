using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SingleFlight;

public sealed partial class SingleFlightBatchGroup<TKey, TValue>
{
    private static readonly TimeSpan MaxBatchWindow = TimeSpan.FromMilliseconds(int.MaxValue);

    private readonly IEqualityComparer<TKey> _comparer;
    private readonly object _lock = new();
    private readonly Dictionary<TKey, KeyFlight> _flights;
    private TimeSpan _batchWindow;
    private int _maxBatchSize;
    private TimeProvider _timeProvider = TimeProvider.System;

    private ValueTask<IReadOnlyDictionary<TKey, TValue>> DoManyCore(
        IEnumerable<TKey> keys, SingleFlightBatchWork<TKey, TValue> work, CancellationToken cancellationToken)
        => throw new NotImplementedException();

    private ValueTask<TValue?> DoOneCore(
        TKey key, SingleFlightBatchWork<TKey, TValue> work, CancellationToken cancellationToken, bool throwIfMissing)
        => throw new NotImplementedException();

    private sealed class KeyFlight
    {
    }
}
