namespace SingleFlight.Generator;

/// <summary>The names of the generator's pipeline steps (<c>WithTrackingName</c>), for incrementality tests.</summary>
public static class TrackingNames
{
    /// <summary>Every <c>[SingleFlight]</c> method, parsed: a model, or null when nothing is emitted for it.</summary>
    public const string Methods = "SingleFlight.Methods";

    /// <summary>The methods the generator emits code for.</summary>
    public const string SupportedMethods = "SingleFlight.SupportedMethods";

    /// <summary>The models of the methods the generator emits code for.</summary>
    public const string Models = "SingleFlight.Models";

    /// <summary>The models, each with the <c>JsonSerializerContext</c> that lists its result type (distributed methods only).</summary>
    public const string ResolvedModels = "SingleFlight.ResolvedModels";

    /// <summary>The types listed on each <c>JsonSerializerContext</c> declaration (one output per declaration, not per method).</summary>
    public const string JsonContexts = "SingleFlight.JsonContexts";

    /// <summary>Every per-method step name, in pipeline order.</summary>
    public static readonly string[] All = { Methods, SupportedMethods, Models, ResolvedModels };
}
