using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

namespace SingleFlight.Benchmarks;

public static class Program
{
    /// <summary>
    /// <c>--quick</c>: run every benchmark once in-process and check its results (CI smoke test).
    /// <c>--redis HOST:PORT</c>: also run the distributed benchmarks against that Redis (the same as setting
    /// <c>SINGLEFLIGHT_REDIS</c>; without either they are skipped).
    /// Anything else goes to BenchmarkDotNet, e.g. <c>--filter *</c> for the full suite.
    /// </summary>
    public static int Main(string[] args)
    {
        var rest = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == RedisEndpoint.Switch)
            {
                if (i + 1 >= args.Length)
                {
                    Console.Error.WriteLine($"{RedisEndpoint.Switch} needs an endpoint, e.g. {RedisEndpoint.Switch} 127.0.0.1:6379");
                    return 2;
                }

                // An environment variable, not a field: BenchmarkDotNet runs each benchmark in a child process,
                // which inherits this process's environment.
                Environment.SetEnvironmentVariable(RedisEndpoint.Variable, args[++i]);
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        if (rest.Contains("--quick"))
        {
            return QuickRunner.Run(Console.Out);
        }

        // What BenchmarkSwitcher.FromAssembly would take: public concrete classes with [Benchmark] methods.
        var all = typeof(Program).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsPublic: true, IsAbstract: false, IsSealed: false, IsGenericTypeDefinition: false }
                && t.GetMethods().Any(m => m.GetCustomAttributes(typeof(BenchmarkAttribute), inherit: true).Length > 0))
            .ToArray();
        var skipped = all.Where(t => !RedisEndpoint.CanRun(t)).ToArray();
        foreach (var type in skipped)
        {
            Console.WriteLine($"Skipping {type.Name}: {RedisEndpoint.SkipReason}.");
        }

        var summaries = BenchmarkSwitcher.FromTypes(all.Except(skipped).ToArray()).Run(rest.ToArray(), BenchConfig.Create());
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
