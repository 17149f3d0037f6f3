using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Caching.Memory;
using StampedeDemo;

// A hot product's cache entry expires; N requests for it arrive at once. Run the same scenario with a plain
// cache-aside repository and with the database load behind [SingleFlight], and compare.
// With --processes N the scenario runs in N worker processes at once (MultiProcessDemo.cs), sharing the Redis that
// --redis HOST:PORT names or, without it, a Garnet server the demo hosts itself (EmbeddedGarnet.cs).

if (args is [DemoWorker.Flag, .. var workerArgs])
{
    return await DemoWorker.RunAsync(workerArgs);
}

var options = DemoOptions.Parse(args);
if (options is null)
{
    return 2;
}

if (options.Processes > 0)
{
    return await MultiProcessDemo.RunAsync(options);
}

Console.WriteLine($"Seeding an SQLite database ({options.Products:N0} products, {options.Reviews:N0} reviews)...");
using var database = new ProductDatabase(options.Products, options.Reviews, options.QueryDelay);
Console.WriteLine(
    $"Scenario: {options.Requests:N0} concurrent requests for one hot product, after each of {options.Expiries} cache expiries; " +
    $"each database query waits {options.QueryDelay.TotalMilliseconds:N0} ms (network) and then scans the reviews table.");
Console.WriteLine();

const int HotProduct = 42;
var results = new List<ScenarioResult>
{
    await RunAsync("plain cache-aside", (db, cache) => new PlainProductRepository(db, cache, options.CacheTtl)),
    await RunAsync("with [SingleFlight]", (db, cache) => new SingleFlightProductRepository(db, cache, options.CacheTtl)),
};

Console.WriteLine();
PrintTable(results);

if (options.Pages > 0)
{
    Console.WriteLine();
    await ListPageDemo.RunAsync(database, options.Pages);
}

return 0;

async Task<ScenarioResult> RunAsync(string label, Func<ProductDatabase, IMemoryCache, IProductRepository> create)
{
    using var cache = new MemoryCache(new MemoryCacheOptions());
    var repository = create(database, cache);
    var total = options.Requests * options.Expiries;
    var latencies = new double[total];
    var answered = 0;
    var queriesBefore = database.Queries;
    var wall = Stopwatch.StartNew();

    for (var expiry = 1; expiry <= options.Expiries; expiry++)
    {
        // Wait for the hot entry to really expire (the first round starts with a cold cache).
        while (cache.TryGetValue(HotProduct, out _))
        {
            await Task.Delay(10);
        }

        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var offset = (expiry - 1) * options.Requests;
        var requests = new Task[options.Requests];
        for (var i = 0; i < requests.Length; i++)
        {
            var slot = offset + i;
            requests[i] = Task.Run(async () =>
            {
                await go.Task;
                var started = Stopwatch.GetTimestamp();
                var product = await repository.GetAsync(HotProduct);
                latencies[slot] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                Debug.Assert(product.Id == HotProduct);
                Interlocked.Increment(ref answered);
            });
        }

        go.SetResult();
        var all = Task.WhenAll(requests);
        while (!all.IsCompleted)
        {
            ReportProgress(label, expiry, Volatile.Read(ref answered), total, database.Queries - queriesBefore);
            await Task.WhenAny(all, Task.Delay(100));
        }

        await all;
        ReportProgress(label, expiry, answered, total, database.Queries - queriesBefore);
    }

    wall.Stop();
    if (!Console.IsOutputRedirected)
    {
        Console.WriteLine();
    }

    Array.Sort(latencies);
    return new ScenarioResult(label, total, database.Queries - queriesBefore, Table.Percentile(latencies, 0.50), Table.Percentile(latencies, 0.99), wall.Elapsed.TotalMilliseconds);
}

void ReportProgress(string label, int expiry, int answered, int total, int queries)
{
    var line = $"  {label,-20} expiry {expiry}/{options.Expiries}  {answered,6:N0}/{total:N0} requests answered, {queries:N0} database queries";
    if (Console.IsOutputRedirected)
    {
        if (answered == expiry * options.Requests)
        {
            Console.WriteLine(line);
        }
    }
    else
    {
        Console.Write("\r" + line);
    }
}

static void PrintTable(IReadOnlyList<ScenarioResult> results)
{
    Table.Print(results.Select(r => r.Label).ToArray(),
    [
        ("requests", results.Select(r => Table.Count(r.Requests)).ToArray()),
        ("database queries", results.Select(r => Table.Count(r.Queries)).ToArray()),
        ("p50 latency", results.Select(r => Table.Milliseconds(r.P50, "N1")).ToArray()),
        ("p99 latency", results.Select(r => Table.Milliseconds(r.P99, "N1")).ToArray()),
        ("wall time", results.Select(r => Table.Milliseconds(r.WallMs, "N0")).ToArray()),
    ]);
}

internal sealed record ScenarioResult(string Label, int Requests, int Queries, double P50, double P99, double WallMs);

internal sealed record DemoOptions(
    int Requests, TimeSpan QueryDelay, int Expiries, int Products, int Reviews, TimeSpan CacheTtl, int Processes, string? Redis, int Pages = 20)
{
    /// <summary>Concurrent requests per process and expiry in the multi-process mode unless --requests says otherwise.</summary>
    public const int DefaultRequestsPerProcess = 200;

    private const string Usage = """
        Usage: dotnet run --project samples/StampedeDemo -- [options]

          --requests N        concurrent requests per expiry (default 1000; per process with --processes: default 200)
          --delay MS          simulated network latency of each database query, in ms (default 50)
          --expiries N        how many times the hot entry expires (default 3)
          --reviews N         rows in the reviews table each query scans (default 100000)
          --pages N           concurrent list-page requests of 10 products each, loaded one query per product, through a
                              batch method and through batched single-key calls (default 20; 0 skips the list pages)
          --processes N       run the scenario in N worker processes at once, sharing one database and one Redis,
                              for plain cache-aside, local [SingleFlight] and distributed [SingleFlight]; without
                              --redis the demo hosts a Garnet server (Redis protocol) on a free loopback port
          --redis HOST:PORT   the Redis server the worker processes share (with --processes)
          -h, --help          show this help
        """;

    public static DemoOptions? Parse(string[] args)
    {
        var options = new DemoOptions(1000, TimeSpan.FromMilliseconds(50), 3, 1000, 100_000, TimeSpan.FromMilliseconds(200), 0, null);
        var requestsGiven = false;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                Console.WriteLine(Usage);
                return null;
            }

            if (name == "--redis")
            {
                if (i + 1 >= args.Length || args[i + 1].Length == 0 || args[i + 1].StartsWith('-'))
                {
                    Console.Error.WriteLine($"error: --redis needs HOST:PORT, e.g. --redis 127.0.0.1:6379.{Environment.NewLine}{Usage}");
                    return null;
                }

                options = options with { Redis = args[++i] };
                continue;
            }

            if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < 0)
            {
                Console.Error.WriteLine($"error: {name} needs a non-negative whole number.{Environment.NewLine}{Usage}");
                return null;
            }

            i++;
            switch (name)
            {
                case "--requests" when value > 0: options = options with { Requests = value }; requestsGiven = true; break;
                case "--delay": options = options with { QueryDelay = TimeSpan.FromMilliseconds(value) }; break;
                case "--expiries" when value > 0: options = options with { Expiries = value }; break;
                case "--reviews": options = options with { Reviews = value }; break;
                case "--pages": options = options with { Pages = value }; break;
                case "--processes" when value > 0: options = options with { Processes = value }; break;
                default:
                    Console.Error.WriteLine($"error: unknown option or bad value: {name} {value}{Environment.NewLine}{Usage}");
                    return null;
            }
        }

        if (options.Redis is not null && options.Processes == 0)
        {
            Console.Error.WriteLine($"error: --redis is used by the multi-process mode: add --processes N.{Environment.NewLine}{Usage}");
            return null;
        }

        return options.Processes > 0 && !requestsGiven ? options with { Requests = DefaultRequestsPerProcess } : options;
    }
}
