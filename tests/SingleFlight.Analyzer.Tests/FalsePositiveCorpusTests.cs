using SingleFlight.Analyzer.Tests.Infrastructure;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// Valid, realistic keys: each compiles with the generator, without warnings, and gets no SF diagnostic at all
/// (not even the SF0008 note: every parameter is in the key, a token or [NotKey]).
/// </summary>
public sealed class FalsePositiveCorpusTests
{
    private const string Types = """
        public enum Region { Eu, Us }
        public sealed record Tenant(string Name, int Id);
        public readonly record struct OrderKey(Guid Tenant, long Number);
        public sealed record Request(Tenant Tenant, string Path, int Page);
        public sealed record Query(string Text, Region Region, int Page, int Size);
        public sealed class Sku : IEquatable<Sku>
        {
            public Sku(string code) => Code = code;
            public string Code { get; }
            public bool Equals(Sku? other) => other is not null && other.Code == Code;
            public override bool Equals(object? obj) => Equals(obj as Sku);
            public override int GetHashCode() => Code.GetHashCode(StringComparison.Ordinal);
        }
        """;

    /// <summary>name → (parameters, KeyFrom as C# source).</summary>
    private static readonly Dictionary<string, (string Parameters, string KeyFrom)> s_keys = new()
    {
        ["int id"] = ("int id", "\"id\""),
        ["long id with token"] = ("long id, CancellationToken cancellationToken", "\"id\""),
        ["string name"] = ("string name", "\"name\""),
        ["Guid parameter"] = ("Guid userId", "\"userId\""),
        ["enum"] = ("Region region", "\"region\""),
        ["nameof as the whole KeyFrom"] = ("int id", "nameof(id)"),
        ["composite of primitives"] = ("string tenant, int id", "\"tenant, id\""),
        ["composite with Guid and enum"] = ("Guid tenant, Region region, int page", "\"tenant, region, page\""),
        ["record"] = ("Tenant tenant", "\"tenant\""),
        ["record struct"] = ("OrderKey key", "\"key\""),
        ["member path into record"] = ("Request request", "\"request.Tenant.Id, request.Path\""),
        ["member path with page"] = ("Request request", "\"request.Tenant, request.Path, request.Page\""),
        ["record struct members"] = ("OrderKey key", "\"key.Tenant, key.Number\""),
        ["tuple parameter"] = ("(string Tenant, int Id) pair", "\"pair\""),
        ["tuple expression"] = ("string tenant, int id", "\"(tenant, id)\""),
        ["tuple of records"] = ("Tenant tenant, OrderKey order", "\"(tenant, order)\""),
        ["invariant ToString of decimal"] = ("decimal price", "\"price.ToString(CultureInfo.InvariantCulture)\""),
        ["invariant round-trip DateTime"] = ("DateTime day", "\"day.ToString(\\\"O\\\", CultureInfo.InvariantCulture)\""),
        ["DateTimeOffset value"] = ("DateTimeOffset at", "\"at\""),
        ["DateOnly value"] = ("DateOnly day", "\"day\""),
        ["normalized string"] = ("string email", "\"email.ToUpperInvariant()\""),
        ["trimmed string"] = ("string code", "\"code.Trim()\""),
        ["int formatted"] = ("int id", "\"id.ToString(CultureInfo.InvariantCulture)\""),
        ["equatable class"] = ("Sku sku", "\"sku\""),
        ["query record members"] = ("Query query", "\"query.Text, query.Region, query.Page, query.Size\""),
        ["nullable int"] = ("int? page", "\"page\""),
        ["nullable string"] = ("string? filter", "\"filter\""),
        ["NotKey parameter left out"] = ("int id, [NotKey] string correlationId", "\"id\""),
        ["conditional default"] = ("string? region", "\"region ?? \\\"global\\\"\""),
        ["length of a name"] = ("string name, int id", "\"name.Length, id\""),
        ["verbatim string"] = ("string tenant, int id", "@\"tenant, id\""),
        ["raw string"] = ("string tenant, int id", "\"\"\"tenant, id\"\"\""),
        ["constant prefix only"] = ("int id", "\"\\\"user:\\\" + id\""),
        ["empty KeyFrom"] = ("int id, string name", "\"\""),
        ["no parameters"] = ("", "\"\""),
    };

    public static TheoryData<string> Cases => new(s_keys.Keys);

    [Fact]
    public void Corpus_has_at_least_25_keys() => Assert.True(s_keys.Count >= 25);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Valid_key_has_no_diagnostic(string name)
    {
        var (parameters, keyFrom) = s_keys[name];
        var source = Source.Usings + $$"""
            public partial class Service
            {
                [SingleFlight(KeyFrom = {{keyFrom}})]
                public partial Task<string> GetAsync({{parameters}});

                private Task<string> GetCoreAsync({{parameters}}) => Task.FromResult("value");
            }

            {{Types}}
            """;

        var diagnostics = await Pipeline.RunAsync(source);
        Assert.True(diagnostics.IsEmpty, Pipeline.Format(diagnostics));
    }
}
