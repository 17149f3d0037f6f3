using System.Threading;
using System.Threading.Tasks;
using SingleFlight;

namespace Matrix
{
    // Usings inside a block namespace, an alias and a using static: KeyFrom expressions rely on them, so the
    // generated file must repeat them.
    namespace Keys
    {
        using System.Globalization;
        using Inv = System.Globalization.CultureInfo;
        using static System.Math;

        public sealed record Request(string TenantId, int Id);

        public sealed partial class Service
        {
            public static readonly Gate Gate = new();

            [SingleFlight(KeyFrom = nameof(id))]
            public partial Task<string> ByNameofAsync(int id, CancellationToken cancellationToken = default);

            private async Task<string> ByNameofCoreAsync(int id, CancellationToken cancellationToken)
            {
                Gate.Enter();
                await Gate.WaitAsync();
                return "n" + id;
            }

            // A typed tuple key: ("a:b", "c") and ("a", "b:c") are different keys.
            [SingleFlight(KeyFrom = "tenant, id")]
            public partial Task<string> CompositeAsync(string tenant, string id, CancellationToken cancellationToken = default);

            private async Task<string> CompositeCoreAsync(string tenant, string id, CancellationToken cancellationToken)
            {
                Gate.Enter();
                await Gate.WaitAsync();
                return tenant + "|" + id;
            }

            [SingleFlight(KeyFrom = "request.TenantId, request.Id")]
            public partial Task<string> ByPathAsync(Request request, CancellationToken cancellationToken = default);

            private async Task<string> ByPathCoreAsync(Request request, CancellationToken cancellationToken)
            {
                Gate.Enter();
                await Gate.WaitAsync();
                return request.TenantId + "/" + request.Id;
            }

            [SingleFlight(KeyFrom = "id.ToString(CultureInfo.InvariantCulture)")]
            public partial Task<string> ByCallAsync(int id, CancellationToken cancellationToken = default);

            private async Task<string> ByCallCoreAsync(int id, CancellationToken cancellationToken)
            {
                Gate.Enter();
                await Gate.WaitAsync();
                return "c" + id;
            }

            [SingleFlight(KeyFrom = "Abs(id).ToString(Inv.InvariantCulture)")]
            public partial Task<string> ByAliasAsync(int id, CancellationToken cancellationToken = default);

            private async Task<string> ByAliasCoreAsync(int id, CancellationToken cancellationToken)
            {
                Gate.Enter();
                await Gate.WaitAsync();
                return "a" + Abs(id);
            }

            // No KeyFrom: every parameter but tokens and [NotKey] ones.
            [SingleFlight]
            public partial Task<string> DefaultKeyAsync(string tenant, int id, [NotKey] string? traceId, CancellationToken cancellationToken = default);

            private async Task<string> DefaultKeyCoreAsync(string tenant, int id, string? traceId, CancellationToken cancellationToken)
            {
                Gate.Enter();
                await Gate.WaitAsync();
                return tenant + id;
            }

            // No KeyFrom and nothing but a token: one flight for the whole method.
            [SingleFlight]
            public partial Task<int> NoKeyAsync(CancellationToken cancellationToken = default);

            private async Task<int> NoKeyCoreAsync(CancellationToken cancellationToken)
            {
                Gate.Enter();
                await Gate.WaitAsync();
                return 42;
            }

            [SingleFlight]
            public static partial Task<int> NoParametersAsync();

            private static async Task<int> NoParametersCoreAsync()
            {
                Gate.Enter();
                await Gate.WaitAsync();
                return 7;
            }
        }

        public static class Scenarios
        {
            public static Task Nameof() => Run.TwoKeysAsync(Service.Gate, id => new Service().ByNameofAsync(id), id => "n" + id);

            public static Task Composite()
                => Run.TwoKeysAsync(
                    Service.Gate,
                    i => i == 0 ? new Service().CompositeAsync("a:b", "c") : new Service().CompositeAsync("a", "b:c"),
                    i => i == 0 ? "a:b|c" : "a|b:c");

            public static Task MemberPath()
                => Run.TwoKeysAsync(Service.Gate, i => new Service().ByPathAsync(new Request("t", i)), i => "t/" + i);

            public static Task MethodCall() => Run.TwoKeysAsync(Service.Gate, id => new Service().ByCallAsync(id), id => "c" + id);

            public static Task AliasAndUsingStatic()
                => Run.TwoKeysAsync(Service.Gate, i => new Service().ByAliasAsync(i == 0 ? 5 : 6), i => i == 0 ? "a5" : "a6");

            public static async Task DefaultKey()
            {
                // traceId is [NotKey]: callers that differ only in it share a flight.
                await Run.TwoKeysAsync(Service.Gate, i => new Service().DefaultKeyAsync("t", i, "trace" + i), i => "t" + i);
                await Run.OneKeyAsync(Service.Gate, i => new Service().DefaultKeyAsync("t", 1, "trace" + i), "t1");
            }

            public static Task NoKey() => Run.OneKeyAsync(Service.Gate, _ => new Service().NoKeyAsync(), 42);

            public static Task NoParameters() => Run.OneKeyAsync(Service.Gate, _ => Service.NoParametersAsync(), 7);
        }
    }
}
