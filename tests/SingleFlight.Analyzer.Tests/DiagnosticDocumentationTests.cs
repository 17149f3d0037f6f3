using Microsoft.CodeAnalysis;
using SingleFlight.Generator.Analyzers;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Analyzer.Tests;

/// <summary>
/// Every diagnostic the analyzer reports has its help page, a row in the diagnostics index and in the README, and
/// a release-tracking entry with its category and severity.
/// </summary>
public sealed class DiagnosticDocumentationTests
{
    private static readonly string s_root = Path.GetFullPath(Path.Combine(TestPaths.ProjectDirectory, "..", ".."));

    public static TheoryData<string> Ids => new(new SingleFlightAnalyzer().SupportedDiagnostics.Select(static d => d.Id).Distinct());

    private static DiagnosticDescriptor Descriptor(string id) => new SingleFlightAnalyzer().SupportedDiagnostics.First(d => d.Id == id);

    /// <summary>
    /// The id's severities as the pages state them, highest first: <c>Warning</c>, or <c>Warning; Info</c> for an id whose
    /// messages do not all have the same severity (SF0014). Release tracking has the highest.
    /// </summary>
    private static string Severities(string id)
        => string.Join("; ", new SingleFlightAnalyzer().SupportedDiagnostics
            .Where(d => d.Id == id)
            .Select(static d => d.DefaultSeverity)
            .Distinct()
            .OrderByDescending(static s => s));

    [Theory]
    [MemberData(nameof(Ids))]
    public void Help_page_exists_and_states_the_severity(string id)
    {
        var descriptor = Descriptor(id);
        Assert.EndsWith("/docs/diagnostics/" + id + ".md", descriptor.HelpLinkUri, StringComparison.Ordinal);

        var page = File.ReadAllText(Path.Combine(s_root, "docs", "diagnostics", id + ".md"));
        Assert.StartsWith("# " + id + ": ", page, StringComparison.Ordinal);
        Assert.Contains("| Severity | " + Severities(id) + (Severities(id).Contains(';', StringComparison.Ordinal) ? " " : " |"), page, StringComparison.Ordinal);
        Assert.Contains("| Category | " + descriptor.Category + " |", page, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Indexes_list_it(string id)
    {
        var descriptor = Descriptor(id);
        var index = File.ReadAllText(Path.Combine(s_root, "docs", "diagnostics", "README.md"));
        Assert.Contains($"| [{id}]({id}.md) | {Severities(id)} | {descriptor.Category} |", index, StringComparison.Ordinal);

        var readme = File.ReadAllText(Path.Combine(s_root, "README.md"));
        Assert.Contains($"| [{id}](docs/diagnostics/{id}.md) |", readme, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Release_tracking_has_it(string id)
    {
        var descriptor = Descriptor(id);
        var releases = File.ReadAllLines(Path.Combine(s_root, "src", "Generator", "AnalyzerReleases.Unshipped.md"))
            .Concat(File.ReadAllLines(Path.Combine(s_root, "src", "Generator", "AnalyzerReleases.Shipped.md")));
        Assert.Contains(releases, line => line.StartsWith($"{id} | {descriptor.Category} | {Severities(id).Split(';')[0]} |", StringComparison.Ordinal));
    }
}
