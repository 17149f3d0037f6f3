using System;
using System.Linq;
using BenchmarkDotNet.Running;

namespace SingleFlight.Benchmarks;

public static class Program
{
    /// <summary>
    /// <c>--quick</c>: run every benchmark once in-process and check its results (CI smoke test).
    /// Anything else goes to BenchmarkDotNet, e.g. <c>--filter *</c> for the full suite.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Contains("--quick"))
        {
            return QuickRunner.Run(Console.Out);
        }

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create());
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
