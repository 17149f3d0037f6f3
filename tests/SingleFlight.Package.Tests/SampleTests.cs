namespace SingleFlight.Package.Tests;

/// <summary>The samples the README points at build and show calls being collapsed (small sizes, to stay quick).</summary>
[Collection(nameof(NestedBuilds))]
public sealed class SampleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public void The_stampede_demo_runs_one_query_per_expiry_with_single_flight()
    {
        var project = Path.Combine(DotNetCli.RepositoryRoot, "samples", "StampedeDemo");

        var run = DotNetCli.Run(project, null, Timeout,
            "run", "--project", project, "-p:UseSharedCompilation=false", "--", "--requests", "200", "--expiries", "2", "--delay", "30", "--reviews", "2000");

        Assert.True(run.ExitCode == 0, run.ToString());
        var queries = TableRow(run.Output, "database queries");
        // The single-flight repository re-checks the cache inside the flight: exactly one query per expiry.
        // The plain one queries for (nearly) every request; how many exactly depends on scheduling.
        Assert.Equal(2, queries[1]);
        Assert.InRange(queries[0], 100, 400);
        Assert.Equal([400, 400], TableRow(run.Output, "requests"));

        // The list pages: 20 pages of 10 products over 40 ids, each page two ids further than the previous one. One query
        // per product; the batch method sends one query per call that has keys nobody has in flight (16 of them, the
        // pages being started from one loop); the batched single-key calls of all pages fit one 5 ms window.
        Assert.Equal([200, 200, 200], TableRow(run.Output, "products shown"));
        var listQueries = TableRow(run.Output, "product queries");
        Assert.Equal(200, listQueries[0]);
        Assert.InRange(listQueries[1], 1, 20);
        Assert.InRange(listQueries[2], 1, 4);
    }

    [Fact]
    public void The_stampede_demo_rejects_bad_options_with_usage()
    {
        var project = Path.Combine(DotNetCli.RepositoryRoot, "samples", "StampedeDemo");

        var run = DotNetCli.Run(project, null, Timeout, "run", "--project", project, "-p:UseSharedCompilation=false", "--", "--requests", "many");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Usage:", run.Output);
    }

    [Fact]
    public void The_stampede_demo_multi_process_mode_uses_the_redis_it_is_given_and_says_when_it_cannot_reach_it()
    {
        var project = Path.Combine(DotNetCli.RepositoryRoot, "samples", "StampedeDemo");

        // Nothing listens on port 1. Without --redis the demo hosts a Garnet server instead; tests/SingleFlight.Redis.Tests
        // runs the multi-process mode both ways.
        var run = DotNetCli.Run(project, null, Timeout,
            "run", "--project", project, "-p:UseSharedCompilation=false", "--", "--processes", "2", "--redis", "127.0.0.1:1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("cannot reach Redis at 127.0.0.1:1", run.Output);
        Assert.DoesNotContain("embedded Garnet", run.Output);
    }

    [Fact]
    public void The_web_sample_load_mode_serves_many_requests_with_few_backend_calls()
    {
        var project = Path.Combine(DotNetCli.RepositoryRoot, "samples", "WebApi");

        var run = DotNetCli.Run(project, null, Timeout, "run", "--project", project, "-p:UseSharedCompilation=false", "--", "--load", "--requests", "200", "--cities", "4");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("requests:            200 (0 failed)", run.Output);
        var executions = int.Parse(run.Output.Split('\n').Single(l => l.StartsWith("backend executions:", StringComparison.Ordinal)).Split(':')[1].Trim());
        Assert.InRange(executions, 4, 199);
    }

    private static int[] TableRow(string output, string name)
        => output.Split('\n')
            .Single(l => l.StartsWith("| " + name, StringComparison.Ordinal))
            .Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Skip(1)
            .Select(c => int.Parse(c.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
}
