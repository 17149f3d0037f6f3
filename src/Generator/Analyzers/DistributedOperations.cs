using System.Collections.Concurrent;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using SingleFlight.Generator.Diagnostics;

namespace SingleFlight.Generator.Analyzers;

/// <summary>
/// The operation names of the compilation's distributed methods, collected while its methods are analysed and compared
/// across types at the end (SF0011). Two methods of one type are SF0010 already, from the parser.
/// </summary>
internal sealed class DistributedOperations
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(IMethodSymbol Method, Location Location)>> _byName = new(System.StringComparer.Ordinal);

    public void Add(string operationName, IMethodSymbol method, Location location)
        => _byName.GetOrAdd(operationName, static _ => new()).Enqueue((method, location));

    public void ReportReuse(CompilationAnalysisContext context)
    {
        foreach (var pair in _byName)
        {
            var methods = pair.Value.ToArray();
            var types = methods.Select(static m => m.Method.ContainingType).Distinct(SymbolEqualityComparer.Default).Count();
            if (types < 2)
            {
                continue;
            }

            foreach (var (method, location) in methods)
            {
                var other = methods.First(m => !SymbolEqualityComparer.Default.Equals(m.Method.ContainingType, method.ContainingType)).Method;
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.DistributedOperationNameReused,
                    location,
                    method.Name,
                    pair.Key,
                    other.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat)));
            }
        }
    }
}
