using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using StackExchange.Redis;

namespace StampedeDemo;

/// <summary>
/// The <c>--processes N</c> mode: N worker processes (<see cref="DemoWorker"/>) share one SQLite file and one Redis:
/// the one <c>--redis HOST:PORT</c> names, or without it a Garnet server this process hosts (<see cref="EmbeddedGarnet"/>). For each mode and each expiry the parent opens one gate for every worker at once (a stdin line),
/// each worker fires its requests for the hot product and reports how many database queries it sent; the parent sums.
/// Plain cache-aside queries about once per request, local [SingleFlight] once per process, distributed
/// [SingleFlight] once in total.
/// </summary>
internal static class MultiProcessDemo
{
    public const string Plain = "plain";
    public const string Local = "local";
    public const string Distributed = "distributed";

    private static readonly (string Mode, string Label)[] Modes =
    [
        (Plain, "plain cache-aside"),
        (Local, "local [SingleFlight]"),
        (Distributed, "distributed [SingleFlight]"),
    ];

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromMinutes(3);

    public static async Task<int> RunAsync(DemoOptions options)
    {
        // No --redis: the workers share a Garnet server that this process hosts for the run.
        EmbeddedGarnet? garnet = null;
        if (options.Redis is null)
        {
            try
            {
                garnet = EmbeddedGarnet.Start();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"error: could not start the embedded Garnet server: {e.Message}");
                Console.Error.WriteLine("Use a Redis instead: redis-server --port 6399 --save '' --appendonly no   (then --redis 127.0.0.1:6399)");
                return 1;
            }

            Console.WriteLine(
                $"No --redis given: hosting an embedded Garnet server (Microsoft.Garnet {EmbeddedGarnet.Version}, Redis protocol, " +
                $"Lua on) at {garnet.EndPoint} for the worker processes. Pass --redis HOST:PORT to use a Redis instead.");
        }

        using (garnet)
        {
            return await RunAsync(options, garnet?.EndPoint ?? options.Redis!, garnet is null ? "the Redis at " : "the embedded Garnet server at ");
        }
    }

    private static async Task<int> RunAsync(DemoOptions options, string endpoint, string serverLabel)
    {
        var unreachable = await CheckRedisAsync(endpoint);
        if (unreachable is not null)
        {
            Console.Error.WriteLine($"error: cannot reach Redis at {endpoint}: {unreachable}");
            Console.Error.WriteLine("Start one with: redis-server --port 6399 --save '' --appendonly no   (then --redis 127.0.0.1:6399)");
            return 1;
        }

        Console.WriteLine($"Seeding an SQLite database ({options.Products:N0} products, {options.Reviews:N0} reviews)...");
        using var database = new ProductDatabase(options.Products, options.Reviews, options.QueryDelay);
        Console.WriteLine(
            $"Scenario: {options.Processes} worker processes share one SQLite file and {serverLabel}{endpoint}. After each of " +
            $"{options.Expiries} cache expiries every process gets {options.Requests:N0} concurrent requests for one hot product; " +
            $"each database query waits {options.QueryDelay.TotalMilliseconds:N0} ms (network) and then scans the reviews table.");

        var workerArguments = new[]
        {
            "--database", database.FilePath,
            "--redis", endpoint,
            "--key-prefix", $"stampede-demo:{Guid.NewGuid():N}",
            "--requests", options.Requests.ToString(CultureInfo.InvariantCulture),
            "--delay", ((int)options.QueryDelay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
        };

        var workers = new List<Worker>();
        try
        {
            Console.WriteLine($"Starting {options.Processes} worker processes...");
            for (var i = 1; i <= options.Processes; i++)
            {
                workers.Add(Worker.Start(i, workerArguments));
            }

            foreach (var worker in workers)
            {
                await worker.ExpectAsync("ready", StartTimeout);
            }

            Console.WriteLine();
            var results = new List<ModeResult>();
            foreach (var (mode, label) in Modes)
            {
                results.Add(await RunModeAsync(workers, mode, label, options));
            }

            foreach (var worker in workers)
            {
                worker.Send("quit");
            }

            Console.WriteLine();
            PrintResults(results, options);
            return 0;
        }
        catch (WorkerException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    /// <summary>The connection settings of the parent's check and of every worker.</summary>
    public static ConfigurationOptions RedisConfiguration(string endpoint)
    {
        var configuration = ConfigurationOptions.Parse(endpoint);
        configuration.AbortOnConnectFail = true;
        configuration.ConnectTimeout = 3000;
        configuration.ClientName = "stampede-demo";
        return configuration;
    }

    /// <summary>Null when Redis answers a PING; otherwise why not.</summary>
    private static async Task<string?> CheckRedisAsync(string endpoint)
    {
        try
        {
            using var redis = await ConnectionMultiplexer.ConnectAsync(RedisConfiguration(endpoint));
            await redis.GetDatabase().PingAsync();
            return null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ArgumentException)
        {
            // The client's first sentence says what failed; the rest is advice about its own connection options.
            var end = e.Message.IndexOf(". ", StringComparison.Ordinal);
            return end < 0 ? e.Message : e.Message[..(end + 1)];
        }
    }

    private static async Task<ModeResult> RunModeAsync(List<Worker> workers, string mode, string label, DemoOptions options)
    {
        var latencies = new List<double>();
        int queries = 0, led = 0, received = 0, local = 0;
        var wall = Stopwatch.StartNew();
        for (var expiry = 1; expiry <= options.Expiries; expiry++)
        {
            // The gate: every worker waits on its stdin, so one line each starts all of them together.
            foreach (var worker in workers)
            {
                worker.Send("run " + mode);
            }

            foreach (var worker in workers)
            {
                var report = Report.Parse(await worker.ExpectAsync("done", RoundTimeout));
                queries += report.Queries;
                led += report.Led;
                received += report.Received;
                local += report.Local;
                latencies.AddRange(report.Latencies);
            }

            Console.WriteLine(
                $"  {label,-26} expiry {expiry}/{options.Expiries}  {latencies.Count:N0}/{workers.Count * options.Requests * options.Expiries:N0} " +
                $"requests answered, {queries:N0} database queries");
        }

        wall.Stop();
        var sorted = latencies.Order().ToArray();
        return new ModeResult(mode, label, workers.Count, sorted.Length, queries, options.Expiries, led, received, local,
            Table.Percentile(sorted, 0.50), Table.Percentile(sorted, 0.99), wall.Elapsed.TotalMilliseconds);
    }

    private static void PrintResults(List<ModeResult> results, DemoOptions options)
    {
        Table.Print(results.Select(r => r.Label).ToArray(),
        [
            ("processes", results.Select(r => Table.Count(r.Processes)).ToArray()),
            ("requests", results.Select(r => Table.Count(r.Requests)).ToArray()),
            ("database queries", results.Select(r => Table.Count(r.Queries)).ToArray()),
            ("queries per expiry", results.Select(r => Table.Count((double)r.Queries / r.Expiries)).ToArray()),
            ("p50 latency", results.Select(r => Table.Milliseconds(r.P50, "N1")).ToArray()),
            ("p99 latency", results.Select(r => Table.Milliseconds(r.P99, "N1")).ToArray()),
            ("wall time", results.Select(r => Table.Milliseconds(r.WallMs, "N0")).ToArray()),
        ]);

        var distributed = results.Single(r => r.Mode == Distributed);
        Console.WriteLine();
        Console.WriteLine(
            $"Expected: plain, about one query per request; local [SingleFlight], 1 query per expiry per process " +
            $"({options.Processes * options.Expiries}); with Redis: 1 query per expiry across all processes ({options.Expiries}).");
        Console.WriteLine(
            $"Distributed flights: {distributed.Led} led (ran the query), {distributed.Received} received the product from another " +
            $"process, {distributed.Local} ran locally because Redis failed or was too slow.");
        if (distributed.Queries != options.Expiries)
        {
            Console.WriteLine(
                "Note: the distributed mode queried more than once per expiry. A process whose requests arrived after the " +
                "flight had ended starts a new one (single-flight is not a cache); a longer --delay widens the overlap.");
        }

        Console.WriteLine();
        foreach (var r in results)
        {
            Console.WriteLine(
                $"RESULT mode={r.Mode} processes={r.Processes} requests={r.Requests} expiries={r.Expiries} queries={r.Queries} " +
                $"redis_led={r.Led} redis_received={r.Received} redis_local={r.Local}");
        }
    }

    private sealed record ModeResult(
        string Mode, string Label, int Processes, int Requests, int Queries, int Expiries, int Led, int Received, int Local,
        double P50, double P99, double WallMs);

    /// <summary>A worker's <c>done</c> line: <c>done queries=Q led=L received=R local=F latencies=a,b,…</c>.</summary>
    private sealed record Report(int Queries, int Led, int Received, int Local, double[] Latencies)
    {
        public static Report Parse(string line)
        {
            var fields = line.Split(' ').Skip(1).Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1]);
            int Number(string name) => int.Parse(fields[name], CultureInfo.InvariantCulture);
            var latencies = fields["latencies"].Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => double.Parse(l, CultureInfo.InvariantCulture))
                .ToArray();
            return new Report(Number("queries"), Number("led"), Number("received"), Number("local"), latencies);
        }
    }

    private sealed class WorkerException(string message) : Exception(message);

    /// <summary>A child process running this same program with <see cref="DemoWorker.Flag"/>.</summary>
    private sealed class Worker : IDisposable
    {
        private readonly int _number;
        private readonly Process _process;

        private Worker(int number, Process process)
        {
            _number = number;
            _process = process;
        }

        public static Worker Start(int number, IEnumerable<string> arguments)
        {
            var info = new ProcessStartInfo(Environment.ProcessPath ?? throw new WorkerException("The path of this executable is unknown."))
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                // A worker's errors go straight to this console.
                RedirectStandardError = false,
            };

            // Run as `dotnet StampedeDemo.dll`, the process is the dotnet host: give it the same assembly.
            var assembly = Assembly.GetEntryAssembly()?.Location;
            if (Path.GetFileNameWithoutExtension(info.FileName).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
                && !string.IsNullOrEmpty(assembly))
            {
                info.ArgumentList.Add(assembly);
            }

            info.ArgumentList.Add(DemoWorker.Flag);
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            return new Worker(number, Process.Start(info) ?? throw new WorkerException($"worker {number} did not start."));
        }

        public void Send(string line)
        {
            try
            {
                _process.StandardInput.WriteLine(line);
            }
            catch (IOException e)
            {
                throw new WorkerException($"worker {_number} stopped reading its input ({e.Message}).");
            }
        }

        /// <summary>The worker's next output line, which must start with <paramref name="word"/>.</summary>
        public async Task<string> ExpectAsync(string word, TimeSpan timeout)
        {
            string? line;
            try
            {
                line = await _process.StandardOutput.ReadLineAsync().WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                throw new WorkerException($"worker {_number} did not answer '{word}' within {timeout.TotalSeconds:N0} s.");
            }

            if (line is null)
            {
                await _process.WaitForExitAsync();
                throw new WorkerException($"worker {_number} exited with code {_process.ExitCode} (its errors are above).");
            }

            if (line != word && !line.StartsWith(word + " ", StringComparison.Ordinal))
            {
                throw new WorkerException($"worker {_number} answered '{line}' instead of '{word}'.");
            }

            return line;
        }

        /// <summary>Waits a little for the worker to exit after <c>quit</c>, and kills it if it has not.</summary>
        public void Dispose()
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // Already gone.
            }

            if (!_process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
        }
    }
}
