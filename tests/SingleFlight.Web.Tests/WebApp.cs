using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SingleFlight.Web.Tests;

/// <summary>How the app registers its DbContext.</summary>
public enum ContextRegistration
{
    AddDbContext,
    AddDbContextPool,
}

/// <summary>
/// A real ASP.NET Core app on Kestrel (loopback, a free port) over an EF Core SQLite file with one user, Ada (id 1).
/// <c>/users/{id}</c> calls the registered <see cref="IUserSource"/>; <c>/backend/{id}</c> is a slow downstream API;
/// <c>/other</c> is an unrelated request that leases a DbContext and holds it until the test lets it go.
/// </summary>
public sealed class WebApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _databasePath;

    private WebApp(WebApplication app, string databasePath, Uri address)
    {
        _app = app;
        _databasePath = databasePath;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<WebApp> StartAsync(ContextRegistration registration, Action<IServiceCollection> configure)
    {
        Recorder.Reset();
        var databasePath = Path.Combine(Path.GetTempPath(), "singleflight-web-" + Guid.NewGuid().ToString("N") + ".db");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (registration == ContextRegistration.AddDbContextPool)
        {
            builder.Services.AddDbContextPool<AppDb>(o => o.UseSqlite("Data Source=" + databasePath));
        }
        else
        {
            builder.Services.AddDbContext<AppDb>(o => o.UseSqlite("Data Source=" + databasePath));
        }

        builder.Services.AddScoped<ScopeMarker>();

        // A scoped HttpClient to the backend: disposed, with its requests, when its scope ends.
        builder.Services.AddScoped(static sp => new HttpClient
        {
            BaseAddress = new Uri(sp.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()),
        });
        configure(builder.Services);

        var app = builder.Build();
        app.Use(static async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception ex) when (!context.Response.HasStarted)
            {
                // The test reads what failed the request.
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsync(ex.GetType().FullName!);
            }
        });
        app.MapGet("/users/{id:int}", static async (int id, IUserSource users, ScopeMarker marker, CancellationToken cancellationToken)
            => await users.GetUserAsync(id, cancellationToken) is { } user ? Results.Text(user.Name) : Results.NotFound());
        app.MapGet("/backend/{id:int}", static async (int id, CancellationToken cancellationToken) =>
        {
            await Recorder.WorkStartedAsync(cancellationToken);
            return id == 1 ? "Ada" : "user" + id;
        });
        app.MapGet("/other", static async (AppDb db) =>
        {
            await Recorder.OtherRequestAsync(db.ContextId);
            return Results.Text(db.ChangeTracker.Entries<User>().Count().ToString(System.Globalization.CultureInfo.InvariantCulture));
        });

        await app.StartAsync();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDb>();
            await db.Database.EnsureCreatedAsync();
            db.Users.Add(new User { Id = 1, Name = "Ada" });
            await db.SaveChangesAsync();
        }

        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        Recorder.Reset();
        return new WebApp(app, databasePath, address);
    }

    /// <summary>A client of its own: its own connection, which cancelling its request closes.</summary>
    public HttpClient NewClient() => new() { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            File.Delete(_databasePath);
        }
        catch (IOException)
        {
            // A temporary file; never worth failing a test for.
        }
    }
}
