using System.Threading;
using System.Threading.Tasks;
using SingleFlight;

namespace Matrix.Types;

public static class Shared
{
    public static readonly Gate Gate = new();

    public static async Task<string> WorkAsync(string what)
    {
        Gate.Enter();
        await Gate.WaitAsync();
        return what;
    }
}

public static partial class StaticHolder
{
    [SingleFlight(KeyFrom = "id")]
    public static partial Task<string> GetAsync(int id, CancellationToken cancellationToken = default);

    private static Task<string> GetCoreAsync(int id, CancellationToken cancellationToken) => Shared.WorkAsync("static" + id);
}

public partial class Access
{
    [SingleFlight] private partial Task<string> PrivateAsync(int id);
    private Task<string> PrivateCoreAsync(int id) => Shared.WorkAsync("private" + id);

    [SingleFlight] internal partial Task<string> InternalAsync(int id);
    internal Task<string> InternalCoreAsync(int id) => Shared.WorkAsync("internal" + id);

    [SingleFlight] protected partial Task<string> ProtectedAsync(int id);
    private Task<string> ProtectedCoreAsync(int id) => Shared.WorkAsync("protected" + id);

    [SingleFlight] protected internal partial Task<string> ProtectedInternalAsync(int id);
    public Task<string> ProtectedInternalCoreAsync(int id) => Shared.WorkAsync("pi" + id);

    [SingleFlight] private protected partial Task<string> PrivateProtectedAsync(int id);
    protected Task<string> PrivateProtectedCoreAsync(int id) => Shared.WorkAsync("pp" + id);

    [SingleFlight] public virtual partial Task<string> VirtualAsync(int id);
    private Task<string> VirtualCoreAsync(int id) => Shared.WorkAsync("virtual" + id);

    public static Task<string> Call(string which, int id)
    {
        var access = new Access();
        return which switch
        {
            "private" => access.PrivateAsync(id),
            "internal" => access.InternalAsync(id),
            "protected" => access.ProtectedAsync(id),
            "pi" => access.ProtectedInternalAsync(id),
            "pp" => access.PrivateProtectedAsync(id),
            _ => access.VirtualAsync(id),
        };
    }
}

public partial class Outer
{
    public partial class Middle
    {
        internal partial class Inner
        {
            [SingleFlight]
            public partial Task<string> GetAsync(int id);

            private Task<string> GetCoreAsync(int id) => Shared.WorkAsync("inner" + id);
        }
    }
}

public partial class Repo<T>
{
    [SingleFlight]
    public partial Task<string> GetAsync(int id);

    private Task<string> GetCoreAsync(int id) => Shared.WorkAsync(typeof(T).Name + id);
}

public partial record Person(string Name)
{
    [SingleFlight]
    public partial Task<string> GreetAsync(int id);

    private Task<string> GreetCoreAsync(int id) => Shared.WorkAsync(Name + id);
}

public partial record struct Point(int X)
{
    [SingleFlight]
    public partial Task<string> DescribeAsync(int id);

    private Task<string> DescribeCoreAsync(int id) => Shared.WorkAsync("p" + X + id);
}

public partial struct Counter
{
    public int Start;

    [SingleFlight]
    public partial Task<string> NextAsync(int id);

    private Task<string> NextCoreAsync(int id) => Shared.WorkAsync("s" + Start + id);
}

public readonly partial struct Frozen
{
    public Frozen(int value) => Value = value;

    public int Value { get; }

    [SingleFlight]
    public readonly partial Task<string> ReadAsync(int id);

    private Task<string> ReadCoreAsync(int id) => Shared.WorkAsync("r" + Value + id);
}

public static class Scenarios
{
    public static Task Static() => Run.TwoKeysAsync(Shared.Gate, id => StaticHolder.GetAsync(id), id => "static" + id);

    public static async Task Accessibility()
    {
        foreach (var which in new[] { "private", "internal", "protected", "pi", "pp", "virtual" })
        {
            await Run.TwoKeysAsync(Shared.Gate, id => Access.Call(which, id), id => which + id);
        }
    }

    public static Task Nested() => Run.TwoKeysAsync(Shared.Gate, id => new Outer.Middle.Inner().GetAsync(id), id => "inner" + id);

    // Repo<int> and Repo<string> hold different groups: the same id makes two flights.
    public static Task GenericType()
        => Run.SeparateFlightsAsync(
            Shared.Gate,
            2,
            i => i == 0 ? new Repo<int>().GetAsync(1) : new Repo<string>().GetAsync(1),
            i => i == 0 ? "Int321" : "String1");

    public static Task Record() => Run.TwoKeysAsync(Shared.Gate, id => new Person("ann").GreetAsync(id), id => "ann" + id);

    public static Task RecordStruct() => Run.TwoKeysAsync(Shared.Gate, id => new Point(3).DescribeAsync(id), id => "p3" + id);

    public static Task Struct() => Run.TwoKeysAsync(Shared.Gate, id => new Counter { Start = 4 }.NextAsync(id), id => "s4" + id);

    public static Task ReadonlyStruct() => Run.TwoKeysAsync(Shared.Gate, id => new Frozen(5).ReadAsync(id), id => "r5" + id);
}
