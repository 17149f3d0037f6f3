using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Identity;

/// <summary>"My orders": the request's DbContext and the request's user.</summary>
public sealed partial class MyOrdersService
{
    private readonly ShopDb _db;
    private readonly ICurrentUser _user;

    public MyOrdersService(ShopDb db, ICurrentUser user)
    {
        _db = db;
        _user = user;
    }

    // expect: SF0012 SF0013 SF0014
    [SingleFlight]
    public partial Task<OrderSummary[]> GetMyOrdersAsync(int page, CancellationToken cancellationToken = default);

    private Task<OrderSummary[]> GetMyOrdersCoreAsync(int page, CancellationToken cancellationToken)
        => _db.Orders.AsNoTracking()
            .Where(o => o.CustomerId == _user.UserId)
            .OrderByDescending(o => o.PlacedAt)
            .Skip(page * 10)
            .Take(10)
            .Select(o => new OrderSummary(o.Id, o.Status, o.Total))
            .ToArrayAsync(cancellationToken);
}
