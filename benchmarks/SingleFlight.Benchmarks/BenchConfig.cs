using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace SingleFlight.Benchmarks;

/// <summary>
/// The job every benchmark runs with. Shorter than BenchmarkDotNet's default (which picks its own iteration
/// count, often 15–100, of 500 ms each) so that the whole suite stays under 15 minutes on 2 cores:
/// one launch, 4 warm-up and 15 measured iterations of about 250 ms (about 4 minutes for the suite).
/// </summary>
public static class BenchConfig
{
    public static IConfig Create()
        => ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.Default
                .WithId("Short")
                .WithLaunchCount(1)
                .WithWarmupCount(4)
                .WithIterationCount(15)
                .WithIterationTime(TimeInterval.FromMilliseconds(250))
                .AsDefault())
            .AddDiagnoser(MemoryDiagnoser.Default)
            // The generated boilerplate project builds in about 30 s on a quiet machine and took over two minutes (the
            // default limit) on a loaded one: a slow build is no reason to lose the run.
            .WithBuildTimeout(System.TimeSpan.FromMinutes(10))
            .WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared));
}

/// <summary>Adds time and allocation per caller to the stampede table (one operation is a whole stampede).</summary>
public sealed class PerCallerConfig : ManualConfig
{
    public PerCallerConfig()
    {
        AddColumn(new PerCallerColumn(allocation: false), new PerCallerColumn(allocation: true));
    }
}

public sealed class PerCallerColumn(bool allocation) : IColumn
{
    public string Id => allocation ? "AllocPerCaller" : "TimePerCaller";

    public string ColumnName => allocation ? "Alloc/caller" : "Time/caller";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => allocation ? 1 : 0;

    public bool IsNumeric => true;

    public UnitType UnitType => allocation ? UnitType.Size : UnitType.Time;

    public string Legend => allocation
        ? "Bytes allocated per operation divided by the number of callers"
        : "Mean time per operation divided by the number of callers";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        var callers = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Callers")?.Value as int?;
        if (report is null || callers is not > 0)
        {
            return "-";
        }

        if (allocation)
        {
            var bytes = report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase);
            return bytes is null ? "-" : $"{(double)bytes.Value / callers.Value:0.#} B";
        }

        var mean = report.ResultStatistics?.Mean;
        return mean is null ? "-" : $"{mean.Value / callers.Value:0.0} ns";
    }
}
