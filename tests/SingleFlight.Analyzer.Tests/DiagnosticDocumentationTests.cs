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

    [Theory]
    [MemberData(nameof(Ids))]
    public void Help_page_exists_and_states_the_severity(string id)
    {
        var descriptor = Descriptor(id);
        Assert.EndsWith("/docs/diagnostics/" + id + ".md", descriptor.HelpLinkUri, StringComparison.Ordinal);

        var page = File.ReadAllText(Path.Combine(s_root, "docs", "diagnostics", id + ".md"));
        Assert.StartsWith("# " + id + ": ", page, StringComparison.Ordinal);
        Assert.Contains("| Severity | " + descriptor.DefaultSeverity + " |", page, StringComparison.Ordinal);
        Assert.Contains("| Category | " + descriptor.Category + " |", page, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Indexes_list_it(string id)
    {
        var descriptor = Descriptor(id);
        var index = File.ReadAllText(Path.Combine(s_root, "docs", "diagnostics", "README.md"));
        Assert.Contains($"| [{id}]({id}.md) | {descriptor.DefaultSeverity} | {descriptor.Category} |", index, StringComparison.Ordinal);

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
        Assert.Contains(releases, line => line.StartsWith($"{id} | {descriptor.Category} | {descriptor.DefaultSeverity} |", StringComparison.Ordinal));
    }
}
