using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace SingleFlight.Runtime.Tests;

/// <summary>
/// A batch work whose calls the test controls: each call records its keys and token, then waits for the test to
/// answer it (<see cref="BatchCall.Answer"/>, <see cref="BatchCall.Fail"/>).
/// </summary>
internal sealed class GatedBatch<TKey>
    where TKey : notnull
{
    private readonly ConcurrentQueue<BatchCall> _calls = new();

    public SingleFlightBatchWork<TKey, string> Work => RunAsync;

    public BatchCall[] Calls => _calls.ToArray();

    public BatchCall Single() => Assert.Single(_calls);

    private async ValueTask<IReadOnlyDictionary<TKey, string>> RunAsync(IReadOnlyList<TKey> keys, CancellationToken cancellationToken)
    {
        var call = new BatchCall(keys.ToArray(), cancellationToken);
        _calls.Enqueue(call);
        return await call.Gate.Task.ConfigureAwait(false);
    }

    internal sealed class BatchCall(TKey[] keys, CancellationToken token)
    {
        public TKey[] Keys { get; } = keys;

        public CancellationToken Token { get; } = token;

        public TaskCompletionSource<IReadOnlyDictionary<TKey, string>> Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Answers every key (value: <c>v</c> + key) except <paramref name="without"/>.</summary>
        public void Answer(params TKey[] without)
            => Gate.SetResult(Keys.Where(k => !without.Contains(k)).ToDictionary(k => k, k => "v" + k));

        public void Fail(Exception error) => Gate.SetException(error);
    }
}

/// <summary>A <see cref="FakeTimeProvider"/> that counts the timers alive (created and not yet disposed).</summary>
internal sealed class CountingClock : TimeProvider
{
    private int _alive;
    private int _created;

    public FakeTimeProvider Fake { get; } = new();

    public int AliveTimers => Volatile.Read(ref _alive);

    public int CreatedTimers => Volatile.Read(ref _created);

    public void Advance(TimeSpan delta) => Fake.Advance(delta);

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _alive);
        Interlocked.Increment(ref _created);
        return new Counted(this, Fake.CreateTimer(callback, state, dueTime, period));
    }

    private sealed class Counted(CountingClock owner, ITimer inner) : ITimer
    {
        private int _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._alive);
            }

            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
