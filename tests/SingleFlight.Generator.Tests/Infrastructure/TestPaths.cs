namespace SingleFlight.Generator.Tests.Infrastructure;

/// <summary>Locates the test project's source directory, where inputs and snapshots live.</summary>
/// <remarks>
/// Found by walking up from the test assembly's folder, not from <c>[CallerFilePath]</c>: CI builds are
/// deterministic (<c>ContinuousIntegrationBuild</c>), which maps source paths to <c>/_/</c>.
/// </remarks>
internal static class TestPaths
{
    private const string ProjectFile = "SingleFlight.Generator.Tests.csproj";

    public static string ProjectDirectory { get; } = FindProjectDirectory();

    public static string Inputs(string folder) => Path.Combine(ProjectDirectory, "Inputs", folder);

    public static string Snapshots => Path.Combine(ProjectDirectory, "Snapshots");

    private static string FindProjectDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, ProjectFile)))
            {
                return directory.FullName;
            }

            var candidate = Path.Combine(directory.FullName, "tests", "SingleFlight.Generator.Tests");
            if (File.Exists(Path.Combine(candidate, ProjectFile)))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{ProjectFile} not found above {AppContext.BaseDirectory}");
    }
}
