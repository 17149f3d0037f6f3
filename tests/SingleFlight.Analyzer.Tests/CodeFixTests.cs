using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using SingleFlight.Analyzer.Tests.Infrastructure;
using SingleFlight.Generator.CodeFixes;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// Every code fix: input → expected output (single fix and Fix All), then the output compiles with the
/// generator, without warnings, and has no SF diagnostic left.
/// </summary>
public sealed class CodeFixTests
{
    private const string Header = """
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Users;

        """;

    private static async Task FixAndCompileAsync<TFix>(string source, string fixedSource, int iterations = 1, string? fixedHeader = null)
        where TFix : CodeFixProvider, new()
    {
        fixedSource = (fixedHeader ?? Header) + fixedSource;
        var test = new FixTest<TFix>(Header + source, fixedSource);
        if (iterations > 1)
        {
            test.NumberOfIncrementalIterations = iterations;
            test.NumberOfFixAllIterations = 1;
        }

        await test.RunAsync();

        var diagnostics = await Pipeline.RunAsync(fixedSource);
        Assert.True(diagnostics.IsEmpty, Pipeline.Format(diagnostics));
    }

    // ---- SF0001 ------------------------------------------------------------------------------------------

    [Fact]
    public Task SF0001_splits_an_ordinary_async_method() => FixAndCompileAsync<MakePartialCodeFixProvider>(
        """
        public class UserRepository
        {
            /// <summary>Gets a user.</summary>
            [SingleFlight(KeyFrom = "id")]
            public async Task<string> {|SF0001:GetUserAsync|}(int id, CancellationToken cancellationToken = default)
            {
                await Task.Delay(1, cancellationToken);
                return "user" + id;
            }
        }
        """,
        """
        public partial class UserRepository
        {
            /// <summary>Gets a user.</summary>
            [SingleFlight(KeyFrom = "id")]
            public partial Task<string> GetUserAsync(int id, CancellationToken cancellationToken = default);

            private async Task<string> GetUserCoreAsync(int id, CancellationToken cancellationToken)
            {
                await Task.Delay(1, cancellationToken);
                return "user" + id;
            }
        }
        """);

    [Fact]
    public Task SF0001_splits_an_expression_bodied_static_method_in_nested_types() => FixAndCompileAsync<MakePartialCodeFixProvider>(
        """
        public static class Outer
        {
            internal sealed class Prices
            {
                [SingleFlight]
                internal static decimal {|SF0001:GetPrice|}(string sku) => sku.Length * 1.5m;
            }
        }
        """,
        """
        public static partial class Outer
        {
            internal sealed partial class Prices
            {
                [SingleFlight]
                internal static partial decimal GetPrice(string sku);

                private static decimal GetPriceCore(string sku) => sku.Length * 1.5m;
            }
        }
        """);

    [Fact]
    public Task SF0001_makes_the_containing_type_partial() => FixAndCompileAsync<MakePartialCodeFixProvider>(
        """
        public class Repo
        {
            [SingleFlight(KeyFrom = "id")]
            public partial Task<int> {|SF0001:GetAsync|}(int id);

            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
        }
        """,
        """
        public partial class Repo
        {
            [SingleFlight(KeyFrom = "id")]
            public partial Task<int> GetAsync(int id);

            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
        }
        """);

    [Fact]
    public Task SF0001_fix_all_in_a_document_with_several_methods() => FixAndCompileAsync<MakePartialCodeFixProvider>(
        """
        public class Catalog
        {
            [SingleFlight(KeyFrom = "id")]
            public Task<string> {|SF0001:GetNameAsync|}(int id) => Task.FromResult("n" + id);

            [SingleFlight]
            public ValueTask<int> {|SF0001:CountAsync|}(string category) => new(category.Length);

            [SingleFlight]
            public void {|SF0001:Warm|}(int region)
            {
                _ = region;
            }
        }
        """,
        """
        public partial class Catalog
        {
            [SingleFlight(KeyFrom = "id")]
            public partial Task<string> GetNameAsync(int id);

            private Task<string> GetNameCoreAsync(int id) => Task.FromResult("n" + id);

            [SingleFlight]
            public partial ValueTask<int> CountAsync(string category);

            private ValueTask<int> CountCoreAsync(string category) => new(category.Length);

            [SingleFlight]
            public partial void Warm(int region);

            private void WarmCore(int region)
            {
                _ = region;
            }
        }
        """,
        iterations: 3);

    [Fact]
    public Task SF0001_splits_a_lone_partial_method_with_a_body() => FixAndCompileAsync<MakePartialCodeFixProvider>(
        """
        public partial class Repo
        {
            [SingleFlight]
            public partial Task<int> {|SF0001:GetAsync|}(int id) => Task.FromResult(id);
        }
        """,
        """
        public partial class Repo
        {
            [SingleFlight]
            public partial Task<int> GetAsync(int id);

            private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
        }
        """);

    [Fact]
    public Task SF0001_no_split_of_a_hand_written_implementation()
    {
        var source = Header + """
            public partial class Repo
            {
                public partial Task<int> GetAsync(int id);

                [SingleFlight]
                public partial Task<int> {|SF0001:GetAsync|}(int id) => GetCoreAsync(id);

                private Task<int> GetCoreAsync(int id) => Task.FromResult(id);
            }
            """;
        return new FixTest<MakePartialCodeFixProvider>(source, source).RunAsync();
    }

    // ---- SF0016 ------------------------------------------------------------------------------------------

    [Fact]
    public Task SF0016_adds_the_batch_core_and_its_using() => FixAndCompileAsync<AddBatchCoreCodeFixProvider>(
        """
        public partial class Catalog
        {
            [SingleFlight(BatchWindowMilliseconds = 2)]
            public partial Task<string?> {|SF0016:GetNameAsync|}(int id, CancellationToken cancellationToken = default);

            [SingleFlight(BatchWindowMilliseconds = 2, MaxBatchSize = 10)]
            public static partial ValueTask<Guid> {|SF0016:FindAsync|}(string code);
        }
        """,
        """
        public partial class Catalog
        {
            [SingleFlight(BatchWindowMilliseconds = 2)]
            public partial Task<string?> GetNameAsync(int id, CancellationToken cancellationToken = default);

            private Task<IReadOnlyDictionary<int, string>> GetNameCoreAsync(IReadOnlyCollection<int> keys, CancellationToken cancellationToken) => throw new NotImplementedException();

            [SingleFlight(BatchWindowMilliseconds = 2, MaxBatchSize = 10)]
            public static partial ValueTask<Guid> FindAsync(string code);

            private static ValueTask<IReadOnlyDictionary<string, Guid>> FindCoreAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken) => throw new NotImplementedException();
        }
        """,
        fixedHeader: Header.Replace("using System;\n", "using System;\nusing System.Collections.Generic;\n", StringComparison.Ordinal));

    // ---- SF0002 ------------------------------------------------------------------------------------------

    [Fact]
    public Task SF0002_adds_a_core_stub() => FixAndCompileAsync<AddCoreMethodCodeFixProvider>(
        """
        public partial class Repo
        {
            [SingleFlight(KeyFrom = "id")]
            public partial Task<string> {|SF0002:GetAsync|}(int id, [NotKey] string? traceId = null, CancellationToken cancellationToken = default);
        }
        """,
        """
        public partial class Repo
        {
            [SingleFlight(KeyFrom = "id")]
            public partial Task<string> GetAsync(int id, [NotKey] string? traceId = null, CancellationToken cancellationToken = default);

            private Task<string> GetCoreAsync(int id, string? traceId, CancellationToken cancellationToken)
            {
                throw new NotImplementedException();
            }
        }
        """);

    [Fact]
    public Task SF0002_fix_all_adds_generic_and_static_stubs() => FixAndCompileAsync<AddCoreMethodCodeFixProvider>(
        """
        public partial class Repo
        {
            [SingleFlight]
            public static partial T {|SF0002:Load|}<T>(string name) where T : class;

            [SingleFlight(KeyFrom = "id")]
            public partial ValueTask {|SF0002:RefreshAsync|}(int id);
        }
        """,
        """
        public partial class Repo
        {
            [SingleFlight]
            public static partial T Load<T>(string name) where T : class;

            private static T LoadCore<T>(string name) where T : class
            {
                throw new NotImplementedException();
            }

            [SingleFlight(KeyFrom = "id")]
            public partial ValueTask RefreshAsync(int id);

            private ValueTask RefreshCoreAsync(int id)
            {
                throw new NotImplementedException();
            }
        }
        """,
        iterations: 2);

    // ---- SF0004 ------------------------------------------------------------------------------------------

    [Fact]
    public Task SF0004_uses_the_closest_parameter_name() => FixAndCompileAsync<UseClosestParameterNameCodeFixProvider>(
        """
        public partial class Repo
        {
            [SingleFlight(KeyFrom = "tenant, {|SF0004:usrId|}")]
            public partial Task<int> GetAsync(string tenant, int userId);
            private Task<int> GetCoreAsync(string tenant, int userId) => Task.FromResult(userId);

            [SingleFlight(KeyFrom = "{|SF0004:Tenant|}.Length")]
            public partial Task<int> CountAsync(string tenant);
            private Task<int> CountCoreAsync(string tenant) => Task.FromResult(tenant.Length);
        }
        """,
        """
        public partial class Repo
        {
            [SingleFlight(KeyFrom = "tenant, userId")]
            public partial Task<int> GetAsync(string tenant, int userId);
            private Task<int> GetCoreAsync(string tenant, int userId) => Task.FromResult(userId);

            [SingleFlight(KeyFrom = "tenant.Length")]
            public partial Task<int> CountAsync(string tenant);
            private Task<int> CountCoreAsync(string tenant) => Task.FromResult(tenant.Length);
        }
        """,
        iterations: 2);

    // ---- SF0009 ------------------------------------------------------------------------------------------

    [Fact]
    public Task SF0009_concatenation_and_interpolation_become_tuple_keys() => FixAndCompileAsync<UseTupleKeyCodeFixProvider>(
        """
        public partial class Repo
        {
            [SingleFlight(KeyFrom = "{|SF0009:tenant + \":\" + userId|}")]
            public partial Task<int> GetAsync(string tenant, string userId);
            private Task<int> GetCoreAsync(string tenant, string userId) => Task.FromResult(1);

            [SingleFlight(KeyFrom = "{|SF0009:$\"{region}/{id}\"|}")]
            public partial Task<int> FindAsync(string region, int id);
            private Task<int> FindCoreAsync(string region, int id) => Task.FromResult(id);
        }
        """,
        """
        public partial class Repo
        {
            [SingleFlight(KeyFrom = "tenant, userId")]
            public partial Task<int> GetAsync(string tenant, string userId);
            private Task<int> GetCoreAsync(string tenant, string userId) => Task.FromResult(1);

            [SingleFlight(KeyFrom = "region, id")]
            public partial Task<int> FindAsync(string region, int id);
            private Task<int> FindCoreAsync(string region, int id) => Task.FromResult(id);
        }
        """,
        iterations: 2);

    [Fact]
    public Task SF0009_no_fix_when_a_hole_is_formatted()
    {
        var source = Header + """
            public partial class Repo
            {
                [SingleFlight(KeyFrom = "{|SF0009:$\"{region}/{id:D4}\"|}")]
                public partial Task<int> FindAsync(string region, int id);
                private Task<int> FindCoreAsync(string region, int id) => Task.FromResult(id);
            }
            """;
        return new FixTest<UseTupleKeyCodeFixProvider>(source, source).RunAsync();
    }
}
