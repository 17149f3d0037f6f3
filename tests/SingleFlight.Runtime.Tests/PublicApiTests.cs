using System.Reflection;

namespace SingleFlight.Runtime.Tests;

/// <summary>Properties of the public surface that the compiler does not check.</summary>
public sealed class PublicApiTests
{
    /// <summary>
    /// An <c>init</c> setter carries a required modifier naming <c>IsExternalInit</c>, which is the framework's type in
    /// the net8.0 build and this assembly's own copy in the netstandard2.0 build: code compiled against one build would
    /// not find the setter in the other (MissingMethodException). So no public setter may be init-only.
    /// </summary>
    [Fact]
    public void No_public_setter_is_init_only()
    {
        var initOnly = typeof(SingleFlightGroup<,>).Assembly.GetExportedTypes()
            .SelectMany(static t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(static p => p.SetMethod is { IsPublic: true } setter
                && setter.ReturnParameter.GetRequiredCustomModifiers().Any(static m => m.Name == "IsExternalInit"))
            .Select(static p => p.DeclaringType!.Name + "." + p.Name)
            .ToArray();

        Assert.Empty(initOnly);
        Assert.NotNull(typeof(SingleFlightGroup<int, int>).GetProperty(nameof(SingleFlightGroup<int, int>.Name))!.SetMethod);
    }
}
