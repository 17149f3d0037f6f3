using System.Reflection;
using SingleFlight.Generator.Tests.Infrastructure;

namespace SingleFlight.Generator.Tests;

/// <summary>The generated group is named for telemetry: Namespace.Type.Method, or the attribute's OperationName.</summary>
public class OperationNameTests
{
    private const string Source = """
        using System.Threading.Tasks;
        using SingleFlight;

        namespace Shop.Catalog
        {
            public partial class Outer
            {
                public sealed partial class Products
                {
                    [SingleFlight]
                    public partial Task<int> GetAsync(int id);
                    private Task<int> GetCoreAsync(int id) => Task.FromResult(id);

                    [SingleFlight(OperationName = "catalog.\"count\"")]
                    public static partial int Count(string category);
                    private static int CountCore(string category) => category.Length;
                }
            }
        }
        """;

    [Fact]
    public async Task Groups_are_named_after_the_method_or_the_operation_name()
    {
        var run = TestCompiler.Run(TestCompiler.Create(Source));
        Assert.Empty(TestCompiler.Problems(run.Output));

        await TestCompiler.WithLoadedAssembly(run.Output, "OperationNames", assembly =>
        {
            var type = assembly.GetType("Shop.Catalog.Outer+Products")!;
            var names = type.GetFields(BindingFlags.NonPublic | BindingFlags.Static)
                .Where(f => f.Name.StartsWith("__singleFlightGroup_", StringComparison.Ordinal))
                .ToDictionary(f => f.Name.Split('_')[3], f => (string?)f.FieldType.GetProperty("Name")!.GetValue(f.GetValue(null)));

            Assert.Equal("Shop.Catalog.Outer.Products.GetAsync", names["GetAsync"]);
            Assert.Equal("catalog.\"count\"", names["Count"]);
            return Task.CompletedTask;
        });
    }
}
