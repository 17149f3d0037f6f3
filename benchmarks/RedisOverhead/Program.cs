// Quick loopback measurement of the distributed path's per-call overhead. Not a BenchmarkDotNet run: five runs of
// N sequential calls each, median of the per-call means; the follower figure is the time from the leader's work
// completing to the other "process" (second group on its own connection) holding the value.
// Usage: dotnet run -c Release --project benchmarks/RedisOverhead -- 127.0.0.1:PORT 2000
// The per-call figures (PING, election script, in-process group, uncontended leader) are measured with BenchmarkDotNet
// now (benchmarks/SingleFlight.Benchmarks, DistributedBenchmarks); this harness stays for the follower latency.
using System.Diagnostics;
using SingleFlight;
using SingleFlight.Redis;
using StackExchange.Redis;

var endpoint = args[0];
var n = int.Parse(args[1]);
var options = ConfigurationOptions.Parse(endpoint);
using var mux = await ConnectionMultiplexer.ConnectAsync(options);
using var mux2 = await ConnectionMultiplexer.ConnectAsync(options);
var db = mux.GetDatabase();
var local = new SingleFlightGroup<int, int>();
var dist = new DistributedSingleFlightGroup<int, int>(mux, "bench", jsonOptions: null);
var distB = new DistributedSingleFlightGroup<int, int>(mux2, "bench", jsonOptions: null, new DistributedSingleFlightOptions { PollInterval = TimeSpan.FromSeconds(5) });

async Task<double> Measure(string name, Func<int, Task> call)
{
    for (var i = 0; i < 500; i++) await call(i);   // warm-up
    var times = new double[5];
    for (var r = 0; r < times.Length; r++)
    {
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++) await call(i);
        times[r] = sw.Elapsed.TotalMicroseconds / n;
    }
    Array.Sort(times);
    Console.WriteLine($"{name,-48} median {times[2],8:F1} µs/call (runs: {string.Join(", ", times.Select(t => t.ToString("F1")))})");
    return times[2];
}

await Measure("PING round trip (reference)", async _ => await db.PingAsync());
const string acquire = "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return ARGV[1] end return redis.call('GET', KEYS[1])";
await Measure("one EVAL(SHA) of the election script", async i => await db.ScriptEvaluateAsync(acquire, ["bench-raw:" + i], [Guid.NewGuid().ToString("N"), 10000]));
await Measure("local SingleFlightGroup, sync work", async i => await local.DoAsync(i, static _ => new ValueTask<int>(1)));
await Measure("distributed, uncontended leader, sync work", async i => await dist.DoAsync(i, static _ => new ValueTask<int>(1)));

// Follower path: B waits for A's flight; A's work completes once B is waiting. Measures A-start to B-result.
// The test seam RemoteWaiterCount is internal: read it by reflection, outside the timed section.
var waiters = typeof(DistributedSingleFlightGroup<int, int>).GetProperty("RemoteWaiterCount", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
var follower = new List<double>();
for (var i = 0; i < 300; i++)
{
    var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
    var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var a = dist.DoAsync(100_000 + i, async _ => { started.SetResult(); return await gate.Task; }).AsTask();
    await started.Task;
    var b = distB.DoAsync(100_000 + i, static _ => new ValueTask<int>(-1)).AsTask();
    while ((int)waiters.GetValue(distB)! == 0) await Task.Yield();
    var sw = Stopwatch.StartNew();
    gate.SetResult(7);
    var got = await b;
    if (got != 7) throw new Exception("wrong value");
    await a;
    if (i >= 50) follower.Add(sw.Elapsed.TotalMicroseconds);
}
follower.Sort();
Console.WriteLine($"{"follower: leader completes -> follower has value",-48} median {follower[follower.Count / 2],8:F1} µs, p90 {follower[follower.Count * 9 / 10],8:F1} µs (250 flights)");
