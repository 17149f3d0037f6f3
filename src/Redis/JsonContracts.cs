using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace SingleFlight.Redis;

/// <summary>Finds the JSON contract of a result type when the caller gave none.</summary>
internal static class JsonContracts
{
    /// <summary>
    /// The contract of <typeparamref name="TValue"/> from <paramref name="options"/> (<see cref="JsonSerializerOptions.Default"/>
    /// when null). <see cref="Unit"/>, the result of methods that return no value, always has a source-generated one.
    /// </summary>
    [RequiresUnreferencedCode("Reflection-based JSON serialization when the options have no resolver for the type.")]
    [RequiresDynamicCode("Reflection-based JSON serialization when the options have no resolver for the type.")]
    internal static JsonTypeInfo<TValue> Resolve<TValue>(JsonSerializerOptions? options)
    {
        if (typeof(TValue) == typeof(Unit))
        {
            return (JsonTypeInfo<TValue>)(object)RedisJsonContext.Default.Unit;
        }

        options ??= JsonSerializerOptions.Default;
        options.MakeReadOnly(populateMissingResolver: true);
        return (JsonTypeInfo<TValue>)options.GetTypeInfo(typeof(TValue));
    }
}

/// <summary>The contracts this package needs itself.</summary>
[JsonSerializable(typeof(Unit))]
internal sealed partial class RedisJsonContext : JsonSerializerContext;
