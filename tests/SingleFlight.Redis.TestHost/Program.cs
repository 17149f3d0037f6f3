// One "process" of a fleet for the multi-process tests.
// Usage: SingleFlight.Redis.TestHost <host:port> <operation> <directory> <callers> <leaseMs>
// Fires <callers> concurrent calls at the key "hot". The work records each execution as a file
// exec-<pid>-<guid> in <directory> (counted by the test, independent of the code under test), then waits until
// the test creates <directory>/go. Prints "in-flight" once this process leads or waits for another process's
// flight, "waiting <leader token>" each time it starts waiting for another process's flight, then one
// "result <value>" line per caller.
using System.Net;
using SingleFlight.Redis;
using StackExchange.Redis;

var endpoint = args[0];
var operation = args[1];
var directory = args[2];
var callers = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
var lease = TimeSpan.FromMilliseconds(int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));

var configuration = ConfigurationOptions.Parse(endpoint);
configuration.AbortOnConnectFail = false;
using var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
using var group = new DistributedSingleFlightGroup<string, string>(
    connection,
    operation,
    jsonOptions: null,
    new DistributedSingleFlightOptions
    {
        LeaseDuration = lease,
        PollInterval = TimeSpan.FromMilliseconds(100),
        RedisTimeout = TimeSpan.FromSeconds(2),
    });

group.WaitingHook = holder => Console.WriteLine("waiting " + holder);
var leading = 0;
var go = Path.Combine(directory, "go");
var calls = Enumerable.Range(0, callers).Select(_ => group.DoAsync("hot", async ct =>
{
    File.WriteAllText(Path.Combine(directory, $"exec-{Environment.ProcessId}-{Guid.NewGuid():N}"), string.Empty);
    Volatile.Write(ref leading, 1);
    while (!File.Exists(go))
    {
        await Task.Delay(20, ct);
    }

    return "value";
}).AsTask()).ToArray();

var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
while (Volatile.Read(ref leading) == 0 && group.RemoteWaiterCount == 0)
{
    if (DateTime.UtcNow > deadline)
    {
        Console.Error.WriteLine("never in flight");
        return 2;
    }

    await Task.Delay(10);
}

Console.WriteLine("in-flight");
foreach (var result in await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60)))
{
    Console.WriteLine("result " + result);
}

return 0;
