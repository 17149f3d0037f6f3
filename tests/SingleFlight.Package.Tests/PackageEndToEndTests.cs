using System.Xml.Linq;

namespace SingleFlight.Package.Tests;

/// <summary>
/// Packs the real package into a temporary feed once, then builds and runs fresh consumer projects that
/// reference it by version from that feed only, with their own NuGet package folder.
/// </summary>
public sealed class PackageFixture : IDisposable
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(6);

    public PackageFixture()
    {
        Root = Directory.CreateTempSubdirectory("singleflight-e2e-").FullName;
        Feed = Path.Combine(Root, "feed");
        Packages = Path.Combine(Root, "packages");
        Directory.CreateDirectory(Feed);

        // A version no cache has ever seen, so no consumer can pick up a stale copy.
        Version = $"0.0.0-e2e.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

        var runtimeProject = Path.Combine(DotNetCli.RepositoryRoot, "src", "Runtime", "SingleFlight.Runtime.csproj");
        PackResult = DotNetCli.Run(
            Root,
            nugetPackages: null,
            PackTimeout,
            "pack", runtimeProject, "-c", "Release", "-o", Feed, $"-p:Version={Version}",
            "-p:UseSharedCompilation=false", "-nodeReuse:false");
        PackagePath = Path.Combine(Feed, $"SingleFlight.Generators.{Version}.nupkg");

        var redisProject = Path.Combine(DotNetCli.RepositoryRoot, "src", "Redis", "SingleFlight.Redis.csproj");
        RedisPackResult = DotNetCli.Run(
            Root,
            nugetPackages: null,
            PackTimeout,
            "pack", redisProject, "-c", "Release", "-o", Feed, $"-p:Version={Version}",
            "-p:UseSharedCompilation=false", "-nodeReuse:false");
        RedisPackagePath = Path.Combine(Feed, $"SingleFlight.Generators.Redis.{Version}.nupkg");
    }

    public string Root { get; }

    public string Feed { get; }

    public string Packages { get; }

    public string Version { get; }

    public string PackagePath { get; }

    public DotNetCli.Result PackResult { get; }

    public string RedisPackagePath { get; }

    /// <summary>The System.Text.Json version that the Redis package depends on for netstandard2.0 (Directory.Packages.props).</summary>
    public const string SystemTextJsonVersion = "10.0.13";

    public DotNetCli.Result RedisPackResult { get; }

    /// <summary>
    /// The global packages folder the repository's own restore filled: the consumers of the Redis package restore its
    /// third-party dependencies (StackExchange.Redis...) from there as a local feed, without the network.
    /// </summary>
    private static string RestoredPackages
        => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>
    /// Writes a consumer project. <paramref name="targetFramework"/> net10.0 makes a console app; netstandard2.0 makes a
    /// class library (no .NET Framework runtime here to run one on), built against the packages' netstandard2.0 assets.
    /// <paramref name="extraPackages"/> are (id, version) pairs restored from the repository's package folder.
    /// <paramref name="aspNetCore"/> adds the ASP.NET Core shared framework (which also provides the Microsoft.Extensions
    /// packages that EF Core asks for, as in a web app).
    /// </summary>
    public string CreateConsumer(
        string name,
        string programSource,
        string packageId = "SingleFlight.Generators",
        string targetFramework = "net10.0",
        bool aspNetCore = false,
        params (string Id, string Version)[] extraPackages)
    {
        var library = targetFramework.StartsWith("netstandard", StringComparison.Ordinal);
        var redis = packageId != "SingleFlight.Generators";
        var directory = Path.Combine(Root, name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="e2e" value="{Feed}" />
                {(redis || extraPackages.Length > 0 ? $"<add key=\"restored\" value=\"{RestoredPackages}\" />" : string.Empty)}
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>{(library ? "Library" : "Exe")}</OutputType>
                <TargetFramework>{targetFramework}</TargetFramework>
                <LangVersion>latest</LangVersion>
                <Nullable>enable</Nullable>
                <ImplicitUsings>{(library ? "disable" : "enable")}</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
              </PropertyGroup>
              <ItemGroup>
                {(aspNetCore ? "<FrameworkReference Include=\"Microsoft.AspNetCore.App\" />" : string.Empty)}
                <PackageReference Include="{packageId}" Version="{Version}" />
                {string.Concat(extraPackages.Select(p => $"<PackageReference Include=\"{p.Id}\" Version=\"{p.Version}\" />"))}
              </ItemGroup>
            </Project>
            """);

        // Keep the repository's Directory.Build.props and Directory.Packages.props out of the consumer.
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(directory, "Directory.Packages.props"), "<Project />");
        File.WriteAllText(Path.Combine(directory, "Program.cs"), programSource);
        return directory;
    }

    public DotNetCli.Result Dotnet(string directory, params string[] arguments)
        => DotNetCli.Run(directory, Packages, PackTimeout, [.. arguments, "-nodeReuse:false", "-p:UseSharedCompilation=false"]);

    public DotNetCli.Result DotnetRun(string directory)
        => DotNetCli.Run(directory, Packages, PackTimeout, "run", "--no-build");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}

/// <summary>
/// The tests that run nested <c>dotnet</c> builds over the repository's projects: one at a time, so that two
/// builds never write the same <c>obj/</c> restore state at once.
/// </summary>
[CollectionDefinition(nameof(NestedBuilds))]
public sealed class NestedBuilds;

[Collection(nameof(NestedBuilds))]
public sealed class PackageEndToEndTests(PackageFixture package) : IClassFixture<PackageFixture>
{
    [Fact]
    public void The_package_has_the_runtime_in_lib_and_the_generator_in_analyzers()
    {
        Assert.True(package.PackResult.ExitCode == 0, package.PackResult.ToString());
        using var archive = System.IO.Compression.ZipFile.OpenRead(package.PackagePath);
        var entries = archive.Entries.Select(e => e.FullName).ToHashSet();

        Assert.Contains("lib/net8.0/SingleFlight.dll", entries);
        Assert.Contains("lib/netstandard2.0/SingleFlight.dll", entries);
        Assert.Contains("lib/net8.0/SingleFlight.xml", entries);
        Assert.Contains("analyzers/dotnet/cs/SingleFlight.Generator.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/SingleFlight.Generator.CodeFixes.dll", entries);
        Assert.Contains("README.md", entries);
        Assert.DoesNotContain(entries, e => e.Contains("CodeAnalysis", StringComparison.OrdinalIgnoreCase));

        var nuspec = new StreamReader(archive.GetEntry("SingleFlight.Generators.nuspec")!.Open()).ReadToEnd();
        Assert.DoesNotContain("Microsoft.CodeAnalysis", nuspec);
        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
        Assert.True(File.Exists(Path.ChangeExtension(package.PackagePath, ".snupkg")), "symbols package");
    }

    [Fact]
    public void A_fresh_consumer_builds_runs_and_collapses_concurrent_calls()
    {
        Assert.True(package.PackResult.ExitCode == 0, package.PackResult.ToString());
        var consumer = package.CreateConsumer("Consumer", ConsumerSources.Collapsing);

        var build = package.Dotnet(consumer, "build");
        Assert.True(build.ExitCode == 0, build.ToString());
        var run = package.DotnetRun(consumer);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("async: 50 callers, 1 execution", run.Output);
        Assert.Contains("composite: 40 callers, 2 executions", run.Output);
        Assert.Contains("blocking: 8 callers, 1 execution", run.Output);
        Assert.Contains("sequential: 3 calls, 3 executions", run.Output);
    }

    [Fact]
    public void A_consumer_with_a_clock_in_its_key_gets_SF0005()
    {
        Assert.True(package.PackResult.ExitCode == 0, package.PackResult.ToString());
        var consumer = package.CreateConsumer("ClockKey", ConsumerSources.ClockKey);

        var build = package.Dotnet(consumer, "build");

        Assert.Contains("SF0005", build.Output);
        Assert.Contains("DateTime.Now", build.Output);
        Assert.Contains("docs/diagnostics/SF0005.md", build.Output);
    }

    [Fact]
    public void The_Redis_package_brings_the_generator_and_its_distributed_methods_run_without_a_server()
    {
        Assert.True(package.RedisPackResult.ExitCode == 0, package.RedisPackResult.ToString());
        using (var archive = System.IO.Compression.ZipFile.OpenRead(package.RedisPackagePath))
        {
            var entries = archive.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("lib/net8.0/SingleFlight.Redis.dll", entries);
            Assert.Contains("lib/netstandard2.0/SingleFlight.Redis.dll", entries);
            Assert.Contains("lib/netstandard2.0/SingleFlight.Redis.xml", entries);
            Assert.Contains("README.md", entries);
            var nuspec = XDocument.Load(archive.GetEntry("SingleFlight.Generators.Redis.nuspec")!.Open());
            var groups = nuspec.Descendants().Where(e => e.Name.LocalName == "group")
                .ToDictionary(g => (string)g.Attribute("targetFramework")!, g => g.Elements().ToDictionary(d => (string)d.Attribute("id")!));
            Assert.Equal([".NETStandard2.0", "net8.0"], groups.Keys.Order(StringComparer.Ordinal));
            foreach (var (framework, dependencies) in groups)
            {
                var generators = dependencies["SingleFlight.Generators"];
                Assert.Equal(package.Version, (string?)generators.Attribute("version"));
                Assert.True((string?)generators.Attribute("include") == "All", framework + ": the generator must flow to consumers");
                Assert.Contains("StackExchange.Redis", dependencies.Keys);
            }

            // net8.0 takes System.Text.Json from the shared framework; netstandard2.0 needs the package.
            Assert.Contains("System.Text.Json", groups[".NETStandard2.0"].Keys);
            Assert.DoesNotContain("System.Text.Json", groups["net8.0"].Keys);
        }

        // Only the Redis package is referenced: the generator comes with its dependency on SingleFlight.Generators.
        var consumer = package.CreateConsumer("DistributedConsumer", ConsumerSources.Distributed, "SingleFlight.Generators.Redis");
        var build = package.Dotnet(consumer, "build");
        Assert.True(build.ExitCode == 0, build.ToString());
        var run = package.DotnetRun(consumer);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("distributed, no Redis configured: 30 callers, 1 execution", run.Output);
        Assert.Contains("group: DistributedSingleFlightOperation`2", run.Output);
    }

    [Fact]
    public void A_netstandard20_library_builds_distributed_methods_against_the_netstandard20_assets()
    {
        Assert.True(package.RedisPackResult.ExitCode == 0, package.RedisPackResult.ToString());

        // System.Text.Json is referenced directly for its JSON source generator (package dependencies do not pass
        // their analyzers on), so that one method gets its contract from a JsonSerializerContext.
        var consumer = package.CreateConsumer(
            "LegacyLibrary",
            ConsumerSources.DistributedLibrary,
            "SingleFlight.Generators.Redis",
            "netstandard2.0",
            extraPackages: [("System.Text.Json", PackageFixture.SystemTextJsonVersion)]);
        var build = package.Dotnet(consumer, "build");

        Assert.True(build.ExitCode == 0, build.ToString());
        var assets = File.ReadAllText(Path.Combine(consumer, "obj", "project.assets.json"));
        Assert.Contains("lib/netstandard2.0/SingleFlight.Redis.dll", assets);
        Assert.Contains("lib/netstandard2.0/SingleFlight.dll", assets);
        Assert.True(File.Exists(Path.Combine(consumer, "bin", "Debug", "netstandard2.0", "LegacyLibrary.dll")), build.ToString());
    }

    /// <summary>
    /// Command-line builds show no analyzer diagnostics once the compilation has errors, so each of these relies on
    /// the generator implementing the method anyway (a stub for SF0002 and SF0003, an in-process flight for SF0010 and SF0011):
    /// the SF error, with its help link, is what the user reads, not the compiler's CS8795.
    /// </summary>
    [Theory]
    [InlineData(nameof(ConsumerSources.MissingCore), "SingleFlight.Generators", "SF0002", "CountCoreAsync")]
    [InlineData(nameof(ConsumerSources.RefStructParameter), "SingleFlight.Generators", "SF0003", "cannot be kept for the duration of a flight")]
    [InlineData(nameof(ConsumerSources.BlockingDistributed), "SingleFlight.Generators.Redis", "SF0010", "blocks its caller")]
    [InlineData(nameof(ConsumerSources.ReusedOperationName), "SingleFlight.Generators.Redis", "SF0011", "'names'")]
    public void A_build_fails_with_the_SF_error_and_its_help_link(string source, string packageId, string id, string explanation)
    {
        Assert.True(package.PackResult.ExitCode == 0, package.PackResult.ToString());
        Assert.True(package.RedisPackResult.ExitCode == 0, package.RedisPackResult.ToString());
        var program = (string)typeof(ConsumerSources).GetField(source)!.GetValue(null)!;
        var consumer = package.CreateConsumer(source, program, packageId);

        var build = package.Dotnet(consumer, "build");

        Assert.NotEqual(0, build.ExitCode);
        Assert.True(build.Output.Contains(id, StringComparison.Ordinal), build.ToString());
        Assert.Contains("docs/diagnostics/" + id + ".md", build.Output);
        Assert.Contains(explanation, build.Output);
        Assert.DoesNotContain("CS8795", build.Output);
    }

    /// <summary>The EF Core provider the README's example uses, restored from the repository's package folder.</summary>
    private static readonly (string Id, string Version) s_efCoreSqlite = ("Microsoft.EntityFrameworkCore.Sqlite", "10.0.15");

    /// <summary>
    /// README.md's headline example builds with warnings as errors and serves every caller after the leader's scope is
    /// disposed; the shape it replaced (the core on the repository's own AppDb) fails that build with SF0012.
    /// </summary>
    [Theory]
    [InlineData(nameof(ConsumerSources.ReadmeFlightScope), null)]
    [InlineData(nameof(ConsumerSources.ReadmeLeaderDb), "SF0012")]
    public void The_readme_example_builds_clean_and_the_shape_before_it_gets_SF0012(string source, string? id)
    {
        Assert.True(package.PackResult.ExitCode == 0, package.PackResult.ToString());
        var program = (string)typeof(ConsumerSources).GetField(source)!.GetValue(null)!;
        var consumer = package.CreateConsumer(source, program, aspNetCore: true, extraPackages: [s_efCoreSqlite]);

        var build = package.Dotnet(consumer, "build");

        if (id is null)
        {
            Assert.True(build.ExitCode == 0, build.ToString());
            Assert.DoesNotContain("SF00", build.Output, StringComparison.Ordinal);
            var run = package.DotnetRun(consumer);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("readme: 3 callers, user 7 is ann,ann,ann", run.Output);
            return;
        }

        Assert.NotEqual(0, build.ExitCode);
        Assert.True(build.Output.Contains("error " + id, StringComparison.Ordinal), build.ToString());
        Assert.Contains("docs/diagnostics/" + id + ".md", build.Output);
        Assert.Contains("'GetUserCoreAsync' uses primary-constructor parameter 'db' of type 'AppDb'", build.Output);
    }
}
