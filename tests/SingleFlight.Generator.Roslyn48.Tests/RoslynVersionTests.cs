using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SingleFlight.Generator.Roslyn48.Tests;

/// <summary>The point of this project: the Roslyn that actually runs here is 4.8, not a newer one pulled in transitively.</summary>
public sealed class RoslynVersionTests
{
    [Fact]
    public void Roslyn_4_8_is_loaded()
    {
        foreach (var assembly in new[] { typeof(Compilation).Assembly, typeof(CSharpCompilation).Assembly })
        {
            var version = assembly.GetName().Version!;
            Assert.True(version.Major == 4 && version.Minor == 8, $"{assembly.GetName().Name} {version} from {assembly.Location}");
        }
    }

    [Fact]
    public void Latest_language_version_is_CSharp12()
        => Assert.Equal(LanguageVersion.CSharp12, Roslyn48Compiler.ParseOptions.LanguageVersion);
}
