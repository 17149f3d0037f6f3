namespace SingleFlight.Benchmarks;

/// <summary>
/// Scenario (f), placeholder. TODO(generator): the generator is merged now; benchmark running it over a
/// compilation with 1,000 <c>[SingleFlight]</c> methods, cold and after an unrelated edit (asserting that
/// every tracked step is Cached/Unchanged), with <c>CSharpGeneratorDriver</c>. Deliberately not a
/// benchmark class yet (no <c>[Benchmark]</c> methods), so it is not run and not reported.
/// </summary>
public static class GeneratorBenchmarks
{
}
