using System;
using System.Threading;
using System.Threading.Tasks;
using SingleFlight;

namespace Matrix.Outcomes;

public sealed class Boom(int id) : Exception("boom " + id);

// Cores that complete synchronously, and cores that fail: the wrapper's fast paths and its error propagation.
public sealed partial class Service
{
    public static readonly Gate Gate = new();
    public static int Calls;

    [SingleFlight]
    public partial ValueTask RunNowAsync(int id);

    private ValueTask RunNowCoreAsync(int id)
    {
        Interlocked.Increment(ref Calls);
        return default;
    }

    [SingleFlight]
    public partial ValueTask<int> GetNowAsync(int id);

    private ValueTask<int> GetNowCoreAsync(int id)
    {
        Interlocked.Increment(ref Calls);
        return new ValueTask<int>(id);
    }

    [SingleFlight]
    public partial Task RunNowTaskAsync(int id);

    private Task RunNowTaskCoreAsync(int id)
    {
        Interlocked.Increment(ref Calls);
        return Task.CompletedTask;
    }

    [SingleFlight]
    public partial ValueTask FailAsync(int id);

    private async ValueTask FailCoreAsync(int id)
    {
        Gate.Enter();
        await Gate.WaitAsync();
        throw new Boom(id);
    }

    [SingleFlight]
    public partial Task<int> FailNowAsync(int id);

    // Throws before returning a task: the runtime treats it like an asynchronous failure.
    private Task<int> FailNowCoreAsync(int id) => throw new Boom(id);

    [SingleFlight]
    public partial int FailBlocking(int id);

    private int FailBlockingCore(int id)
    {
        Gate.Enter();
        Gate.Wait();
        throw new Boom(id);
    }
}

public static class Scenarios
{
    public static async Task SynchronousCompletion()
    {
        Service.Calls = 0;
        var service = new Service();
        for (var i = 0; i < 3; i++)
        {
            var pending = service.RunNowAsync(i);
            Check.True(pending.IsCompletedSuccessfully, "ValueTask completes synchronously");
            await pending;
            Check.Equal(i, await service.GetNowAsync(i), "ValueTask<int> value");
            await service.RunNowTaskAsync(i);
        }

        // No caching: every call ran its core.
        Check.Equal(9, Service.Calls, "core calls");
    }

    public static async Task FailuresAreShared()
    {
        Service.Gate.Reset();
        var results = await Harness.Async(
            Harness.Callers,
            async i =>
            {
                try
                {
                    await new Service().FailAsync(i % 2);
                    return "no exception";
                }
                catch (Boom ex)
                {
                    return ex.Message;
                }
            },
            Service.Gate.Open);
        Check.Equal(2, Service.Gate.Executions, "one failing execution per key");
        for (var i = 0; i < results.Length; i++)
        {
            Check.Equal("boom " + (i % 2), results[i], "caller " + i);
        }
    }

    public static async Task SynchronousThrowIsAFault()
    {
        var pending = new Service().FailNowAsync(3);
        try
        {
            await pending;
            Check.True(false, "expected an exception");
        }
        catch (Boom ex)
        {
            Check.Equal("boom 3", ex.Message, "exception");
        }
    }

    public static Task BlockingFailuresAreShared()
    {
        Service.Gate.Reset();
        Service.Gate.Open();
        try
        {
            new Service().FailBlocking(9);
        }
        catch (Boom)
        {
            // Warm-up (JIT) with the gate open.
        }

        Service.Gate.Reset();
        var results = Harness.Blocking(
            Harness.Callers,
            i =>
            {
                try
                {
                    return new Service().FailBlocking(i % 2).ToString();
                }
                catch (Boom ex)
                {
                    return ex.Message;
                }
            },
            () => Service.Gate.Executions,
            2,
            Service.Gate.Open);
        Check.Equal(2, Service.Gate.Executions, "one failing execution per key");
        for (var i = 0; i < results.Length; i++)
        {
            Check.Equal("boom " + (i % 2), results[i], "caller " + i);
        }

        return Task.CompletedTask;
    }
}
