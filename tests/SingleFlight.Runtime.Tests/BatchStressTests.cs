namespace SingleFlight.Runtime.Tests;

/// <summary>
/// Many threads, random overlapping key sets, with and without a batch window. Short enough for CI (well under a second
/// each here); they check invariants, not orderings.
/// </summary>
public sealed class BatchStressTests
{
    private const int Keys = 24;

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 5)]
    [InlineData(1, 0)]
    [InlineData(1, 7)]
    public async Task Every_caller_gets_the_right_value_of_each_key_and_no_key_is_loaded_by_two_calls_at_once(int windowMilliseconds, int maxBatchSize)
    {
        var group = new SingleFlightBatchGroup<int, string>
        {
            Name = "batch-stress",
            BatchWindow = TimeSpan.FromMilliseconds(windowMilliseconds),
            MaxBatchSize = maxBatchSize,
        };
        var active = new int[Keys];
        var violations = 0;
        var calls = 0;

        async ValueTask<IReadOnlyDictionary<int, string>> Work(IReadOnlyList<int> keys, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref calls);
            if (keys.Count == 0 || keys.Distinct().Count() != keys.Count || (maxBatchSize > 0 && keys.Count > maxBatchSize))
            {
                Interlocked.Increment(ref violations);
            }

            foreach (var key in keys)
            {
                if (Interlocked.Increment(ref active[key]) != 1)
                {
                    Interlocked.Increment(ref violations);
                }
            }

            await Task.Yield();
            var result = new Dictionary<int, string>();
            foreach (var key in keys)
            {
                Interlocked.Decrement(ref active[key]);

                // Key 0 is never found: "not found" must reach its callers in every interleaving too.
                if (key != 0)
                {
                    result[key] = "v" + key;
                }
            }

            return result;
        }

        var wrong = 0;
        var callers = Enumerable.Range(0, 8).Select(seed => Task.Run(async () =>
        {
            var random = new Random(seed);
            for (var i = 0; i < 150; i++)
            {
                if (random.Next(3) == 0)
                {
                    var key = random.Next(Keys);
                    var value = await group.DoOrDefaultAsync(key, Work);
                    if (value != (key == 0 ? null : "v" + key))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
                else
                {
                    var keys = Enumerable.Range(0, random.Next(1, 8)).Select(_ => random.Next(Keys)).ToArray();
                    var result = await group.DoManyAsync(keys, Work);
                    var expected = keys.Where(k => k != 0).Distinct().OrderBy(k => k).ToArray();
                    if (!result.Keys.OrderBy(k => k).SequenceEqual(expected) || expected.Any(k => result[k] != "v" + k))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            }
        })).ToArray();

        await Bounded.Wait(Task.WhenAll(callers));
        var state = $"wrong={wrong} violations={violations} inFlight={group.InFlightCount} calls={calls}";
        Assert.True(wrong == 0 && violations == 0 && group.InFlightCount == 0, state);

        // At most one call of the work per caller, or two for a caller whose up to 7 missing keys a size limit of 5
        // splits (a busy machine overlaps callers less, so nearly every caller fetches: 1,312 calls seen at limit 5).
        Assert.InRange(calls, 1, 8 * 150 * (maxBatchSize is > 0 and < 7 ? 2 : 1));
    }

    [Fact]
    public async Task Callers_that_cancel_at_random_leave_alone_and_the_others_still_get_their_values()
    {
        var group = new SingleFlightBatchGroup<int, string> { Name = "batch-stress-cancel", BatchWindow = TimeSpan.FromMilliseconds(1) };
        async ValueTask<IReadOnlyDictionary<int, string>> Work(IReadOnlyList<int> keys, CancellationToken cancellationToken)
        {
            await Task.Yield();
            return keys.ToDictionary(k => k, k => "v" + k);
        }

        var wrong = 0;
        var callers = Enumerable.Range(0, 8).Select(seed => Task.Run(async () =>
        {
            var random = new Random(100 + seed);
            for (var i = 0; i < 150; i++)
            {
                using var cts = new CancellationTokenSource();
                var keys = Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.Next(Keys)).ToArray();
                var many = random.Next(2) == 0;
                var pending = many
                    ? group.DoManyAsync(keys, Work, cts.Token).AsTask()
                    : group.DoAsync(keys[0], Work, cts.Token).AsTask().ContinueWith(t => (IReadOnlyDictionary<int, string>)new Dictionary<int, string> { [keys[0]] = t.Result }, TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion);
                if (random.Next(3) == 0)
                {
                    cts.Cancel();
                }

                try
                {
                    var result = await pending;
                    if (result.Any(p => p.Value != "v" + p.Key) || result.Count != (many ? keys.Distinct().Count() : 1))
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
                catch (OperationCanceledException) when (cts.IsCancellationRequested)
                {
                    // This caller left.
                }
            }
        })).ToArray();

        await Bounded.Wait(Task.WhenAll(callers));
        Assert.Equal(0, wrong);
        Assert.Equal(0, group.InFlightCount);
    }
}
