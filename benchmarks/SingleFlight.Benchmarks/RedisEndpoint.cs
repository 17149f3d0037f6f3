using System;
using System.Reflection;

namespace SingleFlight.Benchmarks;

/// <summary>
/// The Redis the distributed benchmarks run against. They are opt-in: without an endpoint in
/// <see cref="Variable"/> (or <c>--redis HOST:PORT</c> on the command line, which <see cref="Program"/> turns into
/// that variable, so BenchmarkDotNet's child processes inherit it) every class marked
/// <see cref="RequiresRedisAttribute"/> is skipped, by BenchmarkDotNet and by the quick mode alike.
/// </summary>
public static class RedisEndpoint
{
    public const string Variable = "SINGLEFLIGHT_REDIS";

    public const string Switch = "--redis";

    /// <summary>The endpoint (a StackExchange.Redis configuration string), or <see langword="null"/> for none.</summary>
    public static string? Value
        => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>Whether the benchmarks of <paramref name="type"/> can run here.</summary>
    public static bool CanRun(Type type)
        => Value is not null || type.GetCustomAttribute<RequiresRedisAttribute>() is null;

    public static string SkipReason
        => $"no Redis endpoint (set {Variable}=HOST:PORT or pass {Switch} HOST:PORT)";
}

/// <summary>The benchmark class talks to a real Redis: it runs only when <see cref="RedisEndpoint.Value"/> is set.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class RequiresRedisAttribute : Attribute
{
}
