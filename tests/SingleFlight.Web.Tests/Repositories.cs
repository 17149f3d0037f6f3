using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SingleFlight;

namespace SingleFlight.Web.Tests;

public sealed class User
{
    public int Id { get; set; }

    public string Name { get; set; } = "";
}

/// <summary>The app's EF Core context; it tells <see cref="Recorder"/> when it is disposed.</summary>
public sealed class AppDb(DbContextOptions<AppDb> options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();

    public override void Dispose()
    {
        Recorder.ContextDisposed(this);
        base.Dispose();
    }

    public override ValueTask DisposeAsync()
    {
        Recorder.ContextDisposed(this);
        return base.DisposeAsync();
    }
}

/// <summary>What the endpoints call: one implementation per shape under test.</summary>
public interface IUserSource
{
    Task<User?> GetUserAsync(int id, CancellationToken cancellationToken = default);
}

// ---- the shapes that fail: the work runs on the leader's scoped dependencies -------------------------------------

// These exist to reproduce the failure that SF0012 warns about (the core of a shared flight uses a disposable of the
// leader's instance), so the warning is expected here and suppressed for them only. The safe shapes below, and the
// rest of this project (warnings as errors), are built without the suppression.
#pragma warning disable SF0012

/// <summary>README.md's shape before flights owned their resources: the core uses the leader's DbContext.</summary>
public sealed partial class LeaderDbRepository(AppDb db) : IUserSource
{
    [SingleFlight(KeyFrom = "id")]
    public partial Task<User?> GetUserAsync(int id, CancellationToken cancellationToken = default);

    private async Task<User?> GetUserCoreAsync(int id, CancellationToken cancellationToken)
    {
        await Recorder.WorkStartedAsync(cancellationToken);
        var user = await db.Users.FindAsync([id], cancellationToken);
        Recorder.WorkUsed(db);
        return user;
    }
}

/// <summary>A query, then the wait, then a second query, on the leader's DbContext.</summary>
public sealed partial class LeaderDbTwoQueriesRepository(AppDb db) : IUserSource
{
    [SingleFlight(KeyFrom = "id")]
    public partial Task<User?> GetUserAsync(int id, CancellationToken cancellationToken = default);

    private async Task<User?> GetUserCoreAsync(int id, CancellationToken cancellationToken)
    {
        _ = await db.Users.CountAsync(cancellationToken);
        await Recorder.WorkStartedAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, cancellationToken);
        Recorder.WorkUsed(db);
        return user;
    }
}

/// <summary>A scoped HttpClient (disposed with the leader's request) calls the backend.</summary>
public sealed partial class LeaderHttpRepository(HttpClient http) : IUserSource
{
    [SingleFlight(KeyFrom = "id")]
    public partial Task<User?> GetUserAsync(int id, CancellationToken cancellationToken = default);

    private async Task<User?> GetUserCoreAsync(int id, CancellationToken cancellationToken)
        => new User { Id = id, Name = await http.GetStringAsync("/backend/" + id, cancellationToken) };
}

#pragma warning restore SF0012

// ---- the documented shape: the flight owns a scope -------------------------------------------------------------

/// <summary>README.md's shape: the flight's DbContext comes from a scope the flight owns.</summary>
public sealed partial class FlightDbRepository(IServiceScopeFactory scopes) : IUserSource
{
    [SingleFlight(KeyFrom = "id")]
    public partial Task<User?> GetUserAsync(int id, CancellationToken cancellationToken = default);

    private static async Task<User?> GetUserCoreAsync(int id, [FromFlightScope] AppDb db, CancellationToken cancellationToken)
    {
        Recorder.WorkUsed(db);
        await Recorder.WorkStartedAsync(cancellationToken);
        var user = await db.Users.FindAsync([id], cancellationToken);
        Recorder.WorkUsed(db);
        return user;
    }
}

/// <summary>Query, wait, query, on the flight's own DbContext.</summary>
public sealed partial class FlightDbTwoQueriesRepository(IServiceScopeFactory scopes) : IUserSource
{
    [SingleFlight(KeyFrom = "id")]
    public partial Task<User?> GetUserAsync(int id, CancellationToken cancellationToken = default);

    private static async Task<User?> GetUserCoreAsync(int id, [FromFlightScope] AppDb db, CancellationToken cancellationToken)
    {
        _ = await db.Users.CountAsync(cancellationToken);
        Recorder.WorkUsed(db);
        await Recorder.WorkStartedAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, cancellationToken);
        Recorder.WorkUsed(db);
        return user;
    }
}

/// <summary>The flight's own scoped HttpClient.</summary>
public sealed partial class FlightHttpRepository(IServiceScopeFactory scopes) : IUserSource
{
    [SingleFlight(KeyFrom = "id")]
    public partial Task<User?> GetUserAsync(int id, CancellationToken cancellationToken = default);

    private static async Task<User?> GetUserCoreAsync(int id, [FromFlightScope] HttpClient http, CancellationToken cancellationToken)
        => new User { Id = id, Name = await http.GetStringAsync("/backend/" + id, cancellationToken) };
}

/// <summary>A blocking method: joiners block their threads; the flight still owns its DbContext.</summary>
public sealed partial class BlockingUserRepository(IServiceScopeFactory scopes)
{
    [SingleFlight]
    public partial User? GetUser(int id);

    private static User? GetUserCore(int id, [FromFlightScope] AppDb db)
    {
        Recorder.WorkUsed(db);
        Recorder.WorkStarted();
        var user = db.Users.Find(id);
        Recorder.WorkUsed(db);
        return user;
    }
}

// SF0012 expected and suppressed: this shape reproduces the failure.
#pragma warning disable SF0012
/// <summary>The blocking shape on the caller's DbContext.</summary>
public sealed partial class LeaderBlockingUserRepository(AppDb db)
{
    [SingleFlight]
    public partial User? GetUser(int id);

    private User? GetUserCore(int id)
    {
        Recorder.WorkStarted();
        var user = db.Users.Find(id);
        Recorder.WorkUsed(db);
        return user;
    }
}
#pragma warning restore SF0012
