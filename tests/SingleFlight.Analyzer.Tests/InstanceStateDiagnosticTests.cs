using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using SingleFlight.Analyzer.Tests.Infrastructure;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// SF0012 (a shared flight's core uses a caller-owned disposable of the instance) and SF0013 (it reads caller-specific
/// instance state that is not in the key): where they fire, and the ordinary services they must stay quiet on. The
/// realistic-services corpus measures them at scale (<see cref="RealisticServicesCorpusTests"/>); these pin each rule.
/// </summary>
public sealed class InstanceStateDiagnosticTests
{
    /// <summary>Stand-ins for framework types the references lack, in their real namespaces, with their real disposability.</summary>
    private const string Framework = """
        namespace Microsoft.EntityFrameworkCore
        {
            public class DbContext : System.IDisposable, System.IAsyncDisposable
            {
                public void Dispose() { }
                public System.Threading.Tasks.ValueTask DisposeAsync() => default;
                public System.Threading.Tasks.Task<int> CountAsync(int id) => System.Threading.Tasks.Task.FromResult(id);
            }

            public interface IDbContextFactory<TContext> where TContext : DbContext
            {
                TContext CreateDbContext();
            }
        }

        namespace Microsoft.Extensions.Caching.Memory
        {
            public interface IMemoryCache : System.IDisposable
            {
                bool TryGetValue(object key, out object? value);
            }
        }

        namespace Microsoft.Extensions.Logging
        {
            public interface ILogger { void Log(string message); }
            public interface ILogger<out T> : ILogger { }
            public interface ILoggerFactory : System.IDisposable { ILogger CreateLogger(string name); }
        }

        namespace Microsoft.Extensions.Options
        {
            public interface IOptions<out T> where T : class { T Value { get; } }
            public interface IOptionsSnapshot<out T> : IOptions<T> where T : class { }
        }

        namespace Microsoft.AspNetCore.Http
        {
            public abstract class HttpContext
            {
                public abstract System.Security.Claims.ClaimsPrincipal User { get; }
                public abstract System.Threading.CancellationToken RequestAborted { get; }
            }

            public interface IHttpContextAccessor { HttpContext? HttpContext { get; } }
        }

        namespace Users
        {
            public sealed class AppDb : Microsoft.EntityFrameworkCore.DbContext { }

            public sealed class UnitOfWork : System.IAsyncDisposable
            {
                public System.Threading.Tasks.ValueTask DisposeAsync() => default;
                public int Count() => 1;
            }

            public interface ITenantContext { string TenantId { get; } }
            public interface ICurrentUserService { int UserId { get; } }
            public interface IMultiTenantContextAccessor<T> { T Tenant { get; } }
            public sealed record TenantInfo(string Id);
            public interface IUserRepository { int Count(string tenant); }
            public interface ITenantConnectionFactory { int Open(string tenant); }
            public interface IUserService { int Count(); }
            public sealed class UserManager<T> { public int Count() => 1; }
            public sealed class IdentityOptions { public int MaxLength { get; set; } }
            public sealed class TenantOptions { public string Default { get; set; } = ""; }
            public sealed class UserSettings { public int PageSize { get; set; } }
            public sealed class CatalogOptions { public int PageSize { get; set; } }

            /// <summary>A disposable that is also a caller's identity: SF0012 wins.</summary>
            public interface IUserSession : System.IDisposable { int UserId { get; } }
        }

        """;

    private const string Usings = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Users;

        """;

    /// <summary>A test of <paramref name="type"/> (after the usual usings) beside <see cref="Framework"/> in a second file.</summary>
    private static AnalyzerTest Test(string type)
    {
        var test = new AnalyzerTest(Usings + type, distributed: true);
        test.TestState.Sources.Add(("Framework.cs", Framework));
        return test;
    }

    private static Task VerifyAsync(string type, params DiagnosticResult[] expected)
    {
        var test = Test(type);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    private static DiagnosticResult SF0012(int location = 0) => new DiagnosticResult("SF0012", DiagnosticSeverity.Warning).WithLocation(location).WithLocation(location + 1);

    private static DiagnosticResult SF0013(int location = 0) => new DiagnosticResult("SF0013", DiagnosticSeverity.Warning).WithLocation(location).WithLocation(location + 1);

    // ---- SF0012 fires ----------------------------------------------------------------------------------------

    [Fact]
    public Task SF0012_for_the_readme_shape_before_flights_owned_their_resources() => VerifyAsync(
        """
        public sealed partial class UserRepository(AppDb db)
        {
            [SingleFlight(KeyFrom = "id")]
            public partial Task<int> {|#1:GetUserAsync|}(int id, CancellationToken cancellationToken = default);

            private async Task<int> GetUserCoreAsync(int id, CancellationToken cancellationToken)
                => await {|#0:db|}.CountAsync(id);
        }
        """,
        SF0012().WithMessage(
            "'GetUserCoreAsync' uses primary-constructor parameter 'db' of type 'AppDb', a disposable that belongs to the instance of whichever caller starts the flight of 'GetUserAsync': when that caller's scope ends, it is disposed while the work still runs for the callers that joined. Make it a [FromFlightScope] parameter of 'GetUserCoreAsync', so that the flight resolves its own from a scope it owns (the code fix does this), or use Scope = SingleFlightScope.Instance."));

    [Theory]
    [InlineData("a readonly field", "private readonly AppDb _db = new();", "_db")]
    [InlineData("a field through this", "private readonly AppDb _db = new();", "this._db")]
    [InlineData("an auto-property", "private AppDb Db { get; } = new();", "Db")]
    [InlineData("an init property", "public required AppDb Db { get; init; }", "Db")]
    [InlineData("a base type's protected property", "", "Base")]
    [InlineData("an IAsyncDisposable-only type", "private readonly UnitOfWork _work = new();", "_work")]
    [InlineData("an HttpClient", "private readonly System.Net.Http.HttpClient _http = new();", "_http")]
    [InlineData("a DbConnection", "private readonly System.Data.Common.DbConnection _connection = null!;", "_connection")]
    [InlineData("an IServiceScope", "private readonly Microsoft.Extensions.DependencyInjection.IServiceScope _scope = null!;", "_scope")]
    [InlineData("a nullable disposable", "private readonly AppDb? _db = null;", "_db!")]
    [InlineData("a CancellationTokenSource", "private readonly CancellationTokenSource _cts = new();", "_cts")]
    public Task SF0012_for_a_disposable_member(string what, string member, string use)
    {
        _ = what;
        var expression = use == "Base" ? "{|#0:Shared|}" : use.EndsWith('!') ? "{|#0:" + use[..^1] + "|}!" : "{|#0:" + use + "|}";
        return VerifyAsync(
            $$"""
            public abstract class RepositoryBase
            {
                protected AppDb Shared { get; } = new();
            }

            public sealed partial class Repo : RepositoryBase
            {
                {{member}}

                [SingleFlight]
                public partial Task<int> {|#1:GetAsync|}(int id);

                private Task<int> GetCoreAsync(int id) => Task.FromResult({{expression}}.GetHashCode() + id);
            }
            """,
            SF0012());
    }

    [Fact]
    public Task SF0012_in_a_lambda_a_local_function_a_blocking_core_and_a_void_core() => VerifyAsync(
        """
        public sealed partial class Repo(AppDb db, UnitOfWork work)
        {
            [SingleFlight]
            public partial Task<int> {|#1:GetAsync|}(int id);

            private Task<int> GetCoreAsync(int id)
            {
                Func<int> query = () => {|#0:db|}.GetHashCode();
                return Task.FromResult(query() + id);
            }

            [SingleFlight]
            public partial int {|#3:Count|}(int id);

            private int CountCore(int id)
            {
                return Local();
                int Local() => {|#2:work|}.Count() + id;
            }

            [SingleFlight]
            public partial void {|#5:Warm|}(int id);

            private void WarmCore(int id) => _ = {|#4:db|}.GetHashCode() + id;
        }
        """,
        SF0012(0),
        SF0012(2),
        SF0012(4));

    [Fact]
    public Task SF0012_for_a_distributed_method() => VerifyAsync(
        """
        public sealed partial class Repo(AppDb db)
        {
            [SingleFlight(Distributed = true, OperationName = "repo.get")]
            public partial Task<int> {|#1:GetAsync|}(int id, CancellationToken cancellationToken = default);

            private Task<int> GetCoreAsync(int id, CancellationToken cancellationToken) => {|#0:db|}.CountAsync(id);
        }
        """,
        SF0012());

    [Fact]
    public Task SF0012_through_a_method_of_the_type_that_the_core_calls() => VerifyAsync(
        """
        public sealed partial class Repo(AppDb db)
        {
            [SingleFlight]
            public partial Task<int> {|#1:GetAsync|}(int id);

            private async Task<int> GetCoreAsync(int id) => await {|#0:CountAsync(id)|} + await CountAsync(id + 1);

            private Task<int> CountAsync(int id) => {|#2:db|}.CountAsync(id);
        }
        """,
        SF0012().WithLocation(2).WithMessage(
            "'GetCoreAsync' uses primary-constructor parameter 'db' (in 'CountAsync', which it calls) of type 'AppDb', a disposable that belongs to the instance of whichever caller starts the flight of 'GetAsync': when that caller's scope ends, it is disposed while the work still runs for the callers that joined. Make it a [FromFlightScope] parameter of 'GetCoreAsync', so that the flight resolves its own from a scope it owns (the code fix does this), or use Scope = SingleFlightScope.Instance."));

    [Fact]
    public Task SF0012_for_the_instance_service_provider_and_a_lazy_disposable() => VerifyAsync(
        """
        public sealed partial class Handler(IServiceProvider services, Lazy<AppDb> lazyDb)
        {
            [SingleFlight]
            public partial Task<int> {|#1:GetAsync|}(int id);

            private Task<int> GetCoreAsync(int id) => Task.FromResult({|#0:services|}.GetHashCode() + id);

            [SingleFlight]
            public partial Task<int> {|#3:CountAsync|}(int id);

            private Task<int> CountCoreAsync(int id) => {|#2:lazyDb|}.Value.CountAsync(id);
        }
        """,
        SF0012(0).WithMessage(
            "'GetCoreAsync' uses primary-constructor parameter 'services' of type 'IServiceProvider', which in a scoped or transient service is the scope of the caller that starts the flight of 'GetAsync': it is disposed when that caller's scope ends, while the work still runs for the callers that joined, and the services it returns are that caller's. Take what the work needs as [FromFlightScope] parameters of 'GetCoreAsync', or use Scope = SingleFlightScope.Instance."),
        SF0012(2).WithMessage(
            "'CountCoreAsync' uses primary-constructor parameter 'lazyDb' of type 'Lazy<AppDb>', whose value is a disposable that belongs to the instance of whichever caller starts the flight of 'CountAsync': when that caller's scope ends, it is disposed while the work still runs for the callers that joined. Make it a [FromFlightScope] parameter of 'CountCoreAsync', so that the flight resolves its own from a scope it owns (the code fix does this), or use Scope = SingleFlightScope.Instance."));

    [Fact]
    public Task SF0012_once_per_member_at_its_first_use_and_for_each_member() => VerifyAsync(
        """
        public sealed partial class Repo(AppDb db, UnitOfWork work)
        {
            [SingleFlight]
            public partial Task<int> {|#1:GetAsync|}(int id);

            private async Task<int> GetCoreAsync(int id)
                => await {|#0:db|}.CountAsync(id) + await db.CountAsync(id + 1) + {|#2:work|}.Count();
        }
        """,
        SF0012(0),
        new DiagnosticResult("SF0012", DiagnosticSeverity.Warning).WithLocation(2).WithLocation(1));

    [Fact]
    public Task SF0012_wins_over_SF0013_for_a_disposable_that_carries_the_callers_identity() => VerifyAsync(
        """
        public sealed partial class Repo(IUserSession session)
        {
            [SingleFlight]
            public partial Task<int> {|#1:GetAsync|}(int id);

            private Task<int> GetCoreAsync(int id) => Task.FromResult({|#0:session|}.UserId + id);
        }
        """,
        SF0012());

    // ---- SF0012 stays quiet ----------------------------------------------------------------------------------

    [Fact]
    public Task Nothing_for_the_flight_owned_shape_static_cores_and_instance_scope() => VerifyAsync(
        """
        using Microsoft.Extensions.DependencyInjection;

        public sealed partial class Repo(IServiceScopeFactory scopes, AppDb db)
        {
            // The documented shape: the core's db is the [FromFlightScope] parameter, which hides the constructor's.
            [SingleFlight]
            public partial Task<int> GetAsync(int id);

            private async Task<int> GetCoreAsync(int id, [FromFlightScope] AppDb db) => await db.CountAsync(id);

            [SingleFlight]
            public partial Task<int> GetStaticAsync(int id);

            private static Task<int> GetStaticCoreAsync(int id) => Task.FromResult(id);

            // Per-instance flights: the caller's own instance runs them.
            [SingleFlight(Scope = SingleFlightScope.Instance)]
            public partial Task<int> GetMineAsync(int id);

            private Task<int> GetMineCoreAsync(int id) => db.CountAsync(id);

            // The disposable used outside the core only.
            public Task<int> WriteAsync(int id) => db.CountAsync(id);
        }
        """);

    [Fact]
    public Task Nothing_for_shared_singletons_the_services_own_instruments_and_factories() => VerifyAsync(
        """
        using System.Diagnostics;
        using System.Diagnostics.Metrics;
        using Microsoft.EntityFrameworkCore;
        using Microsoft.Extensions.Caching.Memory;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Logging;
        using StackExchange.Redis;
        using System.Collections.Generic;

        public sealed partial class Catalog(
            IMemoryCache cache,
            ILoggerFactory loggers,
            ILogger<Catalog> logger,
            IConnectionMultiplexer redis,
            System.Data.Common.DbDataSource dataSource,
            IDbContextFactory<AppDb> contexts,
            IServiceScopeFactory scopes,
            TimeProvider clock,
            Task warmUp)
        {
            private static readonly System.Net.Http.HttpClient s_http = new();
            private readonly ActivitySource _activities = new("catalog");
            private readonly Meter _meter = new("catalog");
            private readonly SemaphoreSlim _throttle = new(4);

            public ManualResetEventSlim Started { get; } = new();

            // Set once by whoever builds the object, read by the flight (the package consumer's shape).
            public List<string> Names { get; set; } = [];

            [SingleFlight]
            public partial Task<int> GetAsync(int id);

            private async Task<int> GetCoreAsync(int id)
            {
                await warmUp;
                Started.Set();
                _ = Names.Count;
                await _throttle.WaitAsync();
                using var activity = _activities.StartActivity("get");
                _meter.CreateCounter<int>("gets").Add(1);
                logger.Log("get");
                loggers.CreateLogger("x").Log("get");
                _ = cache.TryGetValue(id, out _);
                _ = redis.GetDatabase();
                await using var connection = dataSource.CreateConnection();
                using var db = contexts.CreateDbContext();
                await using var scope = scopes.CreateAsyncScope();
                _ = s_http.Timeout + (clock.GetUtcNow() - clock.GetUtcNow());
                _throttle.Release();
                return await db.CountAsync(id);
            }
        }
        """);

    [Fact]
    public Task Nothing_for_a_member_of_another_instance_or_calls_two_levels_deep() => VerifyAsync(
        """
        public sealed partial class Repo(AppDb db)
        {
            private readonly Repo? _next = null;

            [SingleFlight]
            public partial Task<int> GetAsync(int id);

            // Another instance's members are not this instance's; helpers are followed one level only (documented).
            private Task<int> GetCoreAsync(int id) => Task.FromResult((_next?.Db.GetHashCode() ?? 0) + Level1(id));

            public AppDb Db => db;

            private int Level1(int id) => Level2(id);

            private int Level2(int id) => db.GetHashCode() + id;
        }
        """);

    [Fact]
    public async Task Nothing_for_a_type_listed_as_shared_in_editorconfig()
    {
        var test = Test("""
            public sealed class ProductDatabase : IDisposable
            {
                public void Dispose() { }
                public int Load(int id) => id;
            }

            public sealed partial class Repo(ProductDatabase database, AppDb db)
            {
                [SingleFlight]
                public partial Task<int> {|#1:GetAsync|}(int id);

                private Task<int> GetCoreAsync(int id) => Task.FromResult(database.Load(id) + {|#0:db|}.GetHashCode());
            }
            """);
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", """
            root = true

            [*.cs]
            singleflight.shared_types = Users.ProductDatabase, Some.Other.Type
            """));
        test.ExpectedDiagnostics.Add(SF0012());
        await test.RunAsync();
    }

    // ---- SF0013 fires ----------------------------------------------------------------------------------------

    [Fact]
    public Task SF0013_for_a_scoped_tenant_context_not_in_the_key() => VerifyAsync(
        """
        public sealed partial class TenantSettings(ITenantContext tenant)
        {
            [SingleFlight]
            public partial Task<string> {|#1:GetCurrentAsync|}();

            private Task<string> GetCurrentCoreAsync() => Task.FromResult({|#0:tenant|}.TenantId);
        }
        """,
        SF0013().WithMessage(
            "'GetCurrentCoreAsync' reads primary-constructor parameter 'tenant' of type 'ITenantContext', which holds the identity of the caller (tenant, user, request) that starts the flight of 'GetCurrentAsync', and it is not in the key: callers that join get the result computed for that first caller. Read it before the call and pass it to 'GetCurrentAsync' as a parameter in the key, or use Scope = SingleFlightScope.Instance."));

    [Theory]
    [InlineData("ICurrentUserService")]
    [InlineData("IMultiTenantContextAccessor<TenantInfo>")]
    [InlineData("TenantInfo")]
    [InlineData("System.Security.Claims.ClaimsPrincipal")]
    [InlineData("System.Security.Principal.IPrincipal")]
    [InlineData("Microsoft.AspNetCore.Http.IHttpContextAccessor")]
    [InlineData("Microsoft.AspNetCore.Http.HttpContext")]
    public Task SF0013_for_a_type_that_carries_the_callers_identity(string type) => VerifyAsync(
        $$"""
        public sealed partial class Service({{type}} caller)
        {
            [SingleFlight]
            public partial Task<int> {|#1:GetAsync|}(int id);

            private Task<int> GetCoreAsync(int id) => Task.FromResult({|#0:caller|}.GetHashCode() + id);
        }
        """,
        SF0013());

    [Fact]
    public Task SF0013_for_mutable_state_set_per_request() => VerifyAsync(
        """
        public sealed partial class Listing
        {
            private string _filter = "all";
            private int _page;

            public string Sort { get; set; } = "name";

            public int Size { get; private set; } = 10;

            public string Filter { set => _filter = value; }

            public void Use(int page, int size)
            {
                _page = page;
                Size = size;
            }

            public void Next() => _page++;

            [SingleFlight]
            public partial Task<string> {|#1:GetAsync|}(int id);

            // Sort has a public setter, but nothing in the type sets it: not reported (it looks like a singleton's
            // configuration property; see SF0013.md).
            private Task<string> GetCoreAsync(int id)
                => Task.FromResult($"{{|#0:_filter|}}{{|#2:_page|}}{Sort}{{|#3:Size|}}{id}");
        }
        """,
        SF0013(0).WithMessage(
            "'GetCoreAsync' reads field '_filter' of type 'string', which 'Filter' sets after construction, so it can differ between the callers that share a flight of 'GetAsync', and it is not in the key: callers that join get the result computed with the first caller's value. Pass it to 'GetAsync' as a parameter in the key, or use Scope = SingleFlightScope.Instance."),
        new DiagnosticResult("SF0013", DiagnosticSeverity.Warning).WithLocation(2).WithLocation(1).WithMessage(
            "'GetCoreAsync' reads field '_page' of type 'int', which 'Use' sets after construction, so it can differ between the callers that share a flight of 'GetAsync', and it is not in the key: callers that join get the result computed with the first caller's value. Pass it to 'GetAsync' as a parameter in the key, or use Scope = SingleFlightScope.Instance."),
        new DiagnosticResult("SF0013", DiagnosticSeverity.Warning).WithLocation(3).WithLocation(1).WithMessage(
            "'GetCoreAsync' reads property 'Size' of type 'int', which 'Use' sets after construction, so it can differ between the callers that share a flight of 'GetAsync', and it is not in the key: callers that join get the result computed with the first caller's value. Pass it to 'GetAsync' as a parameter in the key, or use Scope = SingleFlightScope.Instance."));

    [Fact]
    public Task SF0013_through_a_method_of_the_type_that_the_core_calls() => VerifyAsync(
        """
        public sealed partial class Report(ICurrentUserService user)
        {
            [SingleFlight]
            public partial Task<int> {|#1:GetAsync|}(int year);

            private Task<int> GetCoreAsync(int year) => Task.FromResult({|#0:Owner()|} + year);

            private int Owner() => {|#2:user|}.UserId;
        }
        """,
        SF0013().WithLocation(2));

    [Fact]
    public Task SF0013_for_the_value_of_a_struct_or_record_that_the_key_leaves_out() => VerifyAsync(
        """
        public sealed partial record Person(string Name)
        {
            [SingleFlight]
            public partial Task<string> {|#1:GreetAsync|}(int id);

            private Task<string> GreetCoreAsync(int id) => Task.FromResult({|#0:Name|} + id);

            // Keyed on the member: quiet.
            [SingleFlight(KeyFrom = "Name, id")]
            public partial Task<string> GreetKeyedAsync(int id);

            private Task<string> GreetKeyedCoreAsync(int id) => Task.FromResult(Name + id);
        }

        public readonly partial struct Frozen(int value)
        {
            private readonly int _value = value;

            [SingleFlight]
            public partial Task<int> {|#3:ReadAsync|}(int id);

            private Task<int> ReadCoreAsync(int id) => Task.FromResult({|#2:_value|} + id);
        }
        """,
        SF0013(0).WithMessage(
            "'GreetCoreAsync' reads property 'Name' of type 'string', which is part of the value of the record 'Person', and it is not in the key of 'GreetAsync': instances with different values share a flight, so callers that join get the result computed for the value of the caller that started it. Name it in KeyFrom (KeyFrom may use members), or pass it to 'GreetAsync' as a parameter."),
        SF0013(2));

    // ---- SF0013 stays quiet ----------------------------------------------------------------------------------

    [Theory]
    [InlineData("IUserRepository")]
    [InlineData("ITenantConnectionFactory")]
    [InlineData("IUserService")]
    [InlineData("UserManager<TenantInfo>")]
    [InlineData("IdentityOptions")]
    [InlineData("UserSettings")]
    [InlineData("Microsoft.Extensions.Options.IOptions<TenantOptions>")]
    [InlineData("Microsoft.Extensions.Options.IOptionsSnapshot<CatalogOptions>")]
    [InlineData("Microsoft.Extensions.Logging.ILogger<ICurrentUserService>")]
    [InlineData("Func<ITenantContext, int>")]
    public Task Nothing_for_services_whose_name_mentions_a_user_or_tenant_but_do_not_hold_one(string type) => VerifyAsync(
        $$"""
        public sealed partial class Service({{type}} dependency)
        {
            [SingleFlight]
            public partial Task<int> GetAsync(int id);

            private Task<int> GetCoreAsync(int id) => Task.FromResult(dependency.GetHashCode() + id);
        }
        """);

    [Fact]
    public Task Nothing_for_configuration_caches_and_state_the_flight_or_construction_writes() => VerifyAsync(
        """
        public sealed record Settings(string Title, int MaxRows);

        public sealed partial class Reports : IDisposable
        {
            private const int Limit = 10;
            private static int s_calls;
            private readonly int _maxRows;
            private readonly Settings _settings;
            private readonly CatalogOptions _options;
            private string _schema;
            private string? _cachedToken;
            private bool _disposed;

            public Reports(Microsoft.Extensions.Options.IOptions<CatalogOptions> options)
            {
                _options = options.Value;
                _maxRows = options.Value.PageSize;
                _settings = new Settings("t", 1);
                _schema = "dbo";
            }

            public required string Region { get; init; }

            public int Version { get; } = 3;

            [SingleFlight]
            public partial Task<string> GetAsync(int id);

            private Task<string> GetCoreAsync(int id)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                s_calls++;
                _cachedToken ??= "token";
                return Task.FromResult($"{_schema}{_maxRows}{_settings.Title}{_options.PageSize}{Region}{Version}{Limit}{_cachedToken}{id}");
            }

            public void Invalidate() => _cachedToken = null;

            public void Dispose() => _disposed = true;
        }
        """);

    [Fact]
    public Task Nothing_when_the_state_is_in_the_key_read_outside_the_core_or_the_scope_is_the_instance() => VerifyAsync(
        """
        public sealed partial class TenantService(ITenantContext tenant)
        {
            private readonly ITenantContext _tenant = tenant;
            private int _page;

            public void Use(int page) => _page = page;

            // The key mentions the tenant: computed on each caller's own instance, so joiners have the leader's tenant.
            [SingleFlight(KeyFrom = "_tenant.TenantId, id")]
            public partial Task<string> GetAsync(int id);

            private Task<string> GetCoreAsync(int id) => Task.FromResult(_tenant.TenantId + id);

            // The tenant is read by the caller and passed in.
            [SingleFlight]
            public partial Task<string> GetForAsync(string tenantId, int page);

            private Task<string> GetForCoreAsync(string tenantId, int page) => Task.FromResult(tenantId + page);

            public Task<string> GetMineAsync() => GetForAsync(tenant.TenantId, _page);

            [SingleFlight(Scope = SingleFlightScope.Instance)]
            public partial Task<string> GetOwnAsync();

            private Task<string> GetOwnCoreAsync() => Task.FromResult(tenant.TenantId + _page);
        }
        """);
}
