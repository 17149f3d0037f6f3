using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// The sample's multi-process mode (samples/StampedeDemo --processes N), against the test's redis-server
/// (--redis HOST:PORT) and against the Garnet server the demo hosts itself without --redis. The workers count database queries themselves, independently of the code under test, and the
/// demo prints one machine-readable RESULT line per mode.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class StampedeDemoTests(RedisFixture fixture)
{
    private const int Processes = 3;
    private const int RequestsPerProcess = 50;
    private const int Expiries = 2;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [RedisFact]
    public async Task With_redis_the_demo_queries_once_per_expiry_across_processes_and_once_per_process_without()
    {
        var output = await RunDemoAsync(Arguments("--redis", fixture.Server.EndPoint));

        Assert.DoesNotContain("embedded Garnet", output, StringComparison.Ordinal);
        Assert.Contains($"the Redis at {fixture.Server.EndPoint}", output, StringComparison.Ordinal);
        AssertCounts(output);
    }

    [Fact]
    public async Task Without_redis_the_demo_hosts_a_Garnet_server_for_its_workers_and_queries_once_per_expiry_across_processes()
    {
        // Nothing but the .NET SDK: no redis-server involved.
        var output = await RunDemoAsync(Arguments());

        var announced = Assert.Single(output.Split('\n'), l => l.StartsWith("No --redis given: hosting an embedded Garnet server", StringComparison.Ordinal));
        var endpoint = System.Text.RegularExpressions.Regex.Match(announced, @"at (127\.0\.0\.1:\d+) for the worker processes").Groups[1].Value;
        Assert.NotEmpty(endpoint);
        Assert.Contains($"the embedded Garnet server at {endpoint}", output, StringComparison.Ordinal);
        Assert.Contains("| distributed [SingleFlight] |", output, StringComparison.Ordinal);
        AssertCounts(output);
    }

    private static string[] Arguments(params string[] more)
        =>
        [
            "--processes", Processes.ToString(CultureInfo.InvariantCulture),
            .. more,
            "--requests", RequestsPerProcess.ToString(CultureInfo.InvariantCulture),
            "--expiries", Expiries.ToString(CultureInfo.InvariantCulture),
            // A long query (500 ms) gives every worker time to join the flight even on a loaded 2-core CI machine.
            "--delay", "500",
            "--reviews", "2000",
        ];

    private static void AssertCounts(string output)
    {
        var plain = Result(output, "plain");
        var local = Result(output, "local");
        var distributed = Result(output, "distributed");
        foreach (var result in new[] { plain, local, distributed })
        {
            Assert.Equal(Processes, result["processes"]);
            Assert.Equal(Processes * RequestsPerProcess * Expiries, result["requests"]);
            Assert.Equal(Expiries, result["expiries"]);
        }

        // Plain cache-aside: (nearly) every request queries.
        Assert.InRange(plain["queries"], Processes * RequestsPerProcess * Expiries / 4, Processes * RequestsPerProcess * Expiries);

        // In-process single-flight: one query per process and expiry.
        Assert.Equal(Processes * Expiries, local["queries"]);

        // Through the shared server: one query per expiry in total. A silent fall back to in-process coalescing would
        // show Processes × Expiries queries here, and local flights instead of received ones.
        Assert.Equal(Expiries, distributed["queries"]);
        Assert.Equal(Expiries, distributed["redis_led"]);
        Assert.Equal((Processes - 1) * Expiries, distributed["redis_received"]);
        Assert.Equal(0, distributed["redis_local"]);
    }

    private static Dictionary<string, int> Result(string output, string mode)
    {
        var line = Assert.Single(output.Split('\n'), l => l.StartsWith($"RESULT mode={mode} ", StringComparison.Ordinal));
        return line.Trim().Split(' ').Skip(2)
            .Select(field => field.Split('=', 2))
            .ToDictionary(field => field[0], field => int.Parse(field[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Runs the demo built next to the tests; kills it and its workers if it does not finish in time.</summary>
    private static async Task<string> RunDemoAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "StampedeDemo.dll"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            lock (output)
            {
                Assert.Fail($"The demo did not finish within {Timeout}:\n{output}");
            }
        }

        // Drains the redirected streams.
        process.WaitForExit();
        lock (output)
        {
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{output}");
            return output.ToString();
        }
    }
}
