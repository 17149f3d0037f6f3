using System.Runtime.CompilerServices;

namespace SingleFlight.Generator.Tests.Infrastructure;

/// <summary>Locates the test project's source directory, where inputs and snapshots live.</summary>
internal static class TestPaths
{
    public static string ProjectDirectory { get; } = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ThisFile())!, ".."));

    public static string Inputs(string folder) => Path.Combine(ProjectDirectory, "Inputs", folder);

    public static string Snapshots => Path.Combine(ProjectDirectory, "Snapshots");

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
