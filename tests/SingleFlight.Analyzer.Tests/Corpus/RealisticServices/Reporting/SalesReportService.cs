using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SingleFlight;

namespace Contoso.Shop.Reporting;

public sealed record SalesReport(string Title, DateOnly From, DateOnly To, decimal Revenue, int Orders, DateTimeOffset GeneratedAt);

/// <summary>Expensive reports, coalesced when a dashboard is opened by many people at once.</summary>
public sealed partial class SalesReportService(
    IDbContextFactory<ShopDb> contexts,
    ILogger<SalesReportService> logger,
    TimeProvider time,
    IOptions<ReportSettings> settings)
{
    private readonly ReportSettings _settings = settings.Value;

    // A readonly record copied from options, the logger, the clock, the context factory.
    // expect: none
    [SingleFlight]
    public partial Task<SalesReport> GetReportAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default);

    private async Task<SalesReport> GetReportCoreAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var start = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var end = new DateTimeOffset(to.ToDateTime(TimeOnly.MaxValue), TimeSpan.Zero);
        var orders = db.Orders.AsNoTracking().Where(o => o.PlacedAt >= start && o.PlacedAt <= end).Take(_settings.MaxRows);
        var revenue = await orders.SumAsync(o => o.Total, cancellationToken);
        var count = await orders.CountAsync(cancellationToken);
        logger.LogInformation("Report {From}..{To} took {Elapsed}", from, to, time.GetElapsedTime(started));
        return new SalesReport(_settings.Title, from, to, revenue, count, time.GetUtcNow());
    }
}
