using System.Net.Http.Json;
using SingleFlight;

namespace Contoso.Shop.Integrations;

public sealed record RepositoryInfo(string FullName, int Stars, string DefaultBranch);

/// <summary>A typed client (AddHttpClient&lt;GitHubClient&gt;): transient, with its HttpClient injected.</summary>
public sealed partial class GitHubClient(HttpClient http)
{
    // The HttpClient belongs to the instance that led the flight; whoever owns that instance may dispose it (a
    // scoped registration does, with the request), and its timeout and cancellation are the leader's.
    // expect: SF0012
    [SingleFlight]
    public partial Task<RepositoryInfo?> GetRepositoryAsync(string owner, string name, CancellationToken cancellationToken = default);

    private Task<RepositoryInfo?> GetRepositoryCoreAsync(string owner, string name, CancellationToken cancellationToken)
        => http.GetFromJsonAsync<RepositoryInfo>($"repos/{owner}/{name}", cancellationToken);
}
