using System.Threading;
using System.Threading.Tasks;
using SingleFlight;

namespace Matrix.Overloads
{
    public sealed partial class Service
    {
        public static readonly Gate Gate = new();

        private static async Task<string> WorkAsync(string what)
        {
            Gate.Enter();
            await Gate.WaitAsync();
            return what;
        }

        // Two annotated overloads of one name: two groups, two files.
        [SingleFlight]
        public partial Task<string> FindAsync(int id);

        private Task<string> FindCoreAsync(int id) => WorkAsync("int" + id);

        [SingleFlight]
        public partial Task<string> FindAsync(long id);

        private Task<string> FindCoreAsync(long id) => WorkAsync("long" + id);
    }

    public static class Scenarios
    {
        // FindAsync(1) and FindAsync(1L) have equal-looking keys but separate groups.
        public static Task Overloads()
            => Run.SeparateFlightsAsync(Service.Gate, 2, i => i == 0 ? new Service().FindAsync(1) : new Service().FindAsync(1L), i => i == 0 ? "int1" : "long1");

        public static Task SameTypeNameInTwoNamespaces()
            => Run.SeparateFlightsAsync(Service.Gate, 2, i => i == 0 ? new A.Twin().GetAsync(1) : new B.Twin().GetAsync(1), i => i == 0 ? "A1" : "B1");
    }
}

namespace Matrix.Overloads.A
{
    public partial class Twin
    {
        [SingleFlight]
        public partial Task<string> GetAsync(int id);

        private async Task<string> GetCoreAsync(int id)
        {
            Service.Gate.Enter();
            await Service.Gate.WaitAsync();
            return "A" + id;
        }
    }
}

namespace Matrix.Overloads.B
{
    public partial class Twin
    {
        [SingleFlight]
        public partial Task<string> GetAsync(int id);

        private async Task<string> GetCoreAsync(int id)
        {
            Service.Gate.Enter();
            await Service.Gate.WaitAsync();
            return "B" + id;
        }
    }
}
