namespace SingleFlight.Analyzer.Tests.Infrastructure;

/// <summary>Builds user code for tests.</summary>
internal static class Source
{
    public const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Globalization;
        using System.Threading;
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Users;

        """;

    /// <summary>The members inside <c>public partial class C</c>, after the usual usings.</summary>
    public static string InClass(string members) => Usings + "public partial class C\n{\n" + members + "\n}\n";

    /// <summary>
    /// A method <c>GetAsync</c> with the given parameters and KeyFrom (written as C# source, so pass the quotes),
    /// and a matching core.
    /// </summary>
    public static string Method(string keyFrom, string parameters, string extraMembers = "")
        => InClass($$"""
            [SingleFlight(KeyFrom = {{keyFrom}})]
            public partial Task<string> GetAsync({{parameters}});
            private Task<string> GetCoreAsync({{StripMarkup(parameters)}}) => Task.FromResult("x");
            {{extraMembers}}
            """);

    /// <summary>The text without diagnostic markup (<c>{|SF0001:x|}</c> → <c>x</c>).</summary>
    public static string StripMarkup(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\{\|[^:|]*:|\|\}", string.Empty);
}
