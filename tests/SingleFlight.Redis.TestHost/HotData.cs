using System.Text.Json.Serialization;
using SingleFlight;

namespace SingleFlight.Redis.TestHost;

/// <summary>The work every process of the fleet wants, once through the generator's distributed switch.</summary>
internal static partial class HotData
{
    public const string OperationName = "testhost.hot";

    private static int s_leading;

    /// <summary>Whether this process has started the work.</summary>
    public static bool Leading => Volatile.Read(ref s_leading) == 1;

    [SingleFlight(KeyFrom = "key", Distributed = true, OperationName = OperationName)]
    public static partial Task<string> GetAsync(string key, [NotKey] string directory, CancellationToken cancellationToken = default);

    private static Task<string> GetCoreAsync(string key, string directory, CancellationToken cancellationToken)
        => WorkAsync(directory, cancellationToken);

    /// <summary>Records the execution as a file, then waits for the test's go file.</summary>
    public static async Task<string> WorkAsync(string directory, CancellationToken cancellationToken)
    {
        File.WriteAllText(Path.Combine(directory, $"exec-{Environment.ProcessId}-{Guid.NewGuid():N}"), string.Empty);
        Volatile.Write(ref s_leading, 1);
        var go = Path.Combine(directory, "go");
        while (!File.Exists(go))
        {
            await Task.Delay(20, cancellationToken);
        }

        return "value";
    }
}

/// <summary>The result's JSON contract: the generated code finds it because it lists <see cref="string"/>.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class HostJson : JsonSerializerContext;
