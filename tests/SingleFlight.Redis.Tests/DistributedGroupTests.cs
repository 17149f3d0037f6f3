using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

public sealed record Blob(string Name, byte[] Data);

public interface IShape
{
    string Name { get; }
}

public sealed record Shape(string Name) : IShape;

[JsonSerializable(typeof(Blob))]
[JsonSerializable(typeof(string))]
internal sealed partial class TestJson : JsonSerializerContext
{
}

/// <summary>
/// Two group instances with their own connections stand for two processes sharing one Redis.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class DistributedGroupTests : IDisposable
{
    private readonly RedisServer _server;
    private readonly List<IDisposable> _owned = [];

    public DistributedGroupTests(RedisFixture fixture)
    {
        _server = fixture.Server;
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private static string NewOperation() => "test-" + Guid.NewGuid().ToString("N");

    private static DistributedSingleFlightOptions Fast(TimeSpan? lease = null) => new()
    {
        LeaseDuration = lease ?? TimeSpan.FromSeconds(30),
        PollInterval = TimeSpan.FromMilliseconds(100),
        RedisTimeout = TimeSpan.FromSeconds(2),
        WaitTimeout = TimeSpan.FromSeconds(60),
    };

    private ConnectionMultiplexer Connect(RedisServer? server = null)
    {
        var connection = (server ?? _server).Connect();
        _owned.Add(connection);
        return connection;
    }

    private DistributedSingleFlightGroup<TKey, TValue> Group<TKey, TValue>(
        IConnectionMultiplexer connection, string operation, DistributedSingleFlightOptions? options = null)
        where TKey : notnull
    {
        var group = new DistributedSingleFlightGroup<TKey, TValue>(connection, operation, jsonOptions: null, options ?? Fast());
        _owned.Add(group);
        return group;
    }

    [RedisFact]
    public async Task Concurrent_callers_in_two_processes_run_the_work_once()
    {
        var operation = NewOperation();
        using var metric = new RedisFlightsMetric(operation);
        var a = Group<int, string>(Connect(), operation);
        var b = Group<int, string>(Connect(), operation);
        var work = new GatedWork<string>();

        var callersA = Enumerable.Range(0, 10).Select(_ => a.DoAsync(7, work.RunAsync).AsTask()).ToArray();
        await Bounded.Wait(work.Started);
        var callersB = Enumerable.Range(0, 10).Select(_ => b.DoAsync(7, work.RunAsync).AsTask()).ToArray();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");

        work.Gate.SetResult("seven");
        var results = await Bounded.Wait(Task.WhenAll(callersA.Concat(callersB)));

        Assert.All(results, r => Assert.Equal("seven", r));
        Assert.Equal(1, work.Executions);
        Assert.Equal(1, metric.Count("led"));
        Assert.Equal(1, metric.Count("received"));
        Assert.Equal(0, a.InFlightCount);
        Assert.Equal(0, b.InFlightCount);
    }

    [RedisFact]
    public async Task Callers_started_together_in_two_processes_run_the_work_once()
    {
        var operation = NewOperation();
        var a = Group<(string, int), int>(Connect(), operation);
        var b = Group<(string, int), int>(Connect(), operation);
        var work = new GatedWork<int>();
        var key = ("tenant", 1);

        using var go = new ManualResetEventSlim();
        var callers = Enumerable.Range(0, 16)
            .Select(i => Task.Run(async () => { go.Wait(); return await (i % 2 == 0 ? a : b).DoAsync(key, work.RunAsync); }))
            .ToArray();
        go.Set();
        await Bounded.Wait(work.Started);
        await Bounded.Until(() => a.RemoteWaiterCount + b.RemoteWaiterCount == 1, "the other process waits for the leader");

        work.Gate.SetResult(42);
        var results = await Bounded.Wait(Task.WhenAll(callers));

        Assert.All(results, r => Assert.Equal(42, r));
        Assert.Equal(1, work.Executions);
    }

    [RedisFact]
    public async Task A_lost_announcement_is_made_up_for_by_polling()
    {
        var operation = NewOperation();
        var a = Group<int, string>(Connect(), operation);
        var connectionB = Connect();
        var b = Group<int, string>(connectionB, operation);
        var warmUp = new GatedWork<string>();
        var warmA = a.DoAsync(0, warmUp.RunAsync).AsTask();
        await Bounded.Wait(warmUp.Started);
        var warmB = b.DoAsync(0, warmUp.RunAsync).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B subscribed and waits");
        warmUp.Gate.SetResult("warm");
        await Bounded.Wait(Task.WhenAll(warmA, warmB));

        // B no longer hears announcements: only its polls can find the result.
        await connectionB.GetSubscriber().UnsubscribeAllAsync();
        var work = new GatedWork<string>();
        var leader = a.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");
        work.Gate.SetResult("polled");

        Assert.Equal("polled", await Bounded.Wait(leader));
        Assert.Equal("polled", await Bounded.Wait(follower));
        Assert.Equal(1, work.Executions);
    }

    [RedisFact]
    public async Task Different_keys_do_not_wait_for_each_other()
    {
        var operation = NewOperation();
        var a = Group<int, string>(Connect(), operation);
        var b = Group<int, string>(Connect(), operation);
        var blocked = new GatedWork<string>();

        var pending = a.DoAsync(1, blocked.RunAsync).AsTask();
        await Bounded.Wait(blocked.Started);

        Assert.Equal("two", await Bounded.Wait(b.DoAsync(2, _ => new ValueTask<string>("two"))));
        Assert.Equal("three", await Bounded.Wait(a.DoAsync(3, _ => new ValueTask<string>("three"))));
        Assert.False(pending.IsCompleted);

        blocked.Gate.SetResult("one");
        Assert.Equal("one", await Bounded.Wait(pending));
    }

    [RedisFact]
    public async Task A_failure_reaches_the_other_process_with_type_name_and_message()
    {
        var operation = NewOperation();
        using var metric = new RedisFlightsMetric(operation);
        var a = Group<string, string>(Connect(), operation);
        var b = Group<string, string>(Connect(), operation);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fail = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var executions = 0;

        var leader = a.DoAsync("k", async _ =>
        {
            Interlocked.Increment(ref executions);
            started.SetResult();
            await fail.Task;
            throw new InvalidOperationException("database said no");
        }).AsTask();
        await Bounded.Wait(started.Task);
        var follower = b.DoAsync("k", _ => { Interlocked.Increment(ref executions); return new ValueTask<string>("ran"); }).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");
        fail.SetResult();

        var local = await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(leader));
        Assert.Equal("database said no", local.Message);
        var remote = await Assert.ThrowsAsync<DistributedSingleFlightException>(() => Bounded.Wait(follower));
        Assert.Equal("System.InvalidOperationException", remote.RemoteExceptionType);
        Assert.Equal("database said no", remote.Message);
        Assert.Equal(1, executions);
        Assert.Equal(1, metric.Count("received_fault"));
    }

    /// <summary>Rule 9 across processes: work that throws OperationCanceledException by itself faults every caller's task.</summary>
    [RedisFact]
    public async Task Work_that_throws_OperationCanceledException_by_itself_faults_every_caller_in_every_process()
    {
        var operation = NewOperation();
        var a = Group<string, string>(Connect(), operation);
        var b = Group<string, string>(Connect(), operation);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fail = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thrown = new OperationCanceledException("the work gave up by itself");
        using var tokens = new CancellationTokenSource();
        async ValueTask<string> Work(CancellationToken ct)
        {
            started.TrySetResult();
            await fail.Task;
            throw thrown;
        }

        var inA = new[] { a.DoAsync("k", Work).AsTask(), a.DoAsync("k", Work, tokens.Token).AsTask() };
        await Bounded.Wait(started.Task);
        var inB = new[] { b.DoAsync("k", Work).AsTask(), b.DoAsync("k", Work, tokens.Token).AsTask() };
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");
        fail.SetResult();

        foreach (var call in inA)
        {
            Assert.Same(thrown, await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(call)));
            Assert.True(call.IsFaulted, $"saw {call.Status}");
        }

        foreach (var call in inB)
        {
            var remote = await Assert.ThrowsAsync<DistributedSingleFlightException>(() => Bounded.Wait(call));
            Assert.Equal("System.OperationCanceledException", remote.RemoteExceptionType);
            Assert.True(call.IsFaulted, $"saw {call.Status}");
        }
    }

    [RedisFact]
    public async Task With_RunLocallyOnRemoteFailure_the_other_process_runs_the_work_itself()
    {
        var operation = NewOperation();
        var options = Fast();
        options.RunLocallyOnRemoteFailure = true;
        var a = Group<string, string>(Connect(), operation);
        var b = Group<string, string>(Connect(), operation, options);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fail = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var leader = a.DoAsync("k", async _ =>
        {
            started.SetResult();
            await fail.Task;
            throw new InvalidOperationException("boom");
        }).AsTask();
        await Bounded.Wait(started.Task);
        var follower = b.DoAsync("k", _ => new ValueTask<string>("b ran it")).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");
        fail.SetResult();

        await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(leader));
        Assert.Equal("b ran it", await Bounded.Wait(follower));
    }

    [RedisFact]
    public async Task When_the_leader_dies_another_process_takes_over_after_the_lease()
    {
        var operation = NewOperation();
        var lease = TimeSpan.FromSeconds(1);
        var leaderConnection = Connect();
        var a = Group<int, string>(leaderConnection, operation, Fast(lease));
        var b = Group<int, string>(Connect(), operation, Fast(lease));
        var stuck = new GatedWork<string>();
        var executionsB = 0;

        var leader = a.DoAsync(1, stuck.RunAsync).AsTask();
        await Bounded.Wait(stuck.Started);
        var follower = b.DoAsync(1, _ => { Interlocked.Increment(ref executionsB); return new ValueTask<string>("from B"); }).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");

        // A "crashes": its connection goes away, so nobody renews its lease.
        var crashed = DateTime.UtcNow;
        leaderConnection.Dispose();

        Assert.Equal("from B", await Bounded.Wait(follower));
        Assert.Equal(1, executionsB);
        Assert.True(DateTime.UtcNow - crashed < TimeSpan.FromSeconds(10), "B took over within the lease plus polling");

        // The stuck work in the "dead" process still ends well for its own callers.
        stuck.Gate.SetResult("from A");
        Assert.Equal("from A", await Bounded.Wait(leader));
    }

    [RedisFact]
    public async Task A_live_leader_keeps_its_lease_past_the_lease_duration()
    {
        var operation = NewOperation();
        // Short, but with room for a loaded machine: renewal runs every third of the lease, so only a stall of
        // more than about 1.3 s lets it lapse.
        var lease = TimeSpan.FromSeconds(2);
        var a = Group<int, string>(Connect(), operation, Fast(lease));
        var b = Group<int, string>(Connect(), operation, Fast(lease));
        var work = new GatedWork<string>();

        var leader = a.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");

        // Several lease lengths: without renewal B would have taken over and run the work a second time.
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(6.5);
        await Bounded.Until(() => DateTime.UtcNow > until || work.Executions > 1, "three lease lengths pass");
        Assert.Equal(1, work.Executions);

        work.Gate.SetResult("done");
        Assert.Equal("done", await Bounded.Wait(leader));
        Assert.Equal("done", await Bounded.Wait(follower));
        Assert.Equal(1, work.Executions);
    }

    /// <summary>The work's token, and its result gate: the test sees whether the work was cancelled.</summary>
    private sealed class ObservedWork
    {
        private int _executions;

        public TaskCompletionSource<CancellationToken> Token { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<string> Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Executions => Volatile.Read(ref _executions);

        public async ValueTask<string> RunAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _executions);
            Token.TrySetResult(cancellationToken);
            return await Gate.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Waits until <paramref name="follower"/> has registered its interest in the flight it waits for.</summary>
    private async Task FollowerInterestRegistered(DistributedSingleFlightGroup<int, string> follower, Task<string> holder, string operation, int key)
    {
        var leaderToken = await Bounded.Wait(holder);
        var interest = "singleflight:{o" + operation.Length + ":" + operation + DistributedKey.Encode(key) + "}:waiters:" + leaderToken;
        var db = Connect().GetDatabase();
        await Bounded.Until(() => db.SortedSetLength(interest) == 1, "the follower's interest is in Redis");
        Assert.Equal(1, follower.RemoteWaiterCount);
    }

    [RedisFact]
    public async Task A_leader_whose_callers_all_cancel_keeps_working_while_another_process_waits()
    {
        var operation = NewOperation();
        var a = Group<int, string>(Connect(), operation);
        var b = Group<int, string>(Connect(), operation);
        var checks = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        a.InterestCheckedHook = n => checks.TrySetResult(n);
        var holder = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.WaitingHook = h => holder.TrySetResult(h);
        var work = new ObservedWork();
        using var cancel = new CancellationTokenSource();

        var caller = a.DoAsync(1, work.RunAsync, cancel.Token).AsTask();
        var workToken = await Bounded.Wait(work.Token.Task);
        var follower = b.DoAsync(1, work.RunAsync).AsTask();
        await FollowerInterestRegistered(b, holder.Task, operation, 1);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(caller));

        // The leader saw B's interest, so its work goes on (rule 4 across processes) and B gets its result.
        Assert.Equal(1, await Bounded.Wait(checks.Task));
        Assert.False(workToken.IsCancellationRequested);
        work.Gate.SetResult("for B");
        Assert.Equal("for B", await Bounded.Wait(follower));
        Assert.Equal(1, work.Executions);
    }

    [RedisFact]
    public async Task When_every_caller_in_every_process_cancels_the_work_is_cancelled_and_the_key_released_at_once()
    {
        var operation = NewOperation();
        var a = Group<int, string>(Connect(), operation); // 30 s lease: only an explicit release lets B in quickly
        var b = Group<int, string>(Connect(), operation);
        var holder = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.WaitingHook = h => holder.TrySetResult(h);
        var work = new ObservedWork();
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        using var followerCancel = new CancellationTokenSource();

        var callerOne = a.DoAsync(1, work.RunAsync, first.Token).AsTask();
        var workToken = await Bounded.Wait(work.Token.Task);
        var callerTwo = a.DoAsync(1, work.RunAsync, second.Token).AsTask();
        var follower = b.DoAsync(1, work.RunAsync, followerCancel.Token).AsTask();
        await FollowerInterestRegistered(b, holder.Task, operation, 1);

        first.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(callerOne));
        followerCancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(follower));
        Assert.False(workToken.IsCancellationRequested, "a caller in A still waits");

        var cancelled = DateTime.UtcNow;
        second.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(callerTwo));
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (workToken.Register(() => stopped.TrySetResult()))
        {
            await Bounded.Wait(stopped.Task);
        }

        // The key was released with the abandoned flight: a new call runs at once instead of waiting out the lease.
        Assert.Equal("fresh", await Bounded.Wait(b.DoAsync(1, _ => new ValueTask<string>("fresh"))));
        Assert.True(DateTime.UtcNow - cancelled < TimeSpan.FromSeconds(10), "B waited for the 30 s lease");
        Assert.Equal(1, work.Executions);
    }

    [RedisFact]
    public async Task Keys_with_awkward_characters_and_tuple_boundaries_never_share_a_flight()
    {
        var operation = NewOperation();
        var a = Group<(string, string), string>(Connect(), operation);
        var b = Group<(string, string), string>(Connect(), operation);
        (string, string)[] keys =
        [
            ("a:b", "c"), ("a", "b:c"), ("", "a:bc"), ("a:bc", ""), ("s1:a", ""), ("", "s1:a"),
            ("}", "{"), ("{", "}"), ("\0", ""), ("", "\0"), ("\r\n", " "), ("é", "e\u0301"), ("😀", "\uD83D"), ("\uFFFD", ""), ("\uD83D", ""),
            ("1", "2"), ("12", ""), ("t2:", "s0:"), ("*?[]", "\\"), ("\"'", "%s"),
        ];
        Assert.Equal(keys.Length, keys.Select(k => DistributedKey.Encode(k)).Distinct().Count());

        // Every key in flight in A at once (each blocked): if two keys met in Redis, A's second flight would wait
        // for the first, and B would receive another key's value.
        var executions = 0;
        var gates = keys.Select(_ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var started = keys.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var inA = keys.Select((k, i) => a.DoAsync(k, async _ =>
        {
            Interlocked.Increment(ref executions);
            started[i].SetResult();
            return await gates[i].Task;
        }).AsTask()).ToArray();
        await Bounded.Wait(Task.WhenAll(started.Select(s => s.Task)));
        var inB = keys.Select(k => b.DoAsync(k, _ => { Interlocked.Increment(ref executions); return new ValueTask<string>("B ran"); }).AsTask()).ToArray();
        await Bounded.Until(() => b.RemoteWaiterCount == keys.Length, "B waits for every one of A's flights");
        for (var i = 0; i < keys.Length; i++)
        {
            gates[i].SetResult("value " + i);
        }

        var fromA = await Bounded.Wait(Task.WhenAll(inA));
        var fromB = await Bounded.Wait(Task.WhenAll(inB));
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal("value " + i, fromA[i]);
            Assert.Equal("value " + i, fromB[i]);
        }

        Assert.Equal(keys.Length, executions);
    }

    [RedisFact]
    public async Task A_result_of_several_megabytes_crosses_processes_intact()
    {
        var operation = NewOperation();
        var options = Fast();
        options.RedisTimeout = TimeSpan.FromSeconds(10);
        var a = new DistributedSingleFlightGroup<Guid, Blob>(Connect(), operation, TestJson.Default.Blob, options);
        var b = new DistributedSingleFlightGroup<Guid, Blob>(Connect(), operation, TestJson.Default.Blob, options);
        _owned.Add(a);
        _owned.Add(b);
        var data = new byte[4 * 1024 * 1024];
        new Random(12345).NextBytes(data);
        var work = new GatedWork<Blob>();
        var key = Guid.NewGuid();

        var leader = a.DoAsync(key, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(key, work.RunAsync).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");
        work.Gate.SetResult(new Blob("big", data));

        var received = await Bounded.Wait(follower);
        Assert.Equal("big", received.Name);
        Assert.Equal(data, received.Data);
        Assert.Same(data, (await Bounded.Wait(leader)).Data);
        Assert.Equal(1, work.Executions);
    }

    [RedisFact]
    public async Task Without_a_reachable_Redis_calls_coalesce_locally_and_the_fallback_is_counted()
    {
        var operation = NewOperation();
        using var metric = new RedisFlightsMetric(operation);
        var nowhere = RedisServer.Start();
        var connection = Connect(nowhere);
        nowhere.Stop();
        await Bounded.Until(() => !connection.IsConnected, "the connection notices the server is gone");
        var a = Group<int, string>(connection, operation);
        var work = new GatedWork<string>();

        var callers = Enumerable.Range(0, 5).Select(_ => a.DoAsync(1, work.RunAsync).AsTask()).ToArray();
        await Bounded.Wait(work.Started);
        work.Gate.SetResult("local");

        Assert.All(await Bounded.Wait(Task.WhenAll(callers)), r => Assert.Equal("local", r));
        Assert.Equal(1, work.Executions);
        Assert.Equal(1, metric.Count("local_fallback"));

        // The work's own failure is delivered once, even when it looks like a Redis failure.
        var failures = 0;
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Bounded.Wait(a.DoAsync(2, _ =>
        {
            Interlocked.Increment(ref failures);
            throw new InvalidOperationException("the work failed");
        })));
        Assert.Equal("the work failed", error.Message);
        Assert.Equal(1, failures);
    }

    [RedisFact]
    public async Task Redis_stopped_mid_flight_still_answers_every_caller_and_coordination_resumes_after_restart()
    {
        var operation = NewOperation();
        using var metric = new RedisFlightsMetric(operation);
        using var server = RedisServer.Start();
        var logA = new RecordingLoggerFactory();
        var logB = new RecordingLoggerFactory();
        DistributedSingleFlightOptions Options(RecordingLoggerFactory log)
        {
            var options = Fast();
            // Short enough that a dead server is noticed quickly, long enough for a loaded 2-core CI machine.
            options.RedisTimeout = TimeSpan.FromSeconds(2);
            options.LoggerFactory = log;
            return options;
        }

        var connectionA = Connect(server);
        var connectionB = Connect(server);
        var a = Group<int, string>(connectionA, operation, Options(logA));
        var b = Group<int, string>(connectionB, operation, Options(logB));

        // Mid-flight: A leads, B waits, then Redis dies.
        var work = new GatedWork<string>();
        var leader = a.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var executionsB = 0;
        var follower = b.DoAsync(1, _ => { Interlocked.Increment(ref executionsB); return new ValueTask<string>("B alone"); }).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");
        server.Stop();

        Assert.Equal("B alone", await Bounded.Wait(follower));
        work.Gate.SetResult("A alone");
        Assert.Equal("A alone", await Bounded.Wait(leader));
        Assert.Equal(1, executionsB);
        Assert.True(metric.Count("local_fallback") >= 1);

        // While it is down, callers in one process still share one execution.
        var down = new GatedWork<string>();
        var local = Enumerable.Range(0, 5).Select(_ => a.DoAsync(2, down.RunAsync).AsTask()).ToArray();
        await Bounded.Wait(down.Started);
        down.Gate.SetResult("down");
        Assert.All(await Bounded.Wait(Task.WhenAll(local)), r => Assert.Equal("down", r));
        Assert.Equal(1, down.Executions);

        // Each process logged the outage once, however many flights it degraded, and named the operation.
        var warningA = Assert.Single(logA.Entries);
        Assert.Equal((LogLevel.Warning, "RedisUnavailable"), (warningA.Level, warningA.Event));
        Assert.Contains(operation, warningA.Message, StringComparison.Ordinal);
        Assert.Equal("RedisUnavailable", Assert.Single(logB.Entries).Event);

        // Back up: the two processes share flights again.
        server.Restart();
        await Bounded.Until(() => connectionA.IsConnected && connectionB.IsConnected, "both connections reconnect");
        var again = new GatedWork<string>();
        var leaderAgain = a.DoAsync(3, again.RunAsync).AsTask();
        await Bounded.Wait(again.Started);
        var followerAgain = b.DoAsync(3, again.RunAsync).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight after the restart");
        again.Gate.SetResult("shared again");
        Assert.Equal("shared again", await Bounded.Wait(leaderAgain));
        Assert.Equal("shared again", await Bounded.Wait(followerAgain));
        Assert.Equal(1, again.Executions);

        // ...and says so, once.
        Assert.Equal(["RedisUnavailable", "RedisResumed"], logA.Entries.Select(e => e.Event));
        Assert.Equal(["RedisUnavailable", "RedisResumed"], logB.Entries.Select(e => e.Event));
        Assert.Equal(LogLevel.Information, logA.Entries[1].Level);
    }

    [RedisFact]
    public async Task A_Redis_slower_than_the_timeout_makes_the_call_run_locally()
    {
        var operation = NewOperation();
        using var metric = new RedisFlightsMetric(operation);
        using var server = RedisServer.Start();
        var connection = Connect(server);

        // Warm up (JIT, scripts, connection) with the default timeout, so that only the paused phase runs
        // against the short one: on a loaded machine a cold first call can take longer than 300 ms by itself.
        var warm = Group<int, string>(connection, operation, Fast());
        Assert.Equal("warm", await Bounded.Wait(warm.DoAsync(0, _ => new ValueTask<string>("warm"))));
        Assert.Equal(1, metric.Count("led"));

        var options = Fast();
        options.RedisTimeout = TimeSpan.FromMilliseconds(300);
        var a = Group<int, string>(connection, operation, options);

        // The server stops answering every client for 5 s: connected, but slow.
        Assert.Equal("+OK", server.Command("CLIENT", "PAUSE", "5000", "ALL"));
        var work = new GatedWork<string>();
        work.Gate.SetResult("answered locally");
        var started = DateTime.UtcNow;

        Assert.Equal("answered locally", await Bounded.Wait(a.DoAsync(1, work.RunAsync)));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(4), "the call did not wait for the paused server");
        Assert.Equal(1, work.Executions);
        Assert.Contains(metric.All, m => m.Outcome == "local_fallback" && m.Reason == nameof(TimeoutException));
    }

    [RedisFact]
    public async Task When_every_caller_in_a_waiting_process_cancels_only_that_process_stops_waiting()
    {
        var operation = NewOperation();
        var a = Group<int, string>(Connect(), operation);
        var b = Group<int, string>(Connect(), operation);
        var work = new GatedWork<string>();
        using var cancel = new CancellationTokenSource();

        var leader = a.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(1, work.RunAsync, cancel.Token).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(follower));
        await Bounded.Until(() => b.RemoteWaiterCount == 0 && b.InFlightCount == 0, "B's flight ends");
        Assert.False(leader.IsCompleted);

        work.Gate.SetResult("A finished");
        Assert.Equal("A finished", await Bounded.Wait(leader));
        Assert.Equal(1, work.Executions);
    }

    [RedisFact]
    public void Construction_validates_its_arguments_with_clear_exceptions()
    {
        var connection = Connect();
        Assert.Throws<ArgumentNullException>(() => new DistributedSingleFlightGroup<int, int>(null!, "op"));
        Assert.Throws<ArgumentException>(() => new DistributedSingleFlightGroup<int, int>(connection, ""));
        var lease = Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSingleFlightGroup<int, int>(
            connection, "op", jsonOptions: null, new DistributedSingleFlightOptions { LeaseDuration = TimeSpan.FromMilliseconds(10) }));
        Assert.Equal("LeaseDuration", lease.ParamName);
        var poll = Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSingleFlightGroup<int, int>(
            connection, "op", jsonOptions: null, new DistributedSingleFlightOptions { PollInterval = TimeSpan.Zero }));
        Assert.Equal("PollInterval", poll.ParamName);
        var key = Assert.Throws<NotSupportedException>(() => new DistributedSingleFlightGroup<object, int>(connection, "op"));
        Assert.Contains("System.Object", key.Message);
        var tupleKey = Assert.Throws<NotSupportedException>(() => new DistributedSingleFlightGroup<(int, int[]), int>(connection, "op"));
        Assert.Contains("System.Int32[]", tupleKey.Message);

        // A custom encoder lifts the restriction: the caller vouches for its uniqueness.
        using var custom = new DistributedSingleFlightGroup<object, int>(connection, "op", jsonOptions: null, keyEncoder: o => o.ToString()!);
        Assert.Equal("op", custom.Name);
    }

    /// <summary>System.Text.Json refuses to read an interface with NotSupportedException, not JsonException.</summary>
    [RedisFact]
    public async Task A_follower_that_cannot_deserialize_the_value_runs_the_work_itself()
    {
        var operation = NewOperation();
        using var metric = new RedisFlightsMetric(operation);
        var a = Group<int, IShape>(Connect(), operation);
        var b = Group<int, IShape>(Connect(), operation);
        var work = new GatedWork<IShape>();

        var leader = a.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(1, _ => new ValueTask<IShape>(new Shape("local"))).AsTask();
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");
        work.Gate.SetResult(new Shape("remote"));

        Assert.Equal("remote", (await Bounded.Wait(leader)).Name);
        Assert.Equal("local", (await Bounded.Wait(follower)).Name);
        Assert.Contains(metric.All, m => m.Outcome == "local_fallback" && m.Reason == "deserialize:NotSupportedException");
    }

    /// <summary>
    /// The election script is already on its way when the only caller cancels: the server still runs it. The flight
    /// must hand the key back, or every other process would wait out the 30 s lease.
    /// </summary>
    [RedisFact]
    public async Task A_caller_that_cancels_during_the_election_leaves_no_lock_behind()
    {
        var operation = NewOperation();
        var a = Group<int, string>(Connect(), operation);
        var b = Group<int, string>(Connect(), operation);
        Assert.Equal("warm", await Bounded.Wait(a.DoAsync(99, _ => new ValueTask<string>("warm"))));

        // A script keeps the server busy for 300 ms, so the election's reply cannot come back before the cancellation.
        var busy = Connect().GetDatabase().ScriptEvaluateAsync(
            "local s = redis.call('TIME') local t0 = s[1] * 1000000 + s[2] while true do local n = redis.call('TIME') if n[1] * 1000000 + n[2] - t0 > 300000 then break end end return 1");
        var ranInA = 0;
        using var cancel = new CancellationTokenSource();
        var caller = a.DoAsync(7, _ => { Interlocked.Increment(ref ranInA); return new ValueTask<string>("a"); }, cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Bounded.Wait(caller));
        await Bounded.Wait(busy);

        var lockKey = "singleflight:{o" + operation.Length + ":" + operation + DistributedKey.Encode(7) + "}:lock";
        var db = Connect().GetDatabase();
        await Bounded.Until(() => !db.KeyExists(lockKey), "the lock the cancelled election took is released");
        var started = DateTime.UtcNow;
        Assert.Equal("b", await Bounded.Wait(b.DoAsync(7, _ => new ValueTask<string>("b"))));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "B waited for the lease");
        Assert.Equal(0, ranInA);
    }
}
