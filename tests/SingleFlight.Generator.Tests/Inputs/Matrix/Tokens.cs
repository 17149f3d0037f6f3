using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SingleFlight;

namespace Matrix.Tokens;

public sealed partial class Service
{
    public static readonly Gate Gate = new();
    public static readonly ConcurrentBag<CancellationToken> CoreTokens = new();

    [SingleFlight(KeyFrom = "id")]
    public partial Task<int> FirstAsync(CancellationToken cancellationToken, int id);

    private async Task<int> FirstCoreAsync(CancellationToken cancellationToken, int id)
    {
        Gate.Enter();
        CoreTokens.Add(cancellationToken);
        await Gate.WaitAsync();
        return id;
    }

    [SingleFlight]
    public partial Task<string> MiddleAsync(string name, CancellationToken cancellationToken, int id);

    private async Task<string> MiddleCoreAsync(string name, CancellationToken token, int id)
    {
        Gate.Enter();
        CoreTokens.Add(token);
        await Gate.WaitAsync();
        return name + id;
    }

    [SingleFlight]
    public partial ValueTask<int> TwoTokensAsync(int id, CancellationToken first, CancellationToken second = default);

    private async ValueTask<int> TwoTokensCoreAsync(int id, CancellationToken first, CancellationToken second)
    {
        Gate.Enter();
        CoreTokens.Add(first);
        CoreTokens.Add(second);
        await Gate.WaitAsync();
        return id;
    }

    // A blocking method with a token: the core gets CancellationToken.None (joiners cannot cancel a blocking wait).
    [SingleFlight]
    public partial int Blocking(int id, CancellationToken cancellationToken);

    private int BlockingCore(int id, CancellationToken cancellationToken)
    {
        Gate.Enter();
        CoreTokens.Add(cancellationToken);
        Gate.Wait();
        return id;
    }
}

public static class Scenarios
{
    private static void CheckCoreTokens(params CancellationToken[] callerTokens)
    {
        Check.True(!Service.CoreTokens.IsEmpty, "core saw a token");
        foreach (var token in Service.CoreTokens)
        {
            Check.True(callerTokens.All(caller => caller != token), "the core got the flight's token, not a caller's");
        }

        Service.CoreTokens.Clear();
    }

    public static async Task First()
    {
        using var cts = new CancellationTokenSource();
        await Run.TwoKeysAsync(Service.Gate, id => new Service().FirstAsync(cts.Token, id), id => id);
        CheckCoreTokens(cts.Token);
    }

    public static async Task Middle()
    {
        using var cts = new CancellationTokenSource();
        await Run.TwoKeysAsync(Service.Gate, id => new Service().MiddleAsync("m", cts.Token, id), id => "m" + id);
        CheckCoreTokens(cts.Token);
    }

    public static async Task TwoTokens()
    {
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        await Run.TwoKeysAsync(Service.Gate, id => new Service().TwoTokensAsync(id, first.Token, second.Token).AsTask(), id => id);
        CheckCoreTokens(first.Token, second.Token);
    }

    public static Task BlockingWithToken()
    {
        using var cts = new CancellationTokenSource();
        Run.TwoKeysBlocking(Service.Gate, id => new Service().Blocking(id, cts.Token), id => id);
        Check.All(Service.CoreTokens, CancellationToken.None, "blocking core token");
        Service.CoreTokens.Clear();
        return Task.CompletedTask;
    }

    // One caller cancels: only its wait ends; the flight and the other callers go on.
    public static async Task CallerCancellation()
    {
        Service.Gate.Reset();
        using var leaving = new CancellationTokenSource();
        var staying = new Service().FirstAsync(CancellationToken.None, 1);
        var leaver = new Service().FirstAsync(leaving.Token, 1);
        leaving.Cancel();
        try
        {
            await leaver;
            Check.True(false, "the cancelled caller should have thrown");
        }
        catch (OperationCanceledException)
        {
        }

        Check.True(!staying.IsCompleted, "the other caller still waits");
        Service.Gate.Open();
        Check.Equal(1, await staying, "the other caller's result");
        Check.Equal(1, Service.Gate.Executions, "executions");
        var token = Service.CoreTokens.Single();
        Check.True(!token.IsCancellationRequested, "the flight's token is not cancelled while a caller remains");
        Service.CoreTokens.Clear();
    }
}
