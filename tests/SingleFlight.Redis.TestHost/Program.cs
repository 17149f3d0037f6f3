// One "process" of a fleet for the multi-process tests.
// Usage: SingleFlight.Redis.TestHost <host:port> <operation> <directory> <callers> <leaseMs> [group|generated]
// Fires <callers> concurrent calls at the key "hot": through a DistributedSingleFlightGroup made by hand ("group",
// the default, named <operation>), or through the generated code of a [SingleFlight(Distributed = true)] method
// ("generated", whose Redis keys are prefixed with <operation> instead). The work records each execution as a file
// exec-<pid>-<guid> in <directory> (counted by the test, independent of the code under test), then waits until the
// test creates <directory>/go. Prints "in-flight" once this process leads or waits for another process's flight,
// "waiting <leader token>" each time it starts waiting for another process's flight, then one "result <value>" line
// per caller.
using SingleFlight.Redis;
using SingleFlight.Redis.TestHost;
using StackExchange.Redis;

var endpoint = args[0];
var operation = args[1];
var directory = args[2];
var callers = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
var lease = TimeSpan.FromMilliseconds(int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
var generated = args.Length > 5 && args[5] == "generated";

var configuration = ConfigurationOptions.Parse(endpoint);
configuration.AbortOnConnectFail = false;
using var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
var options = new DistributedSingleFlightOptions
{
    LeaseDuration = lease,
    PollInterval = TimeSpan.FromMilliseconds(100),
    RedisTimeout = TimeSpan.FromSeconds(2),
};

DistributedSingleFlightGroup<string, string> group;
Func<Task<string>> call;
if (generated)
{
    // What an app does once at start-up without DI; the generated code of HotData.GetAsync then uses this registry.
    options.KeyPrefix = operation;
    DistributedSingleFlight.Default = new DistributedSingleFlight(connection, options);

    // The same group instance the generated code binds to (one per operation name), for the test seam below.
    group = DistributedSingleFlight.Default.GetGroup<string, string>(HotData.OperationName, HostJson.Default.String);
    call = () => HotData.GetAsync("hot", directory);
}
else
{
    group = new DistributedSingleFlightGroup<string, string>(connection, operation, jsonOptions: null, options);
    call = () => group.DoAsync("hot", ct => new ValueTask<string>(HotData.WorkAsync(directory, ct))).AsTask();
}

group.WaitingHook = holder => Console.WriteLine("waiting " + holder);
var calls = Enumerable.Range(0, callers).Select(_ => call()).ToArray();

var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
while (!HotData.Leading && group.RemoteWaiterCount == 0)
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

DistributedSingleFlight.Default?.Dispose();
return 0;
