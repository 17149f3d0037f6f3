using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SingleFlight;

namespace Contoso.Shop.Workers;

/// <summary>
/// A worker that imports a partner feed; each import runs on a DbContext from the flight's own scope.
/// </summary>
public sealed partial class FeedImportWorker(IServiceScopeFactory scopes, IHttpClientFactory clients, IHostApplicationLifetime lifetime) : BackgroundService
{
    // The application-stopping token is the host's, shared by every caller; the client is made by the core.
    // expect: none
    [SingleFlight]
    public partial Task<int> ImportAsync(string feed);

    private async Task<int> ImportCoreAsync(string feed, [FromFlightScope] ShopDb db)
    {
        var stopping = lifetime.ApplicationStopping;
        var client = clients.CreateClient("feeds");
        var lines = (await client.GetStringAsync(feed, stopping)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var known = await db.Products.CountAsync(stopping);
        return lines.Length - known;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await ImportAsync("https://partner.example.com/feed.csv");
            await Task.Delay(TimeSpan.FromMinutes(15), stoppingToken);
        }
    }
}
