using System.Collections.Concurrent;
using System.Diagnostics;

namespace SingleFlight.Redis.Tests;

/// <summary>
/// Real child processes (SingleFlight.Redis.TestHost) against one redis-server. Executions are counted as files the
/// work creates, which does not depend on the code under test.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class MultiProcessTests(RedisFixture fixture) : MultiProcessScenarios(fixture.Server.EndPoint)
{
}

/// <summary>
/// The multi-process scenarios, against the server (or cluster) at <paramref name="endpoint"/>: a connection string
/// the child processes connect with.
/// </summary>
public abstract class MultiProcessScenarios(string endpoint) : IDisposable
{
    private const int Processes = 3;
    private const int CallersPerProcess = 8;

    private readonly string _endpoint = endpoint;
    private readonly string _directory = Directory.CreateTempSubdirectory("singleflight-redis-").FullName;
    private readonly List<Child> _children = [];

    public void Dispose()
    {
        foreach (var child in _children)
        {
            child.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    /// <param name="mode">"group": a DistributedSingleFlightGroup made by hand; "generated": the code the generator
    /// writes for a [SingleFlight(Distributed = true)] method, built by MSBuild, with DistributedSingleFlight.Default set.</param>
    [RedisTheory]
    [InlineData("group")]
    [InlineData("generated")]
    public async Task Concurrent_calls_from_several_processes_run_the_work_once_in_total(string mode)
    {
        var operation = "multi-" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < Processes; i++)
        {
            _children.Add(Child.Start(_endpoint, operation, _directory, CallersPerProcess, leaseMs: 10_000, mode));
        }

        await Task.WhenAll(_children.Select(c => c.InFlight)).WaitAsync(Bounded.Timeout);
        File.WriteAllText(Path.Combine(_directory, "go"), string.Empty);

        foreach (var child in _children)
        {
            Assert.Equal(0, await child.Exited.WaitAsync(Bounded.Timeout));
            Assert.Equal(Enumerable.Repeat("result value", CallersPerProcess), child.Results);
        }

        Assert.Single(Executions());
    }

    [RedisFact]
    public async Task When_the_leader_process_is_killed_another_process_completes_the_flight_after_the_lease()
    {
        var operation = "multi-" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < Processes; i++)
        {
            _children.Add(Child.Start(_endpoint, operation, _directory, CallersPerProcess, leaseMs: 5_000));
        }

        await Task.WhenAll(_children.Select(c => c.InFlight)).WaitAsync(Bounded.Timeout);
        var first = Assert.Single(Executions());
        var leaderPid = int.Parse(first.Split('-')[1], System.Globalization.CultureInfo.InvariantCulture);
        var leader = Assert.Single(_children, c => c.Pid == leaderPid);
        leader.Kill();

        // Open the gate only once the takeover runs and the other survivor waits for it (its second leader):
        // otherwise a takeover that finished at once could end before the other survivor re-elects, which then
        // rightly runs the work again (no caching).
        await Bounded.Until(() => Executions().Count == 2, "a survivor takes over");
        var takeover = Executions().Single(e => e != first);
        var takeoverPid = int.Parse(takeover.Split('-')[1], System.Globalization.CultureInfo.InvariantCulture);
        var other = Assert.Single(_children, c => c != leader && c.Pid != takeoverPid);
        await Bounded.Until(() => other.LeadersWaitedFor.Distinct().Count() == 2, "the other survivor waits for the takeover");
        File.WriteAllText(Path.Combine(_directory, "go"), string.Empty);

        foreach (var child in _children.Where(c => c != leader))
        {
            Assert.Equal(0, await child.Exited.WaitAsync(Bounded.Timeout));
            Assert.Equal(Enumerable.Repeat("result value", CallersPerProcess), child.Results);
        }

        // The killed leader's execution and exactly one takeover, in one of the survivors.
        var executions = Executions();
        Assert.Equal(2, executions.Count);
        Assert.Single(executions, e => !e.Contains($"-{leaderPid}-", StringComparison.Ordinal));
    }

    private List<string> Executions()
        => Directory.GetFiles(_directory, "exec-*").Select(Path.GetFileName).ToList()!;

    private sealed class Child : IDisposable
    {
        private readonly Process _process;
        private readonly TaskCompletionSource _inFlight = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<string> _results = new();
        private readonly ConcurrentQueue<string> _waitedFor = new();
        private readonly ConcurrentQueue<string> _errors = new();

        private Child(Process process)
        {
            _process = process;
        }

        public int Pid => _process.Id;

        public Task InFlight => _inFlight.Task;

        public Task<int> Exited => _exited.Task;

        public IReadOnlyList<string> Results => _results.ToArray();

        public IReadOnlyList<string> LeadersWaitedFor => _waitedFor.ToArray();

        public static Child Start(string endpoint, string operation, string directory, int callers, int leaseMs, string mode = "group")
        {
            var host = Path.Combine(AppContext.BaseDirectory, "SingleFlight.Redis.TestHost.dll");
            var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[] { host, endpoint, operation, directory, callers.ToString(), leaseMs.ToString(), mode })
            {
                info.ArgumentList.Add(argument);
            }

            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            var child = new Child(process);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data == "in-flight")
                {
                    child._inFlight.TrySetResult();
                }
                else if (e.Data is { } line && line.StartsWith("result ", StringComparison.Ordinal))
                {
                    child._results.Enqueue(line);
                }
                else if (e.Data is { } waiting && waiting.StartsWith("waiting ", StringComparison.Ordinal))
                {
                    child._waitedFor.Enqueue(waiting["waiting ".Length..]);
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    child._errors.Enqueue(e.Data);
                }
            };
            process.Exited += (_, _) =>
            {
                // Exited can fire before the last output line is read; WaitForExit() drains the streams.
                process.WaitForExit();
                child._inFlight.TrySetException(new InvalidOperationException("the child exited: " + string.Join("\n", child._errors)));
                child._exited.TrySetResult(process.ExitCode);
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return child;
        }

        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    Kill();
                }
            }
            catch (InvalidOperationException)
            {
                // Never started.
            }

            _process.Dispose();
        }
    }
}
