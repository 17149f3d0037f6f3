using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SingleFlight.Generator.Emitting;
using SingleFlight.Generator.Parsing;

namespace SingleFlight.Generator;

/// <summary>
/// Writes the implementation of every partial method marked <c>[SingleFlight]</c>: the call goes through a
/// <c>SingleFlightGroup</c>, and the first caller for a key runs the user's core method. Reports no
/// diagnostics: a method it cannot handle gets no code, and the analyzer explains why.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class SingleFlightGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var methods = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                MethodParser.AttributeMetadataName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (ctx, ct) => ModelBuilder.Build(ctx, ct))
            .WithTrackingName(TrackingNames.Methods)
            .Where(static model => model is not null)
            .WithTrackingName(TrackingNames.SupportedMethods)
            .Select(static (model, _) => model!.Value)
            .WithTrackingName(TrackingNames.Models);

        // A distributed method's result crosses processes as JSON: through the user's source-generated context
        // when one lists the result type. Non-distributed models pass through unchanged (and stay cached).
        var jsonContexts = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                JsonContexts.AttributeMetadataName,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => JsonContexts.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.JsonContexts)
            .Collect()
            .Select(static (all, _) => JsonContexts.Merge(all));

        var resolved = methods
            .Combine(jsonContexts)
            .Select(static (pair, _) => JsonContexts.Resolve(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.ResolvedModels);

        context.RegisterSourceOutput(resolved, static (spc, model) =>
        {
            string source;
            try
            {
                source = Emitter.Emit(model);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Never crash the compilation over one method; it simply gets no implementation.
                return;
            }

            try
            {
                spc.AddSource(model.HintName, source);
            }
            catch (ArgumentException)
            {
                // An unusable or duplicate hint name: skip the method rather than fail the whole generator.
            }
        });
    }
}
