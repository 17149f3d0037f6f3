using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Caching.Memory;
using SingleFlight;
using SingleFlight.Redis;
using StackExchange.Redis;

namespace StampedeDemo;

/// <summary>
/// One worker process of the multi-process mode, started by <see cref="MultiProcessDemo"/>. It opens the database
/// file the parent seeded and connects to the shared Redis, prints <c>ready</c>, then obeys stdin one line at a time:
/// <c>run MODE</c> expires the hot product in that mode's cache, fires the concurrent requests and answers with one
/// <c>done …</c> line; <c>quit</c> or the end of stdin (the parent is gone) ends the process.
/// </summary>
internal static class DemoWorker
{
    /// <summary>The first argument that turns the executable into a worker.</summary>
    public const string Flag = "--worker";

    private const int HotProduct = 42;
    private const int WarmUpProduct = 7;

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = Arguments(args);
        var requests = int.Parse(settings["--requests"], CultureInfo.InvariantCulture);
        var delay = TimeSpan.FromMilliseconds(int.Parse(settings["--delay"], CultureInfo.InvariantCulture));

        using var database = new ProductDatabase(settings["--database"], delay);
        using var redis = await ConnectionMultiplexer.ConnectAsync(MultiProcessDemo.RedisConfiguration(settings["--redis"]));
        using var flights = new DistributedSingleFlight(redis, new DistributedSingleFlightOptions
        {
            // A fresh prefix per run: keys a previous run left behind are never seen.
            KeyPrefix = settings["--key-prefix"],
            // A query takes tens of milliseconds; the lease only matters if a leader process dies.
            LeaseDuration = TimeSpan.FromSeconds(5),
            ResultTimeToLive = TimeSpan.FromSeconds(10),
            WaitTimeout = TimeSpan.FromSeconds(30),
            // Generous for a loaded laptop: a slower command would make that flight run locally.
            RedisTimeout = TimeSpan.FromSeconds(2),
            PollInterval = TimeSpan.FromMilliseconds(200),
        });

        // What [SingleFlight(Distributed = true)] methods use; until it is set they coalesce in-process only.
        DistributedSingleFlight.Default = flights;
        using var redisFlights = new RedisFlightCounter();

        // Entries live until the parent expires them, so every round starts with exactly one cold entry.
        var ttl = TimeSpan.FromMinutes(10);
        using var plainCache = new MemoryCache(new MemoryCacheOptions());
        using var localCache = new MemoryCache(new MemoryCacheOptions());
        using var distributedCache = new MemoryCache(new MemoryCacheOptions());
        var modes = new Dictionary<string, (IMemoryCache Cache, IProductRepository Repository)>
        {
            [MultiProcessDemo.Plain] = (plainCache, new PlainProductRepository(database, plainCache, ttl)),
            [MultiProcessDemo.Local] = (localCache, new SingleFlightProductRepository(database, localCache, ttl)),
            [MultiProcessDemo.Distributed] = (distributedCache, new DistributedProductRepository(database, distributedCache, ttl)),
        };

        // One request per mode for another product, so the first measured round does not pay for JIT, the SQLite
        // connection pool, the Redis scripts and the subscription. These queries are not reported.
        foreach (var (_, repository) in modes.Values)
        {
            await repository.GetAsync(WarmUpProduct);
        }

        Console.WriteLine("ready");
        while (await Console.In.ReadLineAsync() is { } line && line != "quit")
        {
            if (!line.StartsWith("run ", StringComparison.Ordinal) || !modes.TryGetValue(line["run ".Length..], out var mode))
            {
                await Console.Error.WriteLineAsync($"worker {Environment.ProcessId}: unknown command '{line}'");
                return 2;
            }

            Console.WriteLine(await RunRoundAsync(mode.Cache, mode.Repository, requests, database, redisFlights));
        }

        return 0;
    }

    /// <summary>One expiry: the hot entry goes, <paramref name="requests"/> requests for it start together.</summary>
    private static async Task<string> RunRoundAsync(
        IMemoryCache cache, IProductRepository repository, int requests, ProductDatabase database, RedisFlightCounter redisFlights)
    {
        cache.Remove(HotProduct);
        var queriesBefore = database.Queries;
        var flightsBefore = redisFlights.Snapshot();
        var latencies = new double[requests];
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new Task[requests];
        for (var i = 0; i < calls.Length; i++)
        {
            var slot = i;
            calls[i] = Task.Run(async () =>
            {
                await go.Task;
                var started = Stopwatch.GetTimestamp();
                var product = await repository.GetAsync(HotProduct);
                latencies[slot] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (product.Id != HotProduct)
                {
                    throw new InvalidOperationException($"Asked for product {HotProduct}, got {product.Id}.");
                }
            });
        }

        go.SetResult();
        await Task.WhenAll(calls);

        var flights = redisFlights.Snapshot();
        return string.Join(' ',
            "done",
            $"queries={database.Queries - queriesBefore}",
            $"led={flights.Led - flightsBefore.Led}",
            $"received={flights.Received - flightsBefore.Received}",
            $"local={flights.Local - flightsBefore.Local}",
            "latencies=" + string.Join(',', latencies.Select(l => l.ToString("F3", CultureInfo.InvariantCulture))));
    }

    private static Dictionary<string, string> Arguments(string[] args)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            settings[args[i]] = args[i + 1];
        }

        return settings;
    }

    /// <summary>
    /// Counts the <c>singleflight.redis.flights</c> measurements of this process: flights it led, results it received
    /// from another process, and flights that ran locally because Redis failed, was too slow or was not configured.
    /// </summary>
    private sealed class RedisFlightCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _led;
        private long _received;
        private long _local;

        public RedisFlightCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SingleFlightTelemetry.Name && instrument.Name == "singleflight.redis.flights")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == SingleFlightTelemetry.OutcomeTag)
                    {
                        switch (tag.Value as string)
                        {
                            case "led": Interlocked.Add(ref _led, value); break;
                            case "received" or "received_fault": Interlocked.Add(ref _received, value); break;
                            default: Interlocked.Add(ref _local, value); break;
                        }
                    }
                }
            });
            _listener.Start();
        }

        public (long Led, long Received, long Local) Snapshot()
            => (Interlocked.Read(ref _led), Interlocked.Read(ref _received), Interlocked.Read(ref _local));

        public void Dispose() => _listener.Dispose();
    }
}
