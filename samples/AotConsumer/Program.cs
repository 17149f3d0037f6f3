using System.Diagnostics.CodeAnalysis;
using SingleFlight;

namespace AotConsumer;

/// <summary>
/// Methods whose arguments or type parameters carry trimming annotations, behind [SingleFlight]. Trimming keeps what the
/// annotations ask for (the constructors, the properties) only if the generated code passes them on intact; the
/// analyzers check that at build time and the native binary shows it at run time.
/// </summary>
public static class Program
{
    public static async Task<int> Main()
    {
        var failures = 0;
        void Check(bool condition, string what)
        {
            Console.WriteLine((condition ? "ok:   " : "FAIL: ") + what);
            failures += condition ? 0 : 1;
        }

        var catalog = new Catalog();

        // Two concurrent calls with one key share one flight: the core waits for the gate until both have joined.
        var first = catalog.CreateAsync(typeof(Widget), 7);
        var second = catalog.CreateAsync(typeof(Widget), 7);
        catalog.Gate.SetResult();
        var created = await Task.WhenAll(first, second);
        Check(created[0] is Widget && ReferenceEquals(created[0], created[1]), "annotated Type argument: both callers got the one Widget the flight created");
        Check(catalog.Executions == 1, $"annotated Type argument: 2 callers, {catalog.Executions} execution");

        var box = await catalog.BoxAsync<Widget>("w");
        Check(box.Create() is Widget, "annotated type parameter: the holder class keeps the requirement, Box<Widget>.Create() works");

        Check(Describer.Describe(typeof(Widget)) == "Name,Size", "annotated Type argument of a blocking method: properties kept, " + Describer.Describe(typeof(Widget)));

        Console.WriteLine(failures == 0 ? "all checks passed" : failures + " checks failed");
        return failures == 0 ? 0 : 1;
    }
}

public sealed class Widget
{
    public string Name { get; set; } = "widget";

    public int Size { get; set; } = 3;
}

/// <summary>Creates a T: the annotation on T is what lets trimming keep T's constructor.</summary>
public sealed class Box<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>
{
    public T Create() => Activator.CreateInstance<T>();
}

public sealed partial class Catalog
{
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Executions;

    [SingleFlight]
    public partial Task<object?> CreateAsync(
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type type,
        int id,
        CancellationToken cancellationToken = default);

    private async Task<object?> CreateCoreAsync(
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] Type type,
        int id,
        CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Executions);
        await Gate.Task.WaitAsync(cancellationToken);
        return Activator.CreateInstance(type);
    }

    [SingleFlight]
    public partial Task<Box<T>> BoxAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>(string name);

    private Task<Box<T>> BoxCoreAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>(string name)
        => Task.FromResult(new Box<T>());
}

public static partial class Describer
{
    [SingleFlight]
    public static partial string Describe([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type);

    private static string DescribeCore([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type)
        => string.Join(",", type.GetProperties().Select(static p => p.Name).Order(StringComparer.Ordinal));
}
