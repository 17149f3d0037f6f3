using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace SingleFlight.Web.Tests;

/// <summary>
/// A leader starts a flight, ten callers from other clients join it, and the leader goes away (its client disconnects,
/// or its scope is disposed) before the work ends. On the leader's scoped dependencies the joiners fail; on the
/// flight's own scope (<c>[FromFlightScope]</c>) every joiner is served, the work runs once, and the flight's
/// DbContext is disposed once, after the work, and is never one that a request holds.
/// </summary>
public sealed class FlightScopeTests
{
    private const int Joiners = 10;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    public static TheoryData<ContextRegistration> Registrations => new(ContextRegistration.AddDbContext, ContextRegistration.AddDbContextPool);

    // ---- on the leader's resources: reproduced failures -----------------------------------------------------

    [Theory]
    [MemberData(nameof(Registrations))]
    public async Task The_leaders_DbContext_fails_every_joiner_when_the_leader_disconnects(ContextRegistration registration)
    {
        await using var app = await WebApp.StartAsync(registration, static s => s.AddScoped<IUserSource, LeaderDbRepository>());

        var joiners = await LeaderDisconnectsAsync(app);

        Assert.All(joiners, static r => Assert.Equal((HttpStatusCode.InternalServerError, typeof(ObjectDisposedException).FullName), r));
        Assert.Equal(1, Recorder.Executions);
    }

    [Fact]
    public async Task A_second_query_on_the_leaders_DbContext_fails_every_joiner()
    {
        await using var app = await WebApp.StartAsync(ContextRegistration.AddDbContext, static s => s.AddScoped<IUserSource, LeaderDbTwoQueriesRepository>());

        var joiners = await LeaderDisconnectsAsync(app);

        Assert.All(joiners, static r => Assert.Equal((HttpStatusCode.InternalServerError, typeof(ObjectDisposedException).FullName), r));
        Assert.Equal(1, Recorder.Executions);
    }

    [Fact]
    public async Task A_pooled_leader_DbContext_runs_the_flights_query_on_the_lease_of_an_unrelated_request()
    {
        await using var app = await WebApp.StartAsync(ContextRegistration.AddDbContextPool, static s => s.AddScoped<IUserSource, LeaderDbRepository>());

        var (joiners, otherLease, otherTracked) = await LeaderDisconnectsWhileAnotherRequestHoldsAContextAsync(app);

        // Every joiner is served, but on a DbContext that the pool handed to another request meanwhile: the flight's
        // query ran in that request's lease, and its entity sits in that request's change tracker.
        Assert.All(joiners, static r => Assert.Equal((HttpStatusCode.OK, "Ada"), r));
        Assert.Equal(otherLease, Recorder.Uses.Last().Id);
        Assert.Equal("1", otherTracked);
    }

    [Fact]
    public async Task The_leaders_scoped_HttpClient_cancels_the_work_for_joiners_that_never_cancelled()
    {
        await using var app = await WebApp.StartAsync(ContextRegistration.AddDbContext, static s => s.AddScoped<IUserSource, LeaderHttpRepository>());

        var joiners = await LeaderDisconnectsAsync(app);

        Assert.All(joiners, static r => Assert.Equal((HttpStatusCode.InternalServerError, typeof(TaskCanceledException).FullName), r));
    }

    [Fact]
    public async Task A_leader_scope_made_by_hand_and_disposed_mid_flight_fails_every_joiner()
    {
        await using var app = await WebApp.StartAsync(ContextRegistration.AddDbContext, static s => s.AddScoped<IUserSource, LeaderDbRepository>());

        var outcomes = await LeaderScopeDisposedAsync(app);

        Assert.All(outcomes, static o => Assert.IsType<ObjectDisposedException>(o.Error));
        Assert.Equal(1, Recorder.Executions);
    }

    [Fact]
    public async Task A_blocking_core_on_the_leaders_DbContext_fails_when_the_leaders_scope_is_disposed()
    {
        await using var app = await WebApp.StartAsync(ContextRegistration.AddDbContext, static s => s.AddScoped<LeaderBlockingUserRepository>());

        var outcomes = await BlockingLeaderScopeDisposedAsync(app, static sp => sp.GetRequiredService<LeaderBlockingUserRepository>().GetUser(1));

        Assert.All(outcomes, static o => Assert.IsType<ObjectDisposedException>(o.Error));
        Assert.Equal(1, Recorder.Executions);
    }

    // ---- on the flight's own scope: the documented shape -------------------------------------------------------

    [Theory]
    [MemberData(nameof(Registrations))]
    public async Task The_flights_DbContext_serves_every_joiner_when_the_leader_disconnects(ContextRegistration registration)
    {
        await using var app = await WebApp.StartAsync(registration, static s => s.AddScoped<IUserSource, FlightDbRepository>());

        var joiners = await LeaderDisconnectsAsync(app);

        Assert.All(joiners, static r => Assert.Equal((HttpStatusCode.OK, "Ada"), r));
        Assert.Equal(1, Recorder.Executions);
        AssertOneFlightContext(registration);
    }

    [Fact]
    public async Task A_second_query_on_the_flights_DbContext_serves_every_joiner()
    {
        await using var app = await WebApp.StartAsync(ContextRegistration.AddDbContext, static s => s.AddScoped<IUserSource, FlightDbTwoQueriesRepository>());

        var joiners = await LeaderDisconnectsAsync(app);

        Assert.All(joiners, static r => Assert.Equal((HttpStatusCode.OK, "Ada"), r));
        Assert.Equal(1, Recorder.Executions);
        AssertOneFlightContext(ContextRegistration.AddDbContext);
    }

    [Fact]
    public async Task A_pooled_flight_DbContext_is_never_the_lease_of_a_request()
    {
        await using var app = await WebApp.StartAsync(ContextRegistration.AddDbContextPool, static s => s.AddScoped<IUserSource, FlightDbRepository>());

        var (joiners, otherLease, otherTracked) = await LeaderDisconnectsWhileAnotherRequestHoldsAContextAsync(app);

        Assert.All(joiners, static r => Assert.Equal((HttpStatusCode.OK, "Ada"), r));
        Assert.All(Recorder.Uses, u => Assert.NotEqual(otherLease, u.Id));
        Assert.Equal("0", otherTracked);
        Assert.Equal(1, Recorder.Executions);
        AssertOneFlightContext(ContextRegistration.AddDbContextPool);
    }

    [Fact]
    public async Task The_flights_scoped_HttpClient_serves_every_joiner_when_the_leader_disconnects()
    {
        await using var app = await WebApp.StartAsync(ContextRegistration.AddDbContext, static s => s.AddScoped<IUserSource, FlightHttpRepository>());

        var joiners = await LeaderDisconnectsAsync(app);

        Assert.All(joiners, static r => Assert.Equal((HttpStatusCode.OK, "Ada"), r));
        Assert.Equal(1, Recorder.Executions);
    }

    [Fact]
    public async Task A_flight_scope_serves_every_joiner_when_a_leader_scope_made_by_hand_is_disposed_mid_flight()
    {
        await using var app = await WebApp.StartAsync(ContextRegistration.AddDbContext, static s => s.AddScoped<IUserSource, FlightDbRepository>());

        var outcomes = await LeaderScopeDisposedAsync(app);

        Assert.All(outcomes, static o => Assert.Equal("Ada", o.Name));
        Assert.Equal(1, Recorder.Executions);
        AssertOneFlightContext(ContextRegistration.AddDbContext);
    }

    [Fact]
    public async Task A_blocking_core_on_the_flights_DbContext_serves_the_leader_and_every_joiner()
    {
        await using var app = await WebApp.StartAsync(ContextRegistration.AddDbContext, static s => s.AddScoped<BlockingUserRepository>());

        var outcomes = await BlockingLeaderScopeDisposedAsync(app, static sp => sp.GetRequiredService<BlockingUserRepository>().GetUser(1));

        Assert.Equal(Joiners + 1, outcomes.Length);
        Assert.All(outcomes, static o => Assert.Equal("Ada", o.Name));
        Assert.Equal(1, Recorder.Executions);
        AssertOneFlightContext(ContextRegistration.AddDbContext);
    }

    [Fact]
    public async Task A_missing_registration_fails_the_flight_with_the_containers_error()
    {
        // NotRegistered is not in the container: the flight asks its own scope for it.
        await using var app = await WebApp.StartAsync(ContextRegistration.AddDbContext, static s => s.AddScoped<MissingServiceRepository>());
        await using var scope = app.Services.CreateAsyncScope();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => scope.ServiceProvider.GetRequiredService<MissingServiceRepository>().GetAsync(1).WaitAsync(s_timeout));

        Assert.Contains(nameof(NotRegistered), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_null_scope_factory_fails_the_flight_with_a_message_that_names_it()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new FlightDbRepository(null!).GetUserAsync(1).WaitAsync(s_timeout));

        Assert.Equal("[SingleFlight] GetUserAsync cannot create the scope of its flight: its IServiceScopeFactory ('scopes') is null.", error.Message);
    }

    // ---- scenarios ---------------------------------------------------------------------------------------------

    /// <summary>
    /// The leader's request starts the flight; <see cref="Joiners"/> requests from other clients join it; the leader's
    /// client disconnects and its request scope is disposed; only then may the work go on. Returns what each joiner got.
    /// </summary>
    private static async Task<(HttpStatusCode Status, string Body)[]> LeaderDisconnectsAsync(WebApp app)
        => await LeaderDisconnectsAsync(app, static () => Task.CompletedTask);

    /// <summary>
    /// As <see cref="LeaderDisconnectsAsync(WebApp)"/>, but once the leader's scope is gone an unrelated request leases a
    /// DbContext and holds it while the work runs. Returns the joiners' results, that request's lease and how many
    /// users its change tracker held at its end.
    /// </summary>
    private static async Task<((HttpStatusCode Status, string Body)[] Joiners, Microsoft.EntityFrameworkCore.DbContextId OtherLease, string OtherTracked)>
        LeaderDisconnectsWhileAnotherRequestHoldsAContextAsync(WebApp app)
    {
        using var otherClient = app.NewClient();
        Task<(HttpStatusCode Status, string Body)>? other = null;
        var otherLease = default(Microsoft.EntityFrameworkCore.DbContextId);
        var joiners = await LeaderDisconnectsAsync(app, async () =>
        {
            other = ReadAsync(otherClient.GetAsync("/other"));
            otherLease = await Recorder.OtherLeased.WaitAsync(s_timeout);
        });

        Recorder.ReleaseOther();
        var (status, tracked) = await other!.WaitAsync(s_timeout);
        Assert.Equal(HttpStatusCode.OK, status);
        return (joiners, otherLease, tracked);
    }

    /// <summary>
    /// The scenario both of the above run: <paramref name="whileTheLeaderIsGone"/> happens after the leader's scope is
    /// disposed and before the work may go on.
    /// </summary>
    private static async Task<(HttpStatusCode Status, string Body)[]> LeaderDisconnectsAsync(WebApp app, Func<Task> whileTheLeaderIsGone)
    {
        using var leaderClient = app.NewClient();
        using var leaderGone = new CancellationTokenSource();
        var leader = leaderClient.GetAsync("/users/1", leaderGone.Token);
        await Recorder.WorkStartedTask.WaitAsync(s_timeout);

        var clients = Enumerable.Range(0, Joiners).Select(_ => app.NewClient()).ToArray();
        try
        {
            var joiners = clients.Select(static c => ReadAsync(c.GetAsync("/users/1"))).ToArray();
            await Recorder.JoinsAsync(Joiners).WaitAsync(s_timeout);

            leaderGone.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leader);
            await Recorder.FirstScopeDisposed.WaitAsync(s_timeout);

            await whileTheLeaderIsGone();
            Recorder.ReleaseWork();
            return await Task.WhenAll(joiners).WaitAsync(s_timeout);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>
    /// No HTTP: each caller has a scope made by hand. The leader starts the flight, the joiners join it, the leader
    /// cancels and its scope is disposed mid-flight, then the work goes on. Returns each joiner's outcome.
    /// </summary>
    private static async Task<(string? Name, Exception? Error)[]> LeaderScopeDisposedAsync(WebApp app)
    {
        var factory = app.Services.GetRequiredService<IServiceScopeFactory>();
        var leaderScope = factory.CreateAsyncScope();
        using var leaderGone = new CancellationTokenSource();
        var leader = leaderScope.ServiceProvider.GetRequiredService<IUserSource>().GetUserAsync(1, leaderGone.Token);
        await Recorder.WorkStartedTask.WaitAsync(s_timeout);

        // A joiner has joined once its call returns: the flight is found and joined synchronously.
        var scopes = Enumerable.Range(0, Joiners).Select(_ => factory.CreateAsyncScope()).ToArray();
        using var neverCancelled = new CancellationTokenSource();
        var joiners = scopes.Select(s => OutcomeAsync(s.ServiceProvider.GetRequiredService<IUserSource>().GetUserAsync(1, neverCancelled.Token))).ToArray();

        leaderGone.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leader);
        await leaderScope.DisposeAsync();

        Recorder.ReleaseWork();
        var outcomes = await Task.WhenAll(joiners).WaitAsync(s_timeout);
        foreach (var scope in scopes)
        {
            await scope.DisposeAsync();
        }

        return outcomes;
    }

    /// <summary>
    /// A blocking method: the leader's thread runs the work, <see cref="Joiners"/> threads block on the flight, and the
    /// leader's scope is disposed from another thread while the work runs. Returns every caller's outcome, leader first.
    /// </summary>
    private static async Task<(string? Name, Exception? Error)[]> BlockingLeaderScopeDisposedAsync(WebApp app, Func<IServiceProvider, User?> call)
    {
        var factory = app.Services.GetRequiredService<IServiceScopeFactory>();
        var leaderScope = factory.CreateScope();
        var leader = OnOwnThread(() => call(leaderScope.ServiceProvider));
        await Recorder.WorkStartedTask.WaitAsync(s_timeout);

        var scopes = Enumerable.Range(0, Joiners).Select(_ => factory.CreateScope()).ToArray();
        var joiners = scopes.Select(s => OnOwnThread(() =>
        {
            // The runtime starts a joiner's span under the caller's activity: that is how the test sees the join.
            using var caller = new Activity("caller").Start();
            return call(s.ServiceProvider);
        })).ToArray();
        await Recorder.JoinsAsync(Joiners).WaitAsync(s_timeout);

        leaderScope.Dispose();
        Recorder.ReleaseWork();
        var outcomes = await Task.WhenAll(joiners.Prepend(leader)).WaitAsync(s_timeout);
        foreach (var scope in scopes)
        {
            scope.Dispose();
        }

        return outcomes;
    }

    /// <summary>
    /// The work used one DbContext, of its own; with <c>AddDbContext</c> it was disposed exactly once, after the work's
    /// last use of it.
    /// </summary>
    private static void AssertOneFlightContext(ContextRegistration registration)
    {
        var uses = Recorder.Uses;
        Assert.NotEmpty(uses);
        var context = uses[0].Context;
        Assert.All(uses, u => Assert.Same(context, u.Context));
        Assert.All(uses, u => Assert.Equal(uses[0].Id, u.Id));
        if (registration == ContextRegistration.AddDbContext)
        {
            var disposal = Assert.Single(Recorder.Disposals, d => ReferenceEquals(d.Context, context));
            Assert.True(disposal.Sequence > uses[^1].Sequence, "the flight's DbContext was disposed before the work's last use of it");
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> ReadAsync(Task<HttpResponseMessage> request)
    {
        using var response = await request;
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<(string? Name, Exception? Error)> OutcomeAsync(Task<User?> call)
    {
        try
        {
            return ((await call)?.Name, null);
        }
        catch (Exception ex)
        {
            return (null, ex);
        }
    }

    private static Task<(string? Name, Exception? Error)> OnOwnThread(Func<User?> call)
        => Task.Factory.StartNew(
            () =>
            {
                try
                {
                    return (call()?.Name, (Exception?)null);
                }
                catch (Exception ex)
                {
                    return (null, ex);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
}

public sealed class NotRegistered;

/// <summary>A flight whose scope lacks the service its core asks for.</summary>
public sealed partial class MissingServiceRepository(IServiceScopeFactory scopes)
{
    [SingleFlight]
    public partial Task<int> GetAsync(int id);

    private static Task<int> GetCoreAsync(int id, [FromFlightScope] NotRegistered service) => Task.FromResult(id);
}
