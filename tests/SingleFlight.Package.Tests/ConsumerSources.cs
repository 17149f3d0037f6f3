namespace SingleFlight.Package.Tests;

/// <summary>The programs the end-to-end consumers compile against the packed package.</summary>
internal static class ConsumerSources
{
    public const string Collapsing = """
        using System.Collections.Concurrent;
        using SingleFlight;

        var failures = 0;
        void Check(bool ok, string line)
        {
            Console.WriteLine((ok ? "" : "FAILED ") + line);
            if (!ok) failures++;
        }

        // Async: every call returns its task only after it has started or joined the flight, so once all 50
        // calls have returned, opening the gate lets one execution serve them all.
        var users = new UserService();
        var calls = Enumerable.Range(0, 50).Select(_ => users.GetNameAsync(7)).ToList();
        users.Gate.SetResult();
        var names = await Task.WhenAll(calls);
        Check(users.Executions == 1 && names.All(n => n == "user-7"), $"async: 50 callers, {users.Executions} execution");

        // Composite key: two tenants, one execution each.
        var reports = new ReportService();
        var reportCalls = Enumerable.Range(0, 40).Select(i => reports.GetReportAsync(i % 2 == 0 ? "a" : "b", 1).AsTask()).ToList();
        reports.Gate.SetResult();
        var texts = await Task.WhenAll(reportCalls);
        Check(reports.Executions == 2 && texts.Distinct().Count() == 2, $"composite: 40 callers, {reports.Executions} executions");

        // Blocking: the leader's core waits until the other threads are blocked inside the call.
        var config = new ConfigService();
        var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() => config.Results.Add(config.Load("db")))).ToList();
        config.Others = threads.Skip(1).ToList();
        threads[0].Start();
        config.LeaderStarted.Wait();
        foreach (var t in threads.Skip(1)) t.Start();
        foreach (var t in threads) t.Join();
        Check(config.Executions == 1 && config.Results.All(r => r == "config:db"), $"blocking: 8 callers, {config.Executions} execution");

        // No caching: calls one after another each run the core.
        var sequential = new UserService();
        sequential.Gate.SetResult();
        for (var i = 0; i < 3; i++) await sequential.GetNameAsync(1);
        Check(sequential.Executions == 3, $"sequential: 3 calls, {sequential.Executions} executions");

        return failures;

        public sealed partial class UserService
        {
            public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
            public int Executions;

            [SingleFlight(KeyFrom = "id")]
            public partial Task<string> GetNameAsync(int id, CancellationToken cancellationToken = default);

            private async Task<string> GetNameCoreAsync(int id, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref Executions);
                await Gate.Task.WaitAsync(cancellationToken);
                return $"user-{id}";
            }
        }

        public sealed partial class ReportService
        {
            public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
            public int Executions;

            [SingleFlight(KeyFrom = "tenant, id")]
            public partial ValueTask<string> GetReportAsync(string tenant, int id);

            private async ValueTask<string> GetReportCoreAsync(string tenant, int id)
            {
                Interlocked.Increment(ref Executions);
                await Gate.Task;
                return $"{tenant}/{id}";
            }
        }

        public sealed partial class ConfigService
        {
            public ManualResetEventSlim LeaderStarted { get; } = new();
            public List<Thread> Others { get; set; } = [];
            public ConcurrentBag<string> Results { get; } = [];
            public int Executions;

            [SingleFlight]
            public partial string Load(string name);

            // Every caller of this test goes through one ConfigService: its gate and thread list are meant to be shared.
        #pragma warning disable SF0012, SF0013
            private string LoadCore(string name)
            {
                Interlocked.Increment(ref Executions);
                LeaderStarted.Set();
                // Wait until every other caller has started and is blocked inside Load.
                SpinWait.SpinUntil(() => Others.All(t => t.ThreadState.HasFlag(ThreadState.WaitSleepJoin)), TimeSpan.FromSeconds(30));
                return "config:" + name;
            }
        #pragma warning restore SF0012, SF0013
        }
        """;

    public const string ClockKey = """
        using SingleFlight;

        Console.WriteLine(await new PriceService().GetPriceAsync("sku"));

        public sealed partial class PriceService
        {
            [SingleFlight(KeyFrom = "sku, DateTime.Now")]
            public partial Task<decimal> GetPriceAsync(string sku);

            private Task<decimal> GetPriceCoreAsync(string sku) => Task.FromResult(1m);
        }
        """;

    public const string Distributed = """
        using System.Reflection;
        using System.Text.Json.Serialization;
        using SingleFlight;

        // No DistributedSingleFlight.Default: the distributed method coalesces in-process and says so in metrics.
        var calls = Enumerable.Range(0, 30).Select(_ => Catalog.GetAsync(3)).ToList();
        Catalog.Gate.SetResult();
        var items = await Task.WhenAll(calls);
        var ok = Catalog.Executions == 1 && items.All(i => i.Name == "item-3");
        Console.WriteLine((ok ? "" : "FAILED ") + $"distributed, no Redis configured: 30 callers, {Catalog.Executions} execution");
        var field = typeof(Catalog).GetFields(BindingFlags.NonPublic | BindingFlags.Static).Single(f => f.Name.StartsWith("__singleFlightGroup_", StringComparison.Ordinal));
        Console.WriteLine("group: " + field.FieldType.Name);
        return ok ? 0 : 1;

        public sealed record Item(int Id, string Name);

        public static partial class Catalog
        {
            public static readonly TaskCompletionSource Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
            public static int Executions;

            [SingleFlight(KeyFrom = "id", Distributed = true)]
            public static partial Task<Item> GetAsync(int id, CancellationToken cancellationToken = default);

            private static async Task<Item> GetCoreAsync(int id, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref Executions);
                await Gate.Task.WaitAsync(cancellationToken);
                return new Item(id, "item-" + id);
            }
        }

        [JsonSerializable(typeof(Item))]
        internal sealed partial class CatalogJson : JsonSerializerContext;
        """;

    /// <summary>
    /// A netstandard2.0 class library with distributed methods: one result type listed in a JsonSerializerContext,
    /// one left to reflection, and one without a result (Unit). No records: netstandard2.0 lacks IsExternalInit.
    /// </summary>
    public const string DistributedLibrary = """
        using System;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace LegacyLibrary;

        public sealed class Item
        {
            public int Id { get; set; }

            public string Name { get; set; } = string.Empty;
        }

        public sealed class Review
        {
            public string Text { get; set; } = string.Empty;
        }

        public sealed partial class Catalog
        {
            [SingleFlight(KeyFrom = "id", Distributed = true)]
            public partial Task<Item> GetItemAsync(int id, CancellationToken cancellationToken = default);

            private Task<Item> GetItemCoreAsync(int id, CancellationToken cancellationToken)
                => Task.FromResult(new Item { Id = id, Name = "item-" + id });

            [SingleFlight(Distributed = true)]
            public partial ValueTask<Review> GetReviewAsync(string sku, Guid reviewer);

            private ValueTask<Review> GetReviewCoreAsync(string sku, Guid reviewer)
                => new(new Review { Text = sku + "/" + reviewer });

            [SingleFlight(KeyFrom = "id", Distributed = true)]
            public partial Task RefreshAsync(int id, CancellationToken cancellationToken = default);

            private Task RefreshCoreAsync(int id, CancellationToken cancellationToken) => Task.CompletedTask;
        }

        [JsonSerializable(typeof(Item))]
        internal sealed partial class CatalogJson : JsonSerializerContext;
        """;

    public const string BlockingDistributed = """
        using SingleFlight;

        Console.WriteLine(new Rates().Get("EUR"));

        public sealed partial class Rates
        {
            [SingleFlight(Distributed = true)]
            public partial decimal Get(string currency);

            private decimal GetCore(string currency) => 1m;
        }
        """;

    public const string MissingCore = """
        using SingleFlight;

        Console.WriteLine(await new Stock().CountAsync("sku"));

        public sealed partial class Stock
        {
            [SingleFlight]
            public partial Task<int> CountAsync(string sku);

            private Task<int> CountCore(string sku) => Task.FromResult(1);
        }
        """;

    /// <summary>SF0003: a ref struct parameter (the shape of many real signatures, ReadOnlySpan&lt;char&gt; overloads).</summary>
    public const string RefStructParameter = """
        using SingleFlight;

        Console.WriteLine(Text.Count("a,b"));

        public static partial class Text
        {
            [SingleFlight]
            public static partial int Count(ReadOnlySpan<char> text);

            private static int CountCore(ReadOnlySpan<char> text) => text.Length;
        }
        """;

    public const string ReusedOperationName = """
        using SingleFlight;

        Console.WriteLine(await new UserNames().GetAsync(1) + await new ProductNames().GetAsync(1));

        public sealed partial class UserNames
        {
            [SingleFlight(Distributed = true, OperationName = "names")]
            public partial Task<string> GetAsync(int id);

            private Task<string> GetCoreAsync(int id) => Task.FromResult("user");
        }

        public sealed partial class ProductNames
        {
            [SingleFlight(Distributed = true, OperationName = "names")]
            public partial Task<string> GetAsync(int id);

            private Task<string> GetCoreAsync(int id) => Task.FromResult("product");
        }
        """;

    /// <summary>
    /// README.md's headline example as a user copies it (EF Core SQLite, a scoped repository with an
    /// IServiceScopeFactory, a static core with a [FromFlightScope] AppDb), run through a real container. The leader's
    /// scope is disposed as soon as its call has returned; that the flight's AppDb outlives it under a running query is
    /// shown, with gates, by tests/SingleFlight.Web.Tests. Here: it builds clean and serves every caller.
    /// </summary>
    public const string ReadmeFlightScope = """
        using Microsoft.Data.Sqlite;
        using Microsoft.EntityFrameworkCore;
        using Microsoft.Extensions.DependencyInjection;
        using SingleFlight;

        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync();
        var services = new ServiceCollection();
        services.AddDbContext<AppDb>(options => options.UseSqlite(connection));
        services.AddScoped<UserRepository>();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        using (var seed = provider.CreateScope())
        {
            var db = seed.ServiceProvider.GetRequiredService<AppDb>();
            await db.Database.EnsureCreatedAsync();
            db.Users.Add(new User { Id = 7, Name = "ann" });
            await db.SaveChangesAsync();
        }

        // The first caller's request scope ends (its client left) right after its call returned; two other requests
        // call too. Every one of them gets the user: the query runs on an AppDb of the flight's own scope.
        var leaderScope = provider.CreateAsyncScope();
        var leader = leaderScope.ServiceProvider.GetRequiredService<UserRepository>().GetUserAsync(7);
        await leaderScope.DisposeAsync();
        var joiners = Enumerable.Range(0, 2).Select(async _ =>
        {
            await using var scope = provider.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<UserRepository>().GetUserAsync(7);
        }).ToList();
        var users = await Task.WhenAll([leader, .. joiners]);
        var ok = users.All(u => u?.Name == "ann");
        Console.WriteLine((ok ? "" : "FAILED ") + $"readme: {users.Length} callers, user 7 is {string.Join(",", users.Select(u => u?.Name ?? "null"))}");
        return ok ? 0 : 1;

        public sealed class User
        {
            public int Id { get; set; }

            public string Name { get; set; } = "";
        }

        public sealed class AppDb(DbContextOptions<AppDb> options) : DbContext(options)
        {
            public DbSet<User> Users => Set<User>();
        }

        public sealed partial class UserRepository(IServiceScopeFactory scopes)
        {
            [SingleFlight(KeyFrom = "id")]
            public partial Task<User?> GetUserAsync(int id, CancellationToken cancellationToken = default);

            private static async Task<User?> GetUserCoreAsync(int id, [FromFlightScope] AppDb db, CancellationToken cancellationToken)
                => await db.Users.FindAsync([id], cancellationToken);
        }
        """;

    /// <summary>README.md's example before flights owned their resources: the core queries the leader's AppDb (SF0012).</summary>
    public const string ReadmeLeaderDb = """
        using Microsoft.EntityFrameworkCore;
        using SingleFlight;

        Console.WriteLine(typeof(UserRepository));

        public sealed class User
        {
            public int Id { get; set; }

            public string Name { get; set; } = "";
        }

        public sealed class AppDb(DbContextOptions<AppDb> options) : DbContext(options)
        {
            public DbSet<User> Users => Set<User>();
        }

        public sealed partial class UserRepository(AppDb db)
        {
            [SingleFlight(KeyFrom = "id")]
            public partial Task<User?> GetUserAsync(int id, CancellationToken cancellationToken = default);

            private async Task<User?> GetUserCoreAsync(int id, CancellationToken cancellationToken)
                => await db.Users.FindAsync([id], cancellationToken);
        }
        """;
}
