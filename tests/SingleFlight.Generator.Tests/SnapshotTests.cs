using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>
/// The emitted source of representative shapes, compared exactly with the checked-in
/// <c>Snapshots/*.verified.cs</c> files. To accept new output, run the tests with
/// <c>SINGLEFLIGHT_ACCEPT_SNAPSHOTS=1</c> and review the diff (see tests/SingleFlight.Generator.Tests/README.md).
/// </summary>
public sealed class SnapshotTests
{
    public static TheoryData<string> Shapes => new(s_inputs.Keys.Order(StringComparer.Ordinal));

    private static readonly Dictionary<string, string> s_inputs = new()
    {
        ["InstanceTaskOfT"] = """
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Demo;

            public sealed record User(int Id, string Name);

            public sealed partial class UserRepository
            {
                [SingleFlight(KeyFrom = "id")]
                public partial Task<User?> GetUserAsync(int id, CancellationToken cancellationToken = default);

                private Task<User?> GetUserCoreAsync(int id, CancellationToken cancellationToken)
                    => Task.FromResult<User?>(new User(id, "user" + id));
            }
            """,

        ["BatchMethod"] = """
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Demo;

            public sealed record User(int Id, string Name);

            public sealed partial class UserRepository
            {
                [SingleFlight(MaxBatchSize = 100)]
                public partial Task<IReadOnlyDictionary<int, User>> GetUsersAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken = default);

                private Task<Dictionary<int, User>> GetUsersCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken)
                    => Task.FromResult(ids.ToDictionary(id => id, id => new User(id, "user" + id)));
            }
            """,

        ["BatchMethodMutableTypes"] = """
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Demo;

            public static partial class Prices
            {
                [SingleFlight]
                public static partial ValueTask<Dictionary<string, decimal>> GetPricesAsync(string[] skus, [NotKey] string currency, CancellationToken cancellationToken);

                private static ValueTask<IDictionary<string, decimal>> GetPricesCoreAsync(string[] skus, string currency, CancellationToken cancellationToken)
                    => new(skus.ToDictionary(s => s, s => 1m));
            }
            """,

        ["BatchMethodFlightScope"] = """
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;
            using Microsoft.Extensions.DependencyInjection;
            using SingleFlight;

            namespace Demo;

            public sealed class AppDb { }

            public sealed partial class Inventory(IServiceScopeFactory scopes)
            {
                [SingleFlight]
                public partial Task<IReadOnlyDictionary<string, int>> GetStockAsync(List<string> skus, CancellationToken cancellationToken);

                private static Task<IDictionary<string, int>> GetStockCoreAsync(List<string> skus, [FromFlightScope] AppDb db, CancellationToken cancellationToken)
                    => Task.FromResult<IDictionary<string, int>>(new Dictionary<string, int>());
            }
            """,

        ["BatchedSingleKey"] = """
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Demo;

            public sealed record Product(int Id, string Name);

            public sealed partial class Catalog
            {
                [SingleFlight(BatchWindowMilliseconds = 2, MaxBatchSize = 100, Scope = SingleFlightScope.Instance)]
                public partial Task<Product?> GetProductAsync(int id, CancellationToken cancellationToken = default);

                private Task<IReadOnlyDictionary<int, Product>> GetProductCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken)
                    => Task.FromResult<IReadOnlyDictionary<int, Product>>(ids.ToDictionary(id => id, id => new Product(id, "p" + id)));
            }
            """,

        ["StaticValueTaskDefaultKey"] = """
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            public static partial class Warmup
            {
                [SingleFlight]
                internal static partial ValueTask RefreshAsync(string region, CancellationToken cancellationToken, [NotKey] string? reason = null);

                private static ValueTask RefreshCoreAsync(string region, CancellationToken cancellationToken, string? reason)
                    => default;
            }
            """,

        ["GenericMethodInGenericType"] = """
            using System.Collections.Generic;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Demo.Caching;

            public partial class Cache<TTenant>
            {
                public partial class Loader
                {
                    [SingleFlight(KeyFrom = "tenant, key")]
                    public partial Task<IReadOnlyList<TValue>> LoadAsync<TKey, TValue>(TTenant tenant, TKey key)
                        where TKey : notnull
                        where TValue : class;

                    private Task<IReadOnlyList<TValue>> LoadCoreAsync<TKey, TValue>(TTenant tenant, TKey key)
                        where TKey : notnull
                        where TValue : class
                        => Task.FromResult<IReadOnlyList<TValue>>(new List<TValue>());
                }
            }
            """,

        ["BlockingCompositeKeyWithUsings"] = """
            using SingleFlight;

            namespace Demo
            {
                namespace Reports
                {
                    using System.Globalization;

                    public partial class ReportService
                    {
                        [SingleFlight(KeyFrom = "tenant, id.ToString(CultureInfo.InvariantCulture)")]
                        public partial string Render(string tenant, int id);

                        private string RenderCore(string tenant, int id) => tenant + id;
                    }
                }
            }
            """,

        ["VoidInRecordStruct"] = """
            using SingleFlight;

            namespace Demo;

            public readonly record struct Big(long A, long B);

            public partial record struct Pipeline(string Name)
            {
                [SingleFlight(KeyFrom = "big.A, @class")]
                public readonly partial void Flush(in Big big, string @class, params int[] extra);

                private readonly void FlushCore(in Big big, string @class, params int[] extra)
                {
                }
            }
            """,

        ["FlightScopeTaskOfT"] = """
            using System;
            using System.Threading;
            using System.Threading.Tasks;
            using Microsoft.Extensions.DependencyInjection;
            using SingleFlight;

            namespace Demo;

            public sealed record User(int Id, string Name);

            public sealed class AppDb : IAsyncDisposable
            {
                public Task<User?> FindAsync(int id, CancellationToken cancellationToken) => Task.FromResult<User?>(new User(id, "user" + id));

                public ValueTask DisposeAsync() => default;
            }

            public interface IAudit
            {
                void Record(string what);
            }

            public sealed partial class UserRepository(IServiceScopeFactory scopes)
            {
                [SingleFlight(KeyFrom = "id")]
                public partial Task<User?> GetUserAsync(int id, CancellationToken cancellationToken = default);

                private static async Task<User?> GetUserCoreAsync(int id, [FromFlightScope] AppDb db, [FromFlightScope] IAudit? audit, CancellationToken cancellationToken)
                {
                    audit?.Record("user " + id);
                    return await db.FindAsync(id, cancellationToken);
                }
            }
            """,

        ["FlightScopeBlocking"] = """
            using Microsoft.Extensions.DependencyInjection;
            using SingleFlight;

            namespace Demo;

            public sealed class Catalog
            {
                public string Lookup(string sku) => sku.ToUpperInvariant();
            }

            public partial class CatalogService
            {
                private readonly IServiceScopeFactory _scopes;

                public CatalogService(IServiceScopeFactory scopes) => _scopes = scopes;

                [SingleFlight]
                public partial string Describe(string sku);

                private string DescribeCore([FromFlightScope] Catalog catalog, string sku) => catalog.Lookup(sku);
            }
            """,

        ["InstanceScopeNoParameters"] = """
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Demo;

            public sealed partial class Connection
            {
                [SingleFlight(Scope = SingleFlightScope.Instance)]
                public partial Task ReconnectAsync(CancellationToken cancellationToken = default);

                private Task ReconnectCoreAsync(CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """,

        ["DistributedWithJsonContext"] = """
            using System;
            using System.Text.Json;
            using System.Text.Json.Serialization;
            using System.Text.Json.Serialization.Metadata;
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Demo;

            public sealed record User(int Id, string Name);

            public sealed partial class UserRepository
            {
                [SingleFlight(KeyFrom = "tenant, id", Distributed = true)]
                public partial Task<User?> GetUserAsync(string tenant, int id, CancellationToken cancellationToken = default);

                private Task<User?> GetUserCoreAsync(string tenant, int id, CancellationToken cancellationToken)
                    => Task.FromResult<User?>(new User(id, tenant));
            }

            // Written by hand here; in a real project the System.Text.Json generator writes this part.
            [JsonSerializable(typeof(User))]
            internal sealed class AppJson(JsonSerializerOptions options) : JsonSerializerContext(options)
            {
                public static AppJson Default { get; } = new(new JsonSerializerOptions());

                protected override JsonSerializerOptions? GeneratedSerializerOptions => null;

                public override JsonTypeInfo? GetTypeInfo(Type type) => null;
            }
            """,

        ["LifetimeOptions"] = """
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Demo;

            public sealed partial class Quotes
            {
                [SingleFlight(DeadlineMilliseconds = 5000, ShareForMilliseconds = 250)]
                public partial Task<decimal> GetQuoteAsync(string symbol, CancellationToken cancellationToken = default);

                private Task<decimal> GetQuoteCoreAsync(string symbol, CancellationToken cancellationToken) => Task.FromResult(1m);
            }
            """,

        ["ShareWindowBlockingInstance"] = """
            using SingleFlight;

            namespace Demo;

            public sealed partial class Markets
            {
                [SingleFlight(ShareForMilliseconds = 1000, Scope = SingleFlightScope.Instance)]
                public partial int CountOpen(string market);

                private int CountOpenCore(string market) => market.Length;
            }
            """,

        ["DistributedDeadline"] = """
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Demo;

            public static partial class Inventory
            {
                [SingleFlight(Distributed = true, DeadlineMilliseconds = 30000)]
                public static partial Task<int> CountAsync(string sku, CancellationToken cancellationToken = default);

                private static Task<int> CountCoreAsync(string sku, CancellationToken cancellationToken) => Task.FromResult(sku.Length);
            }
            """,

        ["DistributedReflectionJson"] = """
            using System.Collections.Generic;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Demo;

            public static partial class Prices
            {
                [SingleFlight(Distributed = true, OperationName = "prices.by-day")]
                public static partial ValueTask<IReadOnlyList<decimal>> GetAsync(System.DateOnly day, string currency);

                private static ValueTask<IReadOnlyList<decimal>> GetCoreAsync(System.DateOnly day, string currency)
                    => new(new List<decimal> { 1m });
            }
            """,

        ["StubWhenTheCoreIsMissing"] = """
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Demo;

            public partial class Stock
            {
                // SF0002: the core must be CountCoreAsync. The generator writes a stub that throws, so that the build
                // reports SF0002 rather than the compiler's CS8795.
                [SingleFlight]
                internal partial Task<int> CountAsync(string sku);

                private Task<int> CountCore(string sku) => Task.FromResult(sku.Length);
            }
            """,

        ["TrimAnnotatedArguments"] = """
            using System;
            using System.Diagnostics.CodeAnalysis;
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            namespace Demo;

            public sealed class Set<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T> { }

            public partial class Store
            {
                // The state struct keeps the argument's annotation, the holder class the type parameter's: no IL2077/IL2091.
                [SingleFlight]
                public partial Task<Set<TEntity>> FindAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TEntity>(
                    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties)] Type entityType,
                    int id,
                    CancellationToken cancellationToken = default)
                    where TEntity : class;

                private Task<Set<TEntity>> FindCoreAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TEntity>(
                    [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties)] Type entityType,
                    int id,
                    CancellationToken cancellationToken)
                    where TEntity : class
                    => Task.FromResult(new Set<TEntity>());
            }
            """,

        ["DistributedNoResult"] = """
            using System.Threading;
            using System.Threading.Tasks;
            using SingleFlight;

            public partial class Warmer
            {
                [SingleFlight(Distributed = true)]
                public partial Task WarmAsync(CancellationToken cancellationToken);

                private Task WarmCoreAsync(CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """,
    };

    [Fact]
    public void Hint_names_are_stable_and_distinct_for_overloads_and_namespaces()
    {
        var run = TestCompiler.Run(TestCompiler.Create("""
            using System.Threading.Tasks;
            using SingleFlight;

            namespace A
            {
                public partial class Twin
                {
                    [SingleFlight] public partial Task<int> GetAsync(int id);
                    [SingleFlight] public partial Task<int> GetAsync(long id);
                    [SingleFlight] public partial Task<T> GetAsync<T>(T id);
                    private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
                    private Task<int> GetCoreAsync(long id) => Task.FromResult((int)id);
                    private Task<T> GetCoreAsync<T>(T id) => Task.FromResult(id);
                }
            }

            namespace B
            {
                public partial class Twin
                {
                    [SingleFlight] public partial Task<int> GetAsync(int id);
                    private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
                }
            }
            """));

        // The names are part of what users see (obj/generated, debugger): they must not change between builds.
        Assert.Equal(
            [
                "A.Twin.GetAsync.2a3a941e.g.cs",
                "A.Twin.GetAsync.7220d9e5.g.cs",
                "A.Twin.GetAsync`1.f0d93e65.g.cs",
                "B.Twin.GetAsync.a9c3bd08.g.cs",
            ],
            run.Sources.Select(static s => s.HintName).Order(StringComparer.Ordinal));
        Assert.True(TestCompiler.Problems(run.Output).IsEmpty, TestCompiler.Format(TestCompiler.Problems(run.Output)));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Generated_source_matches_snapshot(string shape)
    {
        var run = TestCompiler.Run(TestCompiler.CreateDistributed(s_inputs[shape]));
        Assert.Null(run.Exception);
        var problems = TestCompiler.Problems(run.Output);
        Assert.True(problems.IsEmpty, TestCompiler.Format(problems));

        var generated = Assert.Single(run.Sources);
        var actual = generated.SourceText.ToString();
        var path = Path.Combine(TestPaths.Snapshots, shape + ".verified.cs");
        if (Environment.GetEnvironmentVariable("SINGLEFLIGHT_ACCEPT_SNAPSHOTS") == "1")
        {
            Directory.CreateDirectory(TestPaths.Snapshots);
            File.WriteAllText(path, actual);
            return;
        }

        var received = Path.Combine(TestPaths.Snapshots, shape + ".received.cs");
        if (!File.Exists(path))
        {
            File.WriteAllText(received, actual);
            Assert.Fail($"No snapshot {path}. The output is in {received}; accept it with SINGLEFLIGHT_ACCEPT_SNAPSHOTS=1.");
        }

        var expected = File.ReadAllText(path);
        if (expected != actual)
        {
            File.WriteAllText(received, actual);
        }
        else if (File.Exists(received))
        {
            File.Delete(received);
        }

        Assert.Equal(expected, actual);
    }
}
