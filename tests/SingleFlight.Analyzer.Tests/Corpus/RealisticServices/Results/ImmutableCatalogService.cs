using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Collections.ObjectModel;
using StackExchange.Redis;
using SingleFlight;

namespace Contoso.Shop.Results;

public sealed record PriceBand(decimal From, decimal To, string Label);

/// <summary>Results the callers can share: immutable, frozen and read-only collections, records, strings, value types.</summary>
public sealed partial class ImmutableCatalogService(IConnectionMultiplexer redis)
{
    private static readonly PriceBand[] s_bands = [new(0, 10, "budget"), new(10, 100, "standard"), new(100, decimal.MaxValue, "premium")];

    // expect: none
    [SingleFlight]
    public partial Task<ImmutableArray<PriceBand>> GetBandsAsync(string currency);

    private Task<ImmutableArray<PriceBand>> GetBandsCoreAsync(string currency) => Task.FromResult(s_bands.ToImmutableArray());

    // expect: none
    [SingleFlight]
    public partial Task<FrozenDictionary<string, PriceBand>> GetBandIndexAsync(string currency);

    private Task<FrozenDictionary<string, PriceBand>> GetBandIndexCoreAsync(string currency)
        => Task.FromResult(s_bands.ToFrozenDictionary(static b => b.Label, StringComparer.Ordinal));

    // expect: none
    [SingleFlight]
    public partial Task<ImmutableList<string>> GetLabelsAsync(string currency);

    private Task<ImmutableList<string>> GetLabelsCoreAsync(string currency) => Task.FromResult(s_bands.Select(static b => b.Label).ToImmutableList());

    // expect: none
    [SingleFlight]
    public partial Task<ReadOnlyCollection<PriceBand>> GetBandCollectionAsync(string currency);

    private Task<ReadOnlyCollection<PriceBand>> GetBandCollectionCoreAsync(string currency) => Task.FromResult(Array.AsReadOnly(s_bands.ToArray()));

    // expect: none
    [SingleFlight]
    public partial Task<IReadOnlyDictionary<string, decimal>> GetThresholdsAsync(string currency);

    private Task<IReadOnlyDictionary<string, decimal>> GetThresholdsCoreAsync(string currency)
        => Task.FromResult<IReadOnlyDictionary<string, decimal>>(s_bands.ToDictionary(static b => b.Label, static b => b.From));

    // expect: none
    [SingleFlight]
    public partial ValueTask<(string Label, decimal From)> GetBandForAsync(decimal price);

    private ValueTask<(string Label, decimal From)> GetBandForCoreAsync(decimal price)
    {
        var band = s_bands.First(b => price >= b.From && price < b.To);
        return ValueTask.FromResult((band.Label, band.From));
    }

    // The multiplexer is made to be shared by every caller (SF0012's shared types): a flight may hand it out.
    // expect: none
    [SingleFlight]
    public partial IConnectionMultiplexer GetConnection(string name);

    private IConnectionMultiplexer GetConnectionCore(string name) => redis;
}
