using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Hybrid;
using SingleFlight.Benchmarks.Contenders;

namespace SingleFlight.Benchmarks;

/// <summary>
/// The smoke test CI runs: every benchmark method of every benchmark class, for every <c>[Params]</c> value,
/// executes twice in-process (set-up, call, call, clean-up), and its result is checked. Timings are printed
/// for orientation only; they are single cold calls and mean nothing. Then a collapse check shows how many
/// times each contender runs the work for 20 overlapping callers.
/// </summary>
public static class QuickRunner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static int Run(TextWriter output)
    {
        var total = Stopwatch.StartNew();
        var passed = 0;
        var failed = 0;

        var types = typeof(QuickRunner).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true } && BenchmarkMethods(t).Any())
            .OrderBy(t => t.Name, StringComparer.Ordinal);

        foreach (var type in types)
        {
            // Opt-in classes (the distributed benchmarks need a Redis): skipped without their endpoint, not failed.
            if (!RedisEndpoint.CanRun(type))
            {
                output.WriteLine($"skip {type.Name}: {RedisEndpoint.SkipReason}");
                continue;
            }

            foreach (var assignment in ParamCombinations(type))
            {
                var label = assignment.Count == 0
                    ? type.Name
                    : $"{type.Name}({string.Join(", ", assignment.Select(a => $"{a.Property.Name}={a.Value}"))})";
                object? instance = null;
                try
                {
                    instance = Activator.CreateInstance(type)!;
                    foreach (var (property, value) in assignment)
                    {
                        property.SetValue(instance, value);
                    }

                    Invoke<GlobalSetupAttribute>(instance);
                }
                catch (Exception ex)
                {
                    failed++;
                    output.WriteLine($"FAIL {label} set-up: {Unwrap(ex)}");
                    continue;
                }

                foreach (var method in BenchmarkMethods(type))
                {
                    var name = $"{label}.{method.Name}";
                    var watch = Stopwatch.StartNew();
                    try
                    {
                        for (var round = 0; round < 2; round++)
                        {
                            Invoke<IterationSetupAttribute>(instance);
                            var result = Complete(method.Invoke(instance, null));
                            Invoke<IterationCleanupAttribute>(instance);
                            if (result is int value && value != UserStore.Expected(UncontendedBenchmarks.Id))
                            {
                                throw new InvalidOperationException($"returned {value}, expected {UserStore.Expected(UncontendedBenchmarks.Id)}");
                            }
                        }

                        passed++;
                        var extra = instance is IExecutionReport report ? $"  ({report.LastExecutions})" : "";
                        output.WriteLine($"ok   {name}  {watch.Elapsed.TotalMilliseconds:0.0} ms{extra}");
                    }
                    catch (Exception ex)
                    {
                        failed++;
                        output.WriteLine($"FAIL {name}: {Unwrap(ex)}");
                    }
                }

                try
                {
                    Invoke<GlobalCleanupAttribute>(instance);
                }
                catch (Exception ex)
                {
                    failed++;
                    output.WriteLine($"FAIL {label} clean-up: {Unwrap(ex)}");
                }
            }
        }

        output.WriteLine();
        output.WriteLine("Collapse check: 20 overlapping callers on one key (work held at a gate until all have called).");
        foreach (var (name, mustCollapse, check) in CollapseChecks())
        {
            try
            {
                var executions = check();
                var verdict = executions == 1 ? "collapsed" : "NOT collapsed";
                if (mustCollapse && executions != 1)
                {
                    failed++;
                    output.WriteLine($"FAIL {name}: {executions} executions");
                }
                else
                {
                    passed++;
                    output.WriteLine($"ok   {name}: {executions} execution(s), {verdict}");
                }
            }
            catch (Exception ex)
            {
                failed++;
                output.WriteLine($"FAIL {name}: {Unwrap(ex)}");
            }
        }

        // Rule 8 of SPEC.md §3: nothing stays in flight once every call has returned. (Two groups: the
        // generator emits one per [SingleFlight] method; finding none would make this check vacuous.)
        if (UserRepository.GeneratedGroupsForChecks == 2 && UserRepository.InFlightForChecks == 0)
        {
            passed++;
            output.WriteLine("ok   the generated wrapper's groups are idle");
        }
        else
        {
            failed++;
            output.WriteLine(
                $"FAIL generated groups: {UserRepository.GeneratedGroupsForChecks} found (expected 2), " +
                $"{UserRepository.InFlightForChecks} flight(s) left in them");
        }

        output.WriteLine();
        output.WriteLine($"Quick mode finished in {total.Elapsed.TotalSeconds:0.0} s.");
        output.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    private static IEnumerable<MethodInfo> BenchmarkMethods(Type type)
        => type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null)
            .OrderBy(m => m.GetCustomAttribute<BenchmarkAttribute>()!.SourceCodeLineNumber);

    /// <summary>Every combination of the <c>[Params]</c> values, as BenchmarkDotNet runs them.</summary>
    private static IEnumerable<List<(PropertyInfo Property, object? Value)>> ParamCombinations(Type type)
    {
        IEnumerable<List<(PropertyInfo Property, object? Value)>> combinations = [[]];
        foreach (var property in type.GetProperties().Where(p => p.GetCustomAttribute<ParamsAttribute>() is not null))
        {
            var values = property.GetCustomAttribute<ParamsAttribute>()!.Values;
            combinations = combinations.SelectMany(c => values.Select(v => new List<(PropertyInfo, object?)>(c) { (property, v) }));
        }

        return combinations;
    }

    private static void Invoke<TAttribute>(object instance)
        where TAttribute : Attribute
    {
        foreach (var method in instance.GetType().GetMethods().Where(m => m.GetCustomAttribute<TAttribute>() is not null))
        {
            method.Invoke(instance, null);
        }
    }

    /// <summary>Waits for whatever a benchmark returned, with a time limit, and returns its value.</summary>
    private static object? Complete(object? returned)
    {
        Task? task = returned switch
        {
            Task t => t,
            ValueTask vt => vt.AsTask(),
            ValueTask<int> vti => vti.AsTask(),
            _ => null,
        };

        if (task is null)
        {
            return returned;
        }

        if (!task.Wait(Timeout))
        {
            throw new TimeoutException($"did not complete within {Timeout.TotalSeconds} s");
        }

        return task is Task<int> ti ? ti.Result : null;
    }

    private static string Unwrap(Exception ex)
    {
        while (ex is TargetInvocationException or AggregateException && ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return $"{ex.GetType().Name}: {ex.Message}";
    }

    private static IEnumerable<(string Name, bool MustCollapse, Func<int> Check)> CollapseChecks()
    {
        const int Callers = 20;
        const int Id = 7;

        yield return ("Generated wrapper", true, () => Collapse(Callers, static r => r.GetAsync(Id)));
        yield return ("CD<Lazy<Task<T>>>", true, () =>
        {
            var lazy = new LazyTaskDedup<int, int>();
            return Collapse(Callers, r => lazy.GetAsync(Id, r, static r => r.GetCoreAsync(Id, CancellationToken.None).AsTask()));
        });
        yield return ("HybridCache (no caching)", true, () =>
        {
            var (hybrid, owner) = CacheContenders.CreateHybridCache();
            using (owner)
            {
                return Collapse(Callers, r => hybrid.GetOrCreateAsync("user:7", r, static (r, ct) => r.GetCoreAsync(Id, ct), CacheContenders.HybridNoCaching));
            }
        });
        yield return ("FusionCache (Duration 0)", false, () =>
        {
            using var fusion = CacheContenders.CreateFusionCache();
            return Collapse(Callers, r => fusion.GetOrSetAsync<int>("user:7", (_, ct) => r.GetCoreAsync(Id, ct).AsTask(), options: CacheContenders.FusionZeroDuration));
        });
    }

    private static int Collapse(int callers, Func<UserRepository, ValueTask<int>> call)
    {
        var store = new GatedStore { DelayMilliseconds = 0 };
        var repo = new UserRepository(store);
        store.Close();
        var pending = Enumerable.Range(0, callers).Select(_ => call(repo).AsTask()).ToArray();
        store.Open();
        if (!Task.WaitAll(pending, Timeout))
        {
            throw new TimeoutException("callers did not complete");
        }

        if (pending.Any(p => p.Result != UserStore.Expected(7)))
        {
            throw new InvalidOperationException("a caller received a wrong result");
        }

        return store.Executions;
    }
}
