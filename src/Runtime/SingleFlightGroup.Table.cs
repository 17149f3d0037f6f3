using System.Collections.Generic;
using System.Threading;

namespace SingleFlight;

public sealed partial class SingleFlightGroup<TKey, TValue>
{
    // The map of running flights is a hash table of chains threaded through the flights themselves
    // (Flight.Next), so starting a flight allocates the flight and nothing else. The uncontended path takes no
    // lock: a flight is published with one compare-and-swap on its bucket's head and, when it ends alone in its
    // bucket, unpublished with another. The rules that make that safe:
    //   - A bucket's head changes only by CAS; a chain is only ever extended at its head.
    //   - Next fields of published flights change only under _slowLock (removal of a flight that is not alone
    //     in its bucket, and resizing). So a flight that is the head with Next == null can be removed by a CAS
    //     of the head to null: nobody can have linked a successor to it without changing the head first.
    //   - An insert CASes the head it read before walking the chain; if no insert happened since (the head is
    //     unchanged) no flight for the key can have appeared in the chain, and removals only shorten it.
    //     (Head ABA — a newer flight inserted and removed again — is harmless: the chain still holds no flight
    //     for the key.) A flight is published at most once, so no removed flight ever comes back.
    //   - Resizing (under _slowLock) freezes every old bucket by CASing its head to s_moved, relinks the frozen
    //     chains into the new table and then publishes it. Any CAS on a frozen bucket fails; whoever sees
    //     s_moved waits on _slowLock for the new table. A lookup that walks a chain while it is being relinked
    //     may miss a flight, but it then tries to insert into (or re-checks) the frozen bucket and retries.
    //   - Shrinking (issue 19) is the same resize to a smaller table, under _slowLock: it runs when a removal leaves the
    //     map less than 1/16 full, so a burst of distinct keys does not keep its buckets for the life of the group.
    //   - _entries counts the flights in the map (kept values included): +1 by the publishing CAS's winner, -1 by
    //     the removal that succeeded (removal is by identity and succeeds once per flight). _kept counts the kept
    //     values among them. Both are single interlocked counters, so InFlightCount is O(1) and takes no lock.
    private static readonly Flight s_moved = new(default!, 0, cancellable: false);

    private const int InitialBuckets = 8;
    private const int MaxBuckets = 1 << 30;

    // A chain this long makes an insert consider growing the table.
    private const int LongChain = 4;

    // A removal that leaves the table less than 1/16 full (entries < buckets >> ShrinkShift) shrinks it, to a size
    // at most a quarter full: growing asks for half full, so the two never alternate.
    private const int ShrinkShift = 4;

    private readonly IEqualityComparer<TKey>? _comparer;
    private readonly object _slowLock = new();
    private volatile Table _table;

    // Entries in the map (running flights and kept values), and kept values among them: see the map's rules above.
    private int _entries;
    private int _kept;

    private int GetHash(TKey key) => _comparer is null ? EqualityComparer<TKey>.Default.GetHashCode(key) : _comparer.GetHashCode(key);

    private bool KeyEquals(TKey x, TKey y) => _comparer is null ? EqualityComparer<TKey>.Default.Equals(x, y) : _comparer.Equals(x, y);

    /// <summary>
    /// Returns the flight running for <paramref name="key"/>; or, when there is none, publishes a new one as
    /// <paramref name="added"/> and returns <see langword="null"/>.
    /// </summary>
    private Flight? FindOrAdd(TKey key, int hash, bool cancellable, out Flight added)
    {
        Flight? candidate = null;
        while (true)
        {
            var table = _table;
            var buckets = table.Buckets;
            var index = table.IndexOf(hash);
            var head = Volatile.Read(ref buckets[index]);
            if (ReferenceEquals(head, s_moved))
            {
                WaitForResize();
                continue;
            }

            var length = 0;
            for (var flight = head; flight is not null; flight = Volatile.Read(ref flight.Next))
            {
                if (flight.Hash == hash && KeyEquals(flight.Key, key))
                {
                    added = null!;
                    return flight;
                }

                // Only entries with another hash code count: growing the table cannot split equal hash codes,
                // so a chain of them must not make every insert try (and scan the table) again.
                if (flight.Hash != hash)
                {
                    length++;
                }
            }

            if (length >= LongChain && TryGrow(table))
            {
                continue;
            }

            candidate ??= new Flight(key, hash, cancellable);
            if (head is not null || candidate.Next is not null)
            {
                // Skipped for an empty bucket (the common case): storing a reference costs a GC write barrier.
                candidate.Next = head;
            }

            // Succeeds only if the head is still the one whose chain was searched (see the map's rules above).
            if (ReferenceEquals(Interlocked.CompareExchange(ref buckets[index], candidate, head), head))
            {
                Interlocked.Increment(ref _entries);
                added = candidate;
                return null;
            }
        }
    }

    /// <summary>The flight running for <paramref name="key"/>, if any.</summary>
    private Flight? Find(TKey key, int hash)
    {
        while (true)
        {
            var table = _table;
            var buckets = table.Buckets;
            var index = table.IndexOf(hash);
            var head = Volatile.Read(ref buckets[index]);
            if (!ReferenceEquals(head, s_moved))
            {
                for (var flight = head; flight is not null; flight = Volatile.Read(ref flight.Next))
                {
                    if (flight.Hash == hash && KeyEquals(flight.Key, key))
                    {
                        return flight;
                    }
                }

                // A miss counts only if the chain was not being relinked by a resize meanwhile.
                if (!ReferenceEquals(Volatile.Read(ref buckets[index]), s_moved))
                {
                    return null;
                }
            }

            WaitForResize();
        }
    }

    /// <summary>
    /// Takes <paramref name="flight"/> out of the map if it is still there, never a newer flight for its key.
    /// </summary>
    /// <returns><see langword="true"/> if this call removed it.</returns>
    private bool RemoveIfPresent(Flight flight)
    {
        // The uncontended case: the flight is alone in its bucket, so one CAS of the head to null removes it.
        var table = _table;
        var buckets = table.Buckets;
        var index = table.IndexOf(flight.Hash);
        if (ReferenceEquals(Volatile.Read(ref buckets[index]), flight)
            && Volatile.Read(ref flight.Next) is null
            && ReferenceEquals(Interlocked.CompareExchange(ref buckets[index], null, flight), flight))
        {
            Removed(flight, buckets.Length);
            return true;
        }

        if (!RemoveSlow(flight, out var length))
        {
            return false;
        }

        Removed(flight, length);
        return true;
    }

    /// <summary>Accounts for a flight that this thread took out of the map; shrinks the table when it is sparse.</summary>
    private void Removed(Flight flight, int bucketCount)
    {
        var remaining = Interlocked.Decrement(ref _entries);

        // Kept is set (in the same step as Closed) only on a flight still in the map — Forget marks a flight Detached
        // before removing it, and a detached flight is never kept — so a removed entry that shows it was counted in
        // _kept (Flight.Succeed with a share window counts it before setting the flag).
        if (flight.IsKept)
        {
            Interlocked.Decrement(ref _kept);
        }

        if (remaining < bucketCount >> ShrinkShift && bucketCount > InitialBuckets)
        {
            TryShrink();
        }
    }

    private bool RemoveSlow(Flight flight, out int bucketCount)
    {
        lock (_slowLock)
        {
            // No resize can run now, so the current table holds no frozen bucket, and no Next field changes.
            var table = _table;
            var buckets = table.Buckets;
            var index = table.IndexOf(flight.Hash);
            bucketCount = buckets.Length;
            while (true)
            {
                var head = Volatile.Read(ref buckets[index]);
                if (ReferenceEquals(head, flight))
                {
                    if (ReferenceEquals(Interlocked.CompareExchange(ref buckets[index], flight.Next, flight), flight))
                    {
                        return true;
                    }

                    // A new flight was pushed in front of it (or it was removed by the lock-free path): look again.
                    continue;
                }

                for (var previous = head; previous is not null; previous = previous.Next)
                {
                    if (ReferenceEquals(previous.Next, flight))
                    {
                        Volatile.Write(ref previous.Next, flight.Next);
                        return true;
                    }
                }

                return false;
            }
        }
    }

    /// <summary>
    /// Doubles the table if it is at least half full. Returns <see langword="true"/> if the caller should look
    /// again (the table changed).
    /// </summary>
    private bool TryGrow(Table table)
    {
        lock (_slowLock)
        {
            if (!ReferenceEquals(_table, table))
            {
                return true;
            }

            var buckets = table.Buckets;

            // A long chain in a table that is mostly empty comes from colliding hash codes: growing won't help.
            if (buckets.Length >= MaxBuckets || Volatile.Read(ref _entries) < buckets.Length / 2)
            {
                return false;
            }

            Resize(table, buckets.Length * 2);
            return true;
        }
    }

    /// <summary>Halves the table (or more) when it is less than 1/16 full, down to <see cref="InitialBuckets"/>.</summary>
    private void TryShrink()
    {
        lock (_slowLock)
        {
            var table = _table;
            var length = table.Buckets.Length;
            var entries = Volatile.Read(ref _entries);
            if (length <= InitialBuckets || entries >= length >> ShrinkShift)
            {
                return;
            }

            // A quarter full at most afterwards: growing asks for half, so a table never grows right after shrinking.
            var size = InitialBuckets;
            while (size < entries * 4 && size < length)
            {
                size *= 2;
            }

            if (size < length)
            {
                Resize(table, size);
            }
        }
    }

    /// <summary>Moves every chain of <paramref name="table"/> into a new table of <paramref name="size"/> buckets. Under _slowLock.</summary>
    private void Resize(Table table, int size)
    {
        var buckets = table.Buckets;
        var bigger = new Table(size);
        for (var i = 0; i < buckets.Length; i++)
        {
            Flight? head;
            do
            {
                head = Volatile.Read(ref buckets[i]);
            }
            while (!ReferenceEquals(Interlocked.CompareExchange(ref buckets[i], s_moved, head), head));

            // The chain is frozen now: its head can't change, and its Next fields change only under the lock.
            for (var flight = head; flight is not null;)
            {
                var next = flight.Next;
                ref var target = ref bigger.Buckets[bigger.IndexOf(flight.Hash)];
                Volatile.Write(ref flight.Next, target);
                target = flight;
                flight = next;
            }
        }

        _table = bigger;
    }

    private void WaitForResize()
    {
        // A resize holds the lock until it has published the new table.
        lock (_slowLock)
        {
        }
    }

    /// <summary>A fixed-size array of chains; the map replaces it with a bigger one as it fills.</summary>
    private sealed class Table
    {
        internal readonly Flight?[] Buckets;
        private readonly int _shift;

        internal Table(int size)
        {
            Buckets = new Flight?[size];
            var bits = 0;
            while ((1 << bits) < size)
            {
                bits++;
            }

            _shift = 32 - bits;
        }

        // Fibonacci hashing: the top bits of the product, so that keys with equal low bits (ids that are
        // multiples of a power of two) still spread.
        internal int IndexOf(int hash) => (int)(((uint)hash * 2654435769u) >> _shift);

        /// <summary>The number of entries; without <paramref name="includeKept"/>, of running flights only.</summary>
        internal int Count(bool includeKept = true)
        {
            var count = 0;
            foreach (var head in Buckets)
            {
                for (var flight = head; flight is not null && !ReferenceEquals(flight, s_moved); flight = Volatile.Read(ref flight.Next))
                {
                    if (includeKept || !flight.IsKept)
                    {
                        count++;
                    }
                }
            }

            return count;
        }
    }
}
