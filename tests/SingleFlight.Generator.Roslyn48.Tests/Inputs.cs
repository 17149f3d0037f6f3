namespace SingleFlight.Generator.Roslyn48.Tests;

/// <summary>User code the tests compile with Roslyn 4.8: representative shapes, written in C# 12 at most.</summary>
internal static class Inputs
{
    /// <summary>An async instance method with <c>KeyFrom</c>; its core waits on a gate the test opens.</summary>
    public const string InstanceTaskOfT = """
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Demo;

        public sealed partial class UserRepository
        {
            public TaskCompletionSource<bool> Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public int Executions;

            [SingleFlight(KeyFrom = "id")]
            public partial Task<string> GetUserAsync(int id, CancellationToken cancellationToken = default);

            private async Task<string> GetUserCoreAsync(int id, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref Executions);
                await Gate.Task.ConfigureAwait(false);
                return "user" + id;
            }
        }
        """;

    public const string StaticValueTaskDefaultKey = """
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
        """;

    public const string Blocking = """
        using SingleFlight;

        namespace Demo.Reports;

        public partial class ReportBuilder
        {
            [SingleFlight(KeyFrom = "tenant, year")]
            public partial string Build(string tenant, int year, [NotKey] bool verbose);

            private string BuildCore(string tenant, int year, bool verbose) => tenant + year + verbose;
        }
        """;

    /// <summary>A key the generator cannot resolve from symbols alone: it binds the expression speculatively.</summary>
    public const string BoundKey = """
        using System.Globalization;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Demo;

        public partial class Prices
        {
            [SingleFlight(KeyFrom = "id.ToString(CultureInfo.InvariantCulture)")]
            public partial Task<decimal> GetAsync(int id);

            private Task<decimal> GetCoreAsync(int id) => Task.FromResult((decimal)id);
        }
        """;

    public const string GenericMethod = """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Demo.Caching;

        public partial class Cache<TTenant>
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
        """;

    /// <summary>No <c>GetUserCoreAsync</c>: the analyzer reports SF0002 and the generator writes a throwing stub.</summary>
    public const string MissingCore = """
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Demo;

        public partial class Orders
        {
            [SingleFlight]
            public partial Task<int> GetUserAsync(int id, CancellationToken cancellationToken);
        }
        """;

    /// <summary>A key that changes on every call: SF0005, a warning.</summary>
    public const string NonDeterministicKey = """
        using System;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Demo;

        public partial class Quotes
        {
            [SingleFlight(KeyFrom = "id, DateTime.Now")]
            public partial Task<int> GetAsync(int id);

            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
        }
        """;

    public const string SyntaxErrors = """
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Demo;

        public partial class Broken
        {
            [SingleFlight(KeyFrom = "id,"
            public partial Task<int> GetAsync(int id
            private Task<int> GetCoreAsync(int id) => Task.FromResult(id
        """;

    public const string Unrelated = """
        namespace Demo;

        public static class Helpers
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    /// <summary>Trimming annotations on an argument and a type parameter: a state struct and an annotated holder class.</summary>
    public const string TrimAnnotated = """
        using System;
        using System.Diagnostics.CodeAnalysis;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Demo;

        public sealed class Box<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T> { }

        public partial class Store
        {
            [SingleFlight]
            public partial Task<Box<T>> MakeAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(
                [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.PublicFields)] Type type, int id);

            private Task<Box<T>> MakeCoreAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(
                [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.PublicFields)] Type type, int id)
                => Task.FromResult(new Box<T>());
        }
        """;

    /// <summary>SF0003: a ref struct parameter, implemented with a stub that throws.</summary>
    public const string RefStructParameter = """
        using System;
        using SingleFlight;

        namespace Demo;

        public static partial class Text
        {
            [SingleFlight]
            public static partial int Count(ReadOnlySpan<char> text);

            private static int CountCore(ReadOnlySpan<char> text) => text.Length;
        }
        """;

    /// <summary>SF0012: the core of a shared flight uses a disposable primary-constructor parameter.</summary>
    public const string LeaderDisposable = """
        using System;
        using System.Threading.Tasks;
        using SingleFlight;

        public sealed class AppDb : IDisposable
        {
            public void Dispose() { }

            public int Count(int id) => id;
        }

        public sealed partial class Repo(AppDb db)
        {
            [SingleFlight]
            public partial Task<int> CountAsync(int id);

            private Task<int> CountCoreAsync(int id) => Task.FromResult(db.Count(id));
        }
        """;

    /// <summary>SF0013: the core of a shared flight reads a tenant context that is not in the key.</summary>
    public const string CallerTenant = """
        using System.Threading.Tasks;
        using SingleFlight;

        public interface ITenantContext
        {
            string TenantId { get; }
        }

        public sealed partial class Settings(ITenantContext tenant)
        {
            [SingleFlight]
            public partial Task<string> GetAsync(int id);

            private Task<string> GetCoreAsync(int id) => Task.FromResult(tenant.TenantId + id);
        }
        """;

    /// <summary>SF0014 (warning): a stream every caller of the flight would read.</summary>
    public const string StreamResult = """
        using System.IO;
        using System.Threading.Tasks;
        using SingleFlight;

        public sealed partial class Files
        {
            [SingleFlight]
            public partial Task<Stream> OpenAsync(string name);

            private Task<Stream> OpenCoreAsync(string name) => Task.FromResult<Stream>(new MemoryStream());
        }
        """;

    /// <summary>SF0014 (info): a list every caller of the flight could change, in a tuple.</summary>
    public const string ListResult = """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using SingleFlight;

        public sealed partial class Lists
        {
            [SingleFlight]
            public partial Task<(List<int> Items, int Total)?> GetAsync(string name);

            private async Task<(List<int> Items, int Total)?> GetCoreAsync(string name)
            {
                await Task.Yield();
                return (new List<int>(), 0);
            }
        }
        """;

    /// <summary>A batch method and a batched single-key method; the batch core waits on a gate the test opens.</summary>
    public const string Batch = """
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Demo;

        public sealed partial class Catalog
        {
            public TaskCompletionSource<bool> Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public List<int[]> Calls { get; } = new();

            [SingleFlight]
            public partial Task<IReadOnlyDictionary<int, string>> GetManyAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken = default);

            private async Task<Dictionary<int, string>> GetManyCoreAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken)
            {
                lock (Calls)
                {
                    Calls.Add(ids.ToArray());
                }

                await Gate.Task.ConfigureAwait(false);
                return ids.ToDictionary(static id => id, static id => "p" + id);
            }

            [SingleFlight(BatchWindowMilliseconds = 2, MaxBatchSize = 10)]
            public partial ValueTask<string?> FindAsync(int id);

            private static Task<IReadOnlyDictionary<int, string>> FindCoreAsync(IReadOnlyList<int> ids)
                => Task.FromResult<IReadOnlyDictionary<int, string>>(ids.ToDictionary(static id => id, static id => "f" + id));
        }
        """;

    /// <summary>A batched single-key method whose core takes one key (SF0016).</summary>
    public const string BatchedWithoutBatchCore = """
        using System.Threading.Tasks;
        using SingleFlight;

        public sealed partial class Catalog
        {
            [SingleFlight(BatchWindowMilliseconds = 2)]
            public partial Task<string> FindAsync(int id);

            private Task<string> FindCoreAsync(int id) => Task.FromResult("x");
        }
        """;
}
