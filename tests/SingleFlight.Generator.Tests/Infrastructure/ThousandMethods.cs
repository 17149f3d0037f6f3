using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace SingleFlight.Generator.Tests.Infrastructure;

/// <summary>
/// The 1,000-method compilation used to measure the generator and the analyzer: 50 types of 20 annotated
/// methods each. The analyzer test project links this file.
/// </summary>
internal static class ThousandMethods
{
    public const int Types = 50;

    public const int MethodsPerType = 20;

    public const int Count = Types * MethodsPerType;

    /// <summary>One source file per type.</summary>
    /// <param name="shape">0–3 to use one shape only; null for the mix (each shape in turn).</param>
    /// <param name="leaveOutAParameter">Give each type's first method a parameter that is not in its key (SF0008).</param>
    public static List<(string Path, string Text)> Sources(int? shape = null, bool leaveOutAParameter = false)
        => Enumerable.Range(0, Types).Select(t => ($"Type{t}.cs", TypeSource(t, shape, leaveOutAParameter))).ToList();

    public static string TypeSource(int type, int? shape = null, bool leaveOutAParameter = false)
    {
        var builder = new StringBuilder();
        builder.AppendLine("using System.Globalization;");
        builder.AppendLine("using System.Threading;");
        builder.AppendLine("using System.Threading.Tasks;");
        builder.AppendLine("using SingleFlight;");
        builder.AppendLine("namespace Perf;");
        builder.AppendLine($"public sealed partial class Service{type}");
        builder.AppendLine("{");
        for (var m = 0; m < MethodsPerType; m++)
        {
            // A mix of shapes: KeyFrom on a parameter (resolved from symbols), a default key, KeyFrom with a
            // method call (bound speculatively), a static default key with a token; async and blocking.
            switch (shape ?? m % 4)
            {
                case 0 when leaveOutAParameter && m == 0:
                    builder.AppendLine($"    [SingleFlight(KeyFrom = \"id\")] public partial Task<string> Get{m}Async(int id, string note, CancellationToken cancellationToken = default);");
                    builder.AppendLine($"    private Task<string> Get{m}CoreAsync(int id, string note, CancellationToken cancellationToken) => Task.FromResult(note + id);");
                    break;
                case 0:
                    builder.AppendLine($"    [SingleFlight(KeyFrom = \"id\")] public partial Task<string> Get{m}Async(int id, CancellationToken cancellationToken = default);");
                    builder.AppendLine($"    private Task<string> Get{m}CoreAsync(int id, CancellationToken cancellationToken) => Task.FromResult(\"\" + id);");
                    break;
                case 1:
                    builder.AppendLine($"    [SingleFlight] public partial ValueTask<int> Get{m}Async(string tenant, int id);");
                    builder.AppendLine($"    private ValueTask<int> Get{m}CoreAsync(string tenant, int id) => new(id);");
                    break;
                case 2:
                    builder.AppendLine($"    [SingleFlight(KeyFrom = \"tenant, id.ToString(CultureInfo.InvariantCulture)\")] public partial string Get{m}(string tenant, int id);");
                    builder.AppendLine($"    private string Get{m}Core(string tenant, int id) => tenant;");
                    break;
                default:
                    builder.AppendLine($"    [SingleFlight] public static partial Task Run{m}Async(int id, CancellationToken cancellationToken);");
                    builder.AppendLine($"    private static Task Run{m}CoreAsync(int id, CancellationToken cancellationToken) => Task.CompletedTask;");
                    break;
            }
        }

        builder.AppendLine("}");
        return builder.ToString();
    }
}
