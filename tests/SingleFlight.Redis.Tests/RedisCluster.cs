using System.Diagnostics;
using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// A real Redis Cluster on free loopback ports, owned by the test run: three primaries with one replica each
/// (<c>redis-server --cluster-enabled yes</c>, joined with <c>redis-cli --cluster create --cluster-replicas 1</c>).
/// Administration (slot migration, failover) goes through <c>redis-cli</c>, one command per call.
/// </summary>
internal sealed class RedisCluster : IDisposable
{
    /// <summary>How long the cluster may take to agree again after a change (creation, failover, migration).</summary>
    public static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(30);

    private readonly string _directory;
    private readonly string _cli;

    private RedisCluster(string directory, string cli, IReadOnlyList<RedisServer> nodes)
    {
        _directory = directory;
        _cli = cli;
        Nodes = nodes;
    }

    public IReadOnlyList<RedisServer> Nodes { get; }

    /// <summary>The node timeout the nodes run with: a primary unreachable for this long is failed over.</summary>
    public static TimeSpan NodeTimeout => TimeSpan.FromMilliseconds(1000);

    public static RedisCluster Start(int primaries = 3, int replicasPerPrimary = 1)
    {
        var binary = RedisServer.FindBinary() ?? throw new InvalidOperationException(
            "No redis-server binary (looked at $REDIS_SERVER, /usr/bin/redis-server and PATH). Install the Debian package redis-server.");
        var cli = Path.Combine(Path.GetDirectoryName(binary)!, "redis-cli");
        if (!File.Exists(cli))
        {
            throw new InvalidOperationException($"No redis-cli next to {binary}: the Debian package redis-server provides both (redis-tools).");
        }

        var directory = Directory.CreateTempSubdirectory("singleflight-cluster-").FullName;
        var nodes = new List<RedisServer>();
        try
        {
            for (var i = 0; i < primaries * (1 + replicasPerPrimary); i++)
            {
                var port = RedisServer.FreePort();
                var dir = Path.Combine(directory, port.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(dir);
                nodes.Add(RedisServer.Start(port,
                [
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", Path.Combine(dir, "nodes.conf"),
                    "--cluster-node-timeout", ((int)NodeTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                    // Any replica may be promoted, however long ago it last heard its primary: a test kills primaries on purpose.
                    "--cluster-replica-validity-factor", "0",
                    "--dir", dir,
                ]));
            }

            var cluster = new RedisCluster(directory, cli, nodes);
            var create = new List<string> { "--cluster", "create" };
            create.AddRange(nodes.Select(n => n.EndPoint));
            create.AddRange(["--cluster-replicas", replicasPerPrimary.ToString(CultureInfo.InvariantCulture), "--cluster-yes"]);
            var (code, output) = cluster.RunCli(TimeSpan.FromSeconds(60), create.ToArray());
            if (code != 0)
            {
                throw new InvalidOperationException($"redis-cli --cluster create failed ({code}):\n{output}");
            }

            cluster.WaitUntilHealthy();
            return cluster;
        }
        catch
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }

            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var node in Nodes)
        {
            node.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A cluster connection that knows every node, as an app would configure it.</summary>
    public ConnectionMultiplexer Connect()
        => ConnectionMultiplexer.Connect(TestConnection.Options(Nodes.Select(n => n.Port).ToArray()));

    /// <summary>The endpoint list of every node, as a connection string (for child processes).</summary>
    public string ConnectionString => string.Join(",", Nodes.Select(n => n.EndPoint));

    /// <summary>The cluster's hash slot of <paramref name="key"/>, asked of a running node (CLUSTER KEYSLOT).</summary>
    public int KeySlot(string key)
        => int.Parse(Cli(AnyRunning(), "CLUSTER", "KEYSLOT", key), CultureInfo.InvariantCulture);

    /// <summary>The view of a running node: every node's id, port, role, primary and slots.</summary>
    public IReadOnlyList<NodeInfo> Topology(RedisServer? askedNode = null)
    {
        var lines = Cli(askedNode ?? AnyRunning(), "CLUSTER", "NODES").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var result = new List<NodeInfo>();
        foreach (var line in lines)
        {
            var parts = line.Trim().Split(' ');
            var port = int.Parse(parts[1].Split('@')[0].Split(':')[1], CultureInfo.InvariantCulture);
            var flags = parts[2].Split(',');
            var slots = new List<(int, int)>();
            foreach (var range in parts.Skip(8))
            {
                if (range.StartsWith('['))
                {
                    continue; // a migration under way: [slot->-id] or [slot-<-id]
                }

                var bounds = range.Split('-');
                var from = int.Parse(bounds[0], CultureInfo.InvariantCulture);
                slots.Add((from, bounds.Length > 1 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : from));
            }

            result.Add(new NodeInfo(
                parts[0],
                Nodes.Single(n => n.Port == port),
                flags.Contains("master"),
                flags.Contains("fail") || flags.Contains("fail?"),
                parts[3] == "-" ? null : parts[3],
                slots));
        }

        return result;
    }

    /// <summary>The primary that serves <paramref name="slot"/> now.</summary>
    public NodeInfo PrimaryOf(int slot)
        => TryPrimaryOf(slot) ?? throw new InvalidOperationException($"No primary serves slot {slot}.");

    /// <summary>The primary that serves <paramref name="slot"/> now; null while none does (a failover under way).</summary>
    public NodeInfo? TryPrimaryOf(int slot)
        => Topology().SingleOrDefault(n => n.IsPrimary && !n.Failed && n.Slots.Any(r => r.From <= slot && slot <= r.To));

    /// <summary>A replica of <paramref name="primary"/> whose link to it is up.</summary>
    public NodeInfo ReplicaOf(NodeInfo primary)
        => Topology().First(n => !n.IsPrimary && n.PrimaryId == primary.Id && n.Server.IsRunning);

    /// <summary>
    /// Moves <paramref name="slot"/> to <paramref name="target"/> as <c>redis-cli --cluster reshard</c> does it: mark
    /// the slot importing and migrating, then <c>MIGRATE</c> its keys, then assign it. <paramref name="midway"/> runs
    /// after the first batch of keys moved (<paramref name="firstBatch"/> of them), while the slot is split across both
    /// primaries: the window in which clients get <c>ASK</c> and <c>TRYAGAIN</c>.
    /// </summary>
    public void MigrateSlot(int slot, NodeInfo target, Action? midway = null, int firstBatch = 1)
    {
        var source = PrimaryOf(slot);
        if (source.Id == target.Id)
        {
            throw new InvalidOperationException($"slot {slot} is already served by {target.Server.EndPoint}");
        }

        var s = slot.ToString(CultureInfo.InvariantCulture);
        Cli(target.Server, "CLUSTER", "SETSLOT", s, "IMPORTING", source.Id);
        Cli(source.Server, "CLUSTER", "SETSLOT", s, "MIGRATING", target.Id);
        var batch = firstBatch;
        var first = true;
        while (true)
        {
            var keys = Cli(source.Server, "CLUSTER", "GETKEYSINSLOT", s, batch.ToString(CultureInfo.InvariantCulture))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (keys.Length > 0)
            {
                var migrate = new List<string> { "MIGRATE", "127.0.0.1", target.Server.Port.ToString(CultureInfo.InvariantCulture), "", "0", "5000", "KEYS" };
                migrate.AddRange(keys);
                Cli(source.Server, migrate.ToArray());
            }

            if (first)
            {
                first = false;
                midway?.Invoke();
                batch = 100;
                continue;
            }

            if (keys.Length == 0)
            {
                break;
            }
        }

        // The order redis-cli uses: the target first, then the source, then every other primary.
        Cli(target.Server, "CLUSTER", "SETSLOT", s, "NODE", target.Id);
        Cli(source.Server, "CLUSTER", "SETSLOT", s, "NODE", target.Id);
        foreach (var other in Topology().Where(n => n.IsPrimary && n.Id != source.Id && n.Id != target.Id && n.Server.IsRunning))
        {
            Cli(other.Server, "CLUSTER", "SETSLOT", s, "NODE", target.Id);
        }
    }

    /// <summary>How often <paramref name="node"/> has replied with the error <paramref name="prefix"/> (INFO errorstats).</summary>
    public long ErrorCount(RedisServer node, string prefix)
    {
        foreach (var line in Cli(node, "INFO", "errorstats").Split('\n'))
        {
            if (line.StartsWith("errorstat_" + prefix + ":count=", StringComparison.Ordinal))
            {
                return long.Parse(line.Trim().Split('=')[1], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>
    /// Waits until every running node reports <c>cluster_state:ok</c> with all 16384 slots served, every node agrees on
    /// who serves which slot (<c>redis-cli --cluster check</c>), and every running replica's link to its primary is up.
    /// </summary>
    public void WaitUntilHealthy(TimeSpan? bound = null)
    {
        var deadline = DateTime.UtcNow + (bound ?? SettleTimeout);
        string last = string.Empty;
        while (true)
        {
            if (IsHealthy(out last))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The cluster did not become healthy: " + last);
            }

            Thread.Sleep(50);
        }
    }

    private bool IsHealthy(out string why)
    {
        var running = Nodes.Where(n => n.IsRunning).ToList();
        foreach (var node in running)
        {
            var info = Cli(node, "CLUSTER", "INFO");
            if (!info.Contains("cluster_state:ok", StringComparison.Ordinal) || !info.Contains("cluster_slots_ok:16384", StringComparison.Ordinal))
            {
                why = node.EndPoint + ": " + info.Replace('\n', ' ');
                return false;
            }

            var replication = Cli(node, "INFO", "replication");
            if (replication.Contains("role:slave", StringComparison.Ordinal) && !replication.Contains("master_link_status:up", StringComparison.Ordinal))
            {
                why = node.EndPoint + ": replica link down";
                return false;
            }
        }

        var (code, output) = RunCli(TimeSpan.FromSeconds(10), "--cluster", "check", running[0].EndPoint);
        if (code != 0 || !output.Contains("All nodes agree about slots configuration", StringComparison.Ordinal)
            || !output.Contains("All 16384 slots covered", StringComparison.Ordinal) || output.Contains("[WARNING]", StringComparison.Ordinal))
        {
            why = "redis-cli --cluster check: " + output;
            return false;
        }

        why = string.Empty;
        return true;
    }

    private RedisServer AnyRunning() => Nodes.First(n => n.IsRunning);

    /// <summary>One command on one node through redis-cli; its reply as text. Throws on an error reply.</summary>
    public string Cli(RedisServer node, params string[] command)
    {
        var arguments = new List<string> { "-h", "127.0.0.1", "-p", node.Port.ToString(CultureInfo.InvariantCulture) };
        arguments.AddRange(command);
        var (code, output) = RunCli(TimeSpan.FromSeconds(10), arguments.ToArray());
        if (code != 0 || output.StartsWith("ERR", StringComparison.Ordinal) || output.StartsWith("(error)", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"redis-cli {string.Join(' ', arguments)} failed ({code}): {output}");
        }

        return output.Trim();
    }

    private (int Code, string Output) RunCli(TimeSpan timeout, params string[] arguments)
    {
        var info = new ProcessStartInfo(_cli)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"redis-cli {string.Join(' ', arguments)} did not finish within {timeout}.");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public sealed record NodeInfo(string Id, RedisServer Server, bool IsPrimary, bool Failed, string? PrimaryId, IReadOnlyList<(int From, int To)> Slots);
}

/// <summary>One cluster for the whole cluster collection.</summary>
public sealed class RedisClusterFixture : IDisposable
{
    private readonly RedisCluster _cluster = RedisCluster.Start();

    internal RedisCluster Cluster => _cluster;

    public void Dispose() => _cluster.Dispose();
}

[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "redis-cluster";
}
