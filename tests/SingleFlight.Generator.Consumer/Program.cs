using System;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;

namespace SingleFlight.Generator.Consumer;

/// <summary>Runs every scenario of the generator matrix (Inputs/Matrix) compiled by the real build.</summary>
public static class Program
{
    public static async Task<int> Main()
    {
        var scenarios = typeof(Matrix.Harness).Assembly.GetTypes()
            .Where(static t => t.Name == "Scenarios")
            .SelectMany(static t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .OrderBy(static m => m.DeclaringType!.FullName + "." + m.Name, StringComparer.Ordinal)
            .ToArray();

        var failures = 0;
        foreach (var scenario in scenarios)
        {
            var name = scenario.DeclaringType!.FullName + "." + scenario.Name;
            var clock = Stopwatch.StartNew();
            try
            {
                await (Task)scenario.Invoke(null, null)!;
                Console.WriteLine($"ok    {name} ({clock.ElapsedMilliseconds} ms)");
            }
            catch (Exception ex)
            {
                failures++;
                Console.WriteLine($"FAIL  {name}: {(ex as TargetInvocationException)?.InnerException ?? ex}");
            }
        }

        Console.WriteLine($"{scenarios.Length - failures} of {scenarios.Length} scenarios passed.");
        return failures == 0 ? 0 : 1;
    }
}
