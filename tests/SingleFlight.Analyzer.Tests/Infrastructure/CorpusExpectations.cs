using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace SingleFlight.Analyzer.Tests.Infrastructure;

/// <summary>
/// What a careful reviewer says the user of one <c>[SingleFlight]</c> method in a corpus should be told: the ids in its
/// <c>// expect:</c> label.
/// </summary>
/// <param name="File">The file, relative to the corpus folder, with forward slashes (also the syntax tree's path).</param>
/// <param name="TypeName">The containing type: namespace, enclosing types and type, with <c>`arity</c> for generic types.</param>
/// <param name="MethodName">The <c>[SingleFlight]</c> method's name.</param>
/// <param name="CoreMethodName">The name its core method has by convention (<c>GetAsync</c> → <c>GetCoreAsync</c>).</param>
/// <param name="Line">The one-based line of the method's name.</param>
/// <param name="ExpectedIds">The labelled ids, ordinal order; empty for <c>// expect: none</c>.</param>
/// <param name="Declaration">The span of the annotated declaration (attributes included).</param>
/// <param name="Cores">The methods named <see cref="CoreMethodName"/> in any declaration of the type (file and span).</param>
internal sealed record CorpusExpectation(
    string File,
    string TypeName,
    string MethodName,
    string CoreMethodName,
    int Line,
    ImmutableArray<string> ExpectedIds,
    TextSpan Declaration,
    ImmutableArray<(string File, TextSpan Span)> Cores)
{
    /// <summary>Whether a diagnostic is located on this method's declaration or inside its core.</summary>
    public bool Contains(Diagnostic diagnostic)
        => diagnostic.Location.SourceTree is { } tree
            && ((tree.FilePath == File && Declaration.Contains(diagnostic.Location.SourceSpan))
                || Cores.Any(c => c.File == tree.FilePath && c.Span.Contains(diagnostic.Location.SourceSpan)));

    public override string ToString() => $"{File}:{Line} {TypeName}.{MethodName} expect: {(ExpectedIds.IsEmpty ? "none" : string.Join(' ', ExpectedIds))}";
}

/// <summary>How one method's expected ids compare with the ids reported for it (restricted to the ids compared).</summary>
internal sealed record CorpusVerdict(CorpusExpectation Expectation, ImmutableArray<string> ActualIds)
{
    public IEnumerable<string> FalsePositives => ActualIds.Except(Expectation.ExpectedIds);

    public IEnumerable<string> FalseNegatives => Expectation.ExpectedIds.Except(ActualIds);

    public bool Agrees => !FalsePositives.Any() && !FalseNegatives.Any();

    public override string ToString()
        => $"{Expectation} reported: {(ActualIds.IsEmpty ? "none" : string.Join(' ', ActualIds))}";
}

/// <summary>The labels of a corpus, and the label problems found while reading them.</summary>
internal sealed record CorpusLabels(ImmutableArray<CorpusExpectation> Expectations, ImmutableArray<string> Problems);

/// <summary>
/// Reads a corpus of user code (<c>Corpus/&lt;name&gt;/**/*.cs</c> in this project's source tree) and the
/// <c>// expect:</c> label right above each <c>[SingleFlight]</c> method: <c>// expect: none</c>, or the labelled ids it
/// expects, in ordinal order, separated by spaces (<c>// expect: SF0012</c>, <c>// expect: SF0012 SF0014</c>).
/// </summary>
/// <remarks>
/// The label must be the last comment before the method's first attribute list, and a method has exactly one.
/// Explanations go on comment lines above it. A label anywhere else is a problem (an orphan), so that a label
/// cannot silently stop applying to anything.
/// </remarks>
internal static partial class CorpusExpectations
{
    private const string ProjectFile = "SingleFlight.Analyzer.Tests.csproj";

    /// <summary>The ids a label may name.</summary>
    public static readonly ImmutableArray<string> LabelledIds = ["SF0012", "SF0013", "SF0014"];

    [GeneratedRegex(@"^// expect: (none|SF0012( SF0013)?( SF0014)?|SF0013( SF0014)?|SF0014)$")]
    private static partial Regex LabelPattern();

    [GeneratedRegex(@"^//\s*expect\b", RegexOptions.IgnoreCase)]
    private static partial Regex LabelLike();

    /// <summary>This test project's source directory.</summary>
    public static string ProjectDirectory { get; } = FindProjectDirectory();

    /// <summary>The folder of the named corpus.</summary>
    public static string Directory(string corpus) => Path.Combine(ProjectDirectory, "Corpus", corpus);

    /// <summary>The corpus's C# files: path relative to its folder (forward slashes, ordinal order) and text.</summary>
    public static ImmutableArray<(string Path, string Text)> LoadFiles(string corpus)
    {
        var root = Directory(corpus);
        return System.IO.Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(path => (Path: Path.GetRelativePath(root, path).Replace('\\', '/'), Text: File.ReadAllText(path, Encoding.UTF8)))
            .OrderBy(static f => f.Path, StringComparer.Ordinal)
            .ToImmutableArray();
    }

    /// <summary>The corpus parsed as the analyzer tests parse user code; each tree's path is its file's relative path.</summary>
    public static ImmutableArray<SyntaxTree> Parse(string corpus)
        => LoadFiles(corpus)
            .Select(static f => CSharpSyntaxTree.ParseText(f.Text, TestReferences.ParseOptions, f.Path, Encoding.UTF8))
            .ToImmutableArray();

    /// <summary>Reads every <c>[SingleFlight]</c> method's label.</summary>
    public static CorpusLabels Read(IEnumerable<SyntaxTree> trees)
    {
        var expectations = ImmutableArray.CreateBuilder<CorpusExpectation>();
        var problems = ImmutableArray.CreateBuilder<string>();
        var all = trees.ToList();

        // Every declaration of every type, across files (a partial type's core may be in another file).
        var types = all
            .SelectMany(static t => t.GetRoot().DescendantNodes().OfType<TypeDeclarationSyntax>().Select(d => (t.FilePath, Declaration: d)))
            .ToLookup(static d => QualifiedName(d.Declaration), StringComparer.Ordinal);
        foreach (var tree in all)
        {
            var root = tree.GetRoot();
            var claimed = new HashSet<SyntaxTrivia>();
            foreach (var method in root.DescendantNodes().OfType<MethodDeclarationSyntax>().Where(IsSingleFlight))
            {
                var line = method.Identifier.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                var where = $"{tree.FilePath}:{line} {method.Identifier.Text}";
                var comments = method.GetLeadingTrivia().Where(static t => t.IsKind(SyntaxKind.SingleLineCommentTrivia)).ToList();
                var labels = comments.Where(static t => LabelLike().IsMatch(t.ToString().Trim())).ToList();
                claimed.UnionWith(labels);
                if (labels.Count != 1)
                {
                    problems.Add($"{where}: {labels.Count} '// expect:' labels, expected exactly one");
                    continue;
                }

                var text = labels[0].ToString().Trim();
                var match = LabelPattern().Match(text);
                if (!match.Success)
                {
                    problems.Add($"{where}: malformed label '{text}'");
                    continue;
                }

                if (comments[^1] != labels[0])
                {
                    problems.Add($"{where}: the label is not the last comment above the attribute");
                    continue;
                }

                var ids = match.Groups[1].Value == "none"
                    ? ImmutableArray<string>.Empty
                    : match.Groups[1].Value.Split(' ').Order(StringComparer.Ordinal).ToImmutableArray();
                var type = QualifiedName((TypeDeclarationSyntax)method.Parent!);
                var core = CoreName(method.Identifier.Text);
                var cores = types[type]
                    .SelectMany(d => d.Declaration.Members.OfType<MethodDeclarationSyntax>()
                        .Where(m => m.Identifier.Text == core)
                        .Select(m => (d.FilePath, m.Span)))
                    .ToImmutableArray();
                expectations.Add(new CorpusExpectation(tree.FilePath, type, method.Identifier.Text, core, line, ids, method.Span, cores));
            }

            foreach (var orphan in root.DescendantTrivia().Where(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) && LabelLike().IsMatch(t.ToString().Trim()) && !claimed.Contains(t)))
            {
                problems.Add($"{tree.FilePath}:{orphan.GetLocation().GetLineSpan().StartLinePosition.Line + 1}: label '{orphan.ToString().Trim()}' above no [SingleFlight] method");
            }
        }

        return new CorpusLabels(expectations.ToImmutable(), problems.ToImmutable());
    }

    /// <summary>
    /// Compares each method's expected ids with the diagnostics of the given ids located on its declaration or in its
    /// core (<see cref="CorpusExpectation.Contains"/>). Diagnostics of those ids located elsewhere are returned as
    /// <paramref name="unattributed"/>.
    /// </summary>
    public static ImmutableArray<CorpusVerdict> Compare(
        ImmutableArray<CorpusExpectation> expectations,
        IEnumerable<Diagnostic> diagnostics,
        IReadOnlyCollection<string> ids,
        out ImmutableArray<Diagnostic> unattributed)
    {
        var relevant = diagnostics.Where(d => ids.Contains(d.Id)).ToList();
        var left = new List<Diagnostic>(relevant);
        var verdicts = expectations.Select(e =>
        {
            var mine = relevant.Where(e.Contains).ToList();
            left.RemoveAll(mine.Contains);
            return new CorpusVerdict(
                e with { ExpectedIds = e.ExpectedIds.Where(ids.Contains).ToImmutableArray() },
                mine.Select(static d => d.Id).Distinct().Order(StringComparer.Ordinal).ToImmutableArray());
        }).ToImmutableArray();
        unattributed = left.ToImmutableArray();
        return verdicts;
    }

    /// <summary>The core method's name by the generator's convention.</summary>
    public static string CoreName(string method)
        => method.EndsWith("Async", StringComparison.Ordinal) && method.Length > "Async".Length
            ? method[..^"Async".Length] + "CoreAsync"
            : method + "Core";

    /// <summary>Whether a method carries <c>[SingleFlight]</c> (by name, however qualified).</summary>
    public static bool IsSingleFlight(MethodDeclarationSyntax method)
        => method.AttributeLists.SelectMany(static l => l.Attributes).Any(static a => RightmostName(a.Name) is "SingleFlight" or "SingleFlightAttribute");

    private static string RightmostName(NameSyntax name) => name switch
    {
        QualifiedNameSyntax q => q.Right.Identifier.Text,
        AliasQualifiedNameSyntax a => a.Name.Identifier.Text,
        SimpleNameSyntax s => s.Identifier.Text,
        _ => name.ToString(),
    };

    private static string QualifiedName(TypeDeclarationSyntax type)
    {
        var parts = new List<string>();
        for (SyntaxNode? node = type; node is not null; node = node.Parent)
        {
            switch (node)
            {
                case TypeDeclarationSyntax t:
                    parts.Insert(0, t.TypeParameterList is { Parameters.Count: > 0 } list ? $"{t.Identifier.Text}`{list.Parameters.Count}" : t.Identifier.Text);
                    break;
                case BaseNamespaceDeclarationSyntax ns:
                    parts.Insert(0, ns.Name.ToString());
                    break;
            }
        }

        return string.Join('.', parts);
    }

    private static string FindProjectDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, ProjectFile)))
            {
                return directory.FullName;
            }

            var candidate = Path.Combine(directory.FullName, "tests", "SingleFlight.Analyzer.Tests");
            if (File.Exists(Path.Combine(candidate, ProjectFile)))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{ProjectFile} not found above {AppContext.BaseDirectory}");
    }
}
