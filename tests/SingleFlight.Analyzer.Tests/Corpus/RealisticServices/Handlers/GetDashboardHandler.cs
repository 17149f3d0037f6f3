using MediatR;
using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Handlers;

public sealed record DashboardTile(string Title, decimal Value);

public sealed record GetDashboard(int Year) : IRequest<DashboardTile[]>;

/// <summary>
/// "My dashboard": the request carries only the year, the user comes from the scoped current-user service.
/// </summary>
public sealed partial class GetDashboardHandler(IDbContextFactory<ShopDb> contexts, ICurrentUser user) : IRequestHandler<GetDashboard, DashboardTile[]>
{
    // The key is the request (the year); the core reads the leader's user: a joiner gets another user's dashboard.
    // expect: SF0013 SF0014
    [SingleFlight]
    public partial Task<DashboardTile[]> Handle(GetDashboard request, CancellationToken cancellationToken);

    private async Task<DashboardTile[]> HandleCore(GetDashboard request, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var mine = db.Orders.Where(o => o.CustomerId == user.UserId && o.PlacedAt.Year == request.Year);
        var count = await mine.CountAsync(cancellationToken);
        var total = await mine.SumAsync(o => o.Total, cancellationToken);
        return [new DashboardTile("Orders", count), new DashboardTile("Spent", total)];
    }
}
