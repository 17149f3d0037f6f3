using SingleFlight.Benchmarks;

namespace SingleFlight.Benchmarks.Tests;

/// <summary>
/// Keeps the benchmark suite from rotting: every benchmark runs once in-process (about a second) and its
/// checks hold (right results; the stampede ran the work once; the group is idle afterwards).
/// </summary>
public sealed class QuickModeTests
{
    [Fact]
    public void Every_benchmark_runs_once_and_passes_its_checks()
    {
        var output = new StringWriter();

        var exitCode = QuickRunner.Run(output);

        Assert.True(exitCode == 0, output.ToString());
        Assert.Contains(" 0 failed", output.ToString(), StringComparison.Ordinal);

        // The distributed benchmarks are opt-in: without a Redis endpoint they are skipped, not failed.
        if (RedisEndpoint.Value is null)
        {
            Assert.Contains("skip DistributedBenchmarks: no Redis endpoint", output.ToString(), StringComparison.Ordinal);
        }
    }
}
