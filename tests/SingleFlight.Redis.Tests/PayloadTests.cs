using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace SingleFlight.Redis.Tests;

public sealed record Item(string Name, int Count);

/// <summary>Version 1 of a result type, as one process has it.</summary>
public sealed record ItemV1(string Name);

/// <summary>Version 2 of the same result type: the member was renamed.</summary>
public sealed record ItemV2(string Title);

/// <summary>A result that cannot be serialized once it points at itself.</summary>
public sealed class Node
{
    public string Name { get; set; } = string.Empty;

    public Node? Next { get; set; }
}

[JsonSerializable(typeof(Item))]
internal sealed partial class PayloadJson : JsonSerializerContext
{
}

/// <summary>
/// What crosses Redis as a flight's outcome: followers take only values written for the result contract they expect,
/// and run the work themselves for anything else (docs/distributed.md, "Result payloads").
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class PayloadTests : IDisposable
{
    private readonly RedisServer _server;
    private readonly ITestOutputHelper _output;
    private readonly List<IDisposable> _owned = [];

    public PayloadTests(RedisFixture fixture, ITestOutputHelper output)
    {
        _server = fixture.Server;
        _output = output;
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private static string NewOperation() => "payload-" + Guid.NewGuid().ToString("N");

    private static DistributedSingleFlightOptions Fast(ILoggerFactory? log = null) => new()
    {
        LeaseDuration = TimeSpan.FromSeconds(30),
        PollInterval = TimeSpan.FromMilliseconds(100),
        RedisTimeout = TimeSpan.FromSeconds(2),
        WaitTimeout = TimeSpan.FromSeconds(60),
        LoggerFactory = log,
    };

    private ConnectionMultiplexer Connect()
    {
        var connection = _server.Connect();
        _owned.Add(connection);
        return connection;
    }

    private DistributedSingleFlightGroup<int, TValue> Group<TValue>(string operation, ILoggerFactory? log = null)
    {
        var group = new DistributedSingleFlightGroup<int, TValue>(Connect(), operation, jsonOptions: null, Fast(log));
        _owned.Add(group);
        return group;
    }

    private static string Stem(string operation, int key) => "singleflight:{o" + operation.Length + ":" + operation + DistributedKey.Encode(key) + "}:";

    /// <summary>
    /// A leader that is not one of this package's groups (another version, a corrupted write): it holds the key, and
    /// once the follower waits for it, writes <paramref name="payload"/> as its outcome and announces it.
    /// </summary>
    private async Task<T> FollowForeignLeader<T>(string operation, byte[] payload, Func<DistributedSingleFlightGroup<int, T>, Task<T>> follow)
    {
        var db = Connect().GetDatabase();
        var stem = Stem(operation, 1);
        const string Token = "foreign-leader";
        Assert.True(await db.StringSetAsync(stem + "lock", Token, TimeSpan.FromSeconds(30), When.NotExists));
        var follower = Group<T>(operation);
        var waitingFor = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        follower.WaitingHook = holder => waitingFor.TrySetResult(holder);

        var call = follow(follower);
        Assert.Equal(Token, await Bounded.Wait(waitingFor.Task));
        await db.StringSetAsync(stem + "result:" + Token, payload, TimeSpan.FromSeconds(10));
        await db.KeyDeleteAsync(stem + "lock");
        await db.PublishAsync(RedisChannel.Literal("singleflight:done:o" + operation.Length + ":" + operation), Token);
        return await Bounded.Wait(call);
    }

    [RedisTheory]
    [InlineData("V{}", "contract")]
    [InlineData("V{\"Name\":\"forged\",\"Count\":3}", "contract")]
    [InlineData("Vnull", "contract")]
    [InlineData("X{\"a\":1}", "unknown_payload")]
    [InlineData("", "unknown_payload")]
    [InlineData("E{not json", "unreadable_failure")]
    public async Task A_follower_runs_the_work_itself_for_a_payload_that_does_not_state_its_contract_or_is_of_an_unknown_kind(string payload, string reason)
    {
        var operation = NewOperation();
        using var metric = new RedisFlightsMetric(operation);
        var executions = 0;

        var result = await FollowForeignLeader<Item>(operation, Encoding.UTF8.GetBytes(payload), follower => follower.DoAsync(1, _ =>
        {
            Interlocked.Increment(ref executions);
            return new ValueTask<Item>(new Item("ran here", 1));
        }).AsTask());

        // Before: V{} gave Item(null, 0), Vnull gave null, and X... or an unreadable failure failed the caller.
        Assert.Equal(new Item("ran here", 1), result);
        Assert.Equal(1, executions);
        Assert.Contains(metric.All, m => m.Outcome == "local_fallback" && m.Reason == reason);
    }

    [RedisFact]
    public async Task A_follower_whose_result_type_renamed_a_member_runs_the_work_instead_of_reading_defaults()
    {
        var operation = NewOperation();
        using var metric = new RedisFlightsMetric(operation);
        var log = new RecordingLoggerFactory();
        var v1 = Group<ItemV1>(operation);
        var v2 = Group<ItemV2>(operation, log);
        var work = new GatedWork<ItemV1>();

        var leader = v1.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = v2.DoAsync(1, _ => new ValueTask<ItemV2>(new ItemV2("ran with v2"))).AsTask();
        await Bounded.Until(() => v2.RemoteWaiterCount == 1, "v2 waits for v1's flight");
        work.Gate.SetResult(new ItemV1("from v1"));

        Assert.Equal("from v1", (await Bounded.Wait(leader)).Name);

        // Before: ItemV2 { Title = null }, silently.
        Assert.Equal("ran with v2", (await Bounded.Wait(follower)).Title);
        Assert.Contains(metric.All, m => m.Outcome == "local_fallback" && m.Reason == "contract");
        var warning = Assert.Single(log.Entries);
        Assert.Equal((LogLevel.Warning, "ResultContractMismatch"), (warning.Level, warning.Event));
    }

    [RedisFact]
    public async Task Values_cross_with_their_contract_and_versions_before_it_cannot_mistake_them_for_their_own()
    {
        var operation = NewOperation();
        var a = Group<Item>(operation);
        var b = Group<Item>(operation);
        var work = new GatedWork<Item>();
        var holder = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.WaitingHook = h => holder.TrySetResult(h);

        var leader = a.DoAsync(1, work.RunAsync).AsTask();
        await Bounded.Wait(work.Started);
        var follower = b.DoAsync(1, _ => new ValueTask<Item>(new Item("B ran it", 0))).AsTask();
        var token = await Bounded.Wait(holder.Task);
        await Bounded.Until(() => b.RemoteWaiterCount == 1, "B waits for A's flight");
        work.Gate.SetResult(new Item("shared", 7));
        Assert.Equal(new Item("shared", 7), await Bounded.Wait(follower));
        await Bounded.Wait(leader);

        byte[] payload = (await Connect().GetDatabase().StringGetAsync(Stem(operation, 1) + "result:" + token))!;
        Assert.Equal((byte)'V', payload[0]);
        Assert.Equal((byte)'#', payload[1]);
        Assert.Equal(ResultContract.Fingerprint(PayloadJson.Default.Item), payload[2..18]);
        Assert.Equal(new Item("shared", 7), JsonSerializer.Deserialize(payload.AsSpan(18), PayloadJson.Default.Item));

        // A version before contracts read 'V' + JSON: here it fails to parse, and that version then runs the work
        // itself (its deserialize fallback) instead of failing its callers on a kind it does not know.
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(payload.AsSpan(1), PayloadJson.Default.Item));
    }

    [Fact]
    public void The_contract_fingerprint_is_the_same_for_reflection_and_source_generated_contracts_and_names_no_assembly()
    {
        var reflection = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<Item>)JsonSerializerOptions.Default.GetTypeInfo(typeof(Item));
        var description = ResultContract.Describe(PayloadJson.Default.Item);

        Assert.Equal(
            "sf-contract-1|SingleFlight.Redis.Tests.Item=Object{5:Count:System.Int32;4:Name:System.String;}|System.Int32=None|System.String=None",
            description);
        Assert.Equal(description, ResultContract.Describe(reflection));
        Assert.Equal(ResultContract.Fingerprint(PayloadJson.Default.Item), ResultContract.Fingerprint(reflection));
        Assert.Equal(
            "System.Collections.Generic.Dictionary`2[System.String,System.Collections.Generic.List`1[System.Int32[]]]",
            ResultContract.Name(typeof(Dictionary<string, List<int[]>>)));
        Assert.NotEqual(
            ResultContract.Fingerprint(JsonSerializerOptions.Default.GetTypeInfo(typeof(ItemV1))),
            ResultContract.Fingerprint(JsonSerializerOptions.Default.GetTypeInfo(typeof(ItemV2))));
        Assert.NotEqual(
            ResultContract.Fingerprint(JsonSerializerOptions.Default.GetTypeInfo(typeof(Item))),
            ResultContract.Fingerprint(new JsonSerializerOptions(JsonSerializerOptions.Default) { PropertyNamingPolicy = JsonNamingPolicy.CamelCase }.GetTypeInfo(typeof(Item))));
    }

    private static Node Cycle()
    {
        var node = new Node { Name = "loop" };
        node.Next = node;
        return node;
    }

    /// <summary>
    /// Before: the leader released the key without a result, the next process was elected and failed the same way, and
    /// so on: one execution after another. Now the leader tells every waiting process at once to run the work itself.
    /// </summary>
    [RedisFact]
    public async Task An_unserializable_result_makes_every_waiting_process_run_the_work_at_once_and_is_logged_once()
    {
        var operation = NewOperation();
        using var metric = new RedisFlightsMetric(operation);
        var logs = Enumerable.Range(0, 4).Select(_ => new RecordingLoggerFactory()).ToArray();
        var groups = logs.Select(log => Group<Node>(operation, log)).ToArray();
        var waitedFor = groups.Select(_ => new ConcurrentQueue<string>()).ToArray();
        for (var i = 0; i < groups.Length; i++)
        {
            var queue = waitedFor[i];
            groups[i].WaitingHook = queue.Enqueue;
        }

        for (var round = 0; round < 2; round++)
        {
            var leaderWork = new GatedWork<Node>();
            var followerGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var followerRuns = 0;
            async ValueTask<Node> FollowerWork(CancellationToken ct)
            {
                Interlocked.Increment(ref followerRuns);
                await followerGate.Task.WaitAsync(ct);
                return new Node { Name = "ran here" };
            }

            var leader = groups[0].DoAsync(round, leaderWork.RunAsync).AsTask();
            await Bounded.Wait(leaderWork.Started);
            var followers = groups.Skip(1).Select(g => g.DoAsync(round, FollowerWork).AsTask()).ToArray();
            await Bounded.Until(() => groups.Skip(1).All(g => g.RemoteWaiterCount == 1), "three processes wait for the leader");
            leaderWork.Gate.SetResult(Cycle());
            Assert.Equal("loop", (await Bounded.Wait(leader)).Name);

            // All three run the work at the same time: none waits for another (before: only one ran, the others
            // waited for it as their new leader).
            await Bounded.Until(() => Volatile.Read(ref followerRuns) == 3, "every waiting process runs the work");
            followerGate.SetResult();
            Assert.All(await Bounded.Wait(Task.WhenAll(followers)), n => Assert.Equal("ran here", n.Name));
            Assert.All(waitedFor.Skip(1), q => Assert.Equal(round + 1, q.Count));
        }

        Assert.Equal(6, metric.All.Count(m => m.Outcome == "local_fallback" && m.Reason == "not_shareable"));
        Assert.Equal(2, metric.All.Count(m => m.Outcome == "led" && m.Reason == "serialize:JsonException"));

        // The leader says so once (two flights, one warning); the followers log nothing: nothing is wrong with Redis.
        var warning = Assert.Single(logs[0].Entries);
        Assert.Equal((LogLevel.Warning, "ResultNotShareable"), (warning.Level, warning.Event));
        Assert.Contains(operation, warning.Message, StringComparison.Ordinal);
        Assert.All(logs.Skip(1), l => Assert.Empty(l.Entries));
    }

    /// <summary>
    /// The measurement of issue 15: four processes call at once, the work takes 1 s and its result cannot be
    /// serialized. Before: each process was elected in turn, so the last caller waited about 4 s. Now: about 2 s (the
    /// leader's work, then everybody else's at once).
    /// </summary>
    [RedisFact]
    public async Task With_an_unserializable_result_the_last_of_four_processes_waits_about_two_works_not_four()
    {
        var operation = NewOperation();
        var work = TimeSpan.FromSeconds(1);
        var groups = Enumerable.Range(0, 4).Select(_ => Group<Node>(operation)).ToArray();
        Assert.Equal("warm", (await Bounded.Wait(groups[0].DoAsync(-1, _ => new ValueTask<Node>(new Node { Name = "warm" })))).Name);

        using var go = new ManualResetEventSlim();
        var calls = groups.Select(g => Task.Run(async () =>
        {
            go.Wait();
            var clock = Stopwatch.StartNew();
            await g.DoAsync(1, async ct =>
            {
                await Task.Delay(work, ct);
                return Cycle();
            });
            return clock.Elapsed;
        })).ToArray();
        go.Set();
        var waits = await Bounded.Wait(Task.WhenAll(calls));

        _output.WriteLine("waits: " + string.Join(", ", waits.Select(w => w.TotalSeconds.ToString("F2") + " s")));
        Assert.True(waits.Max() < 3 * work, $"the last caller waited {waits.Max().TotalSeconds:F2} s");
    }
}
