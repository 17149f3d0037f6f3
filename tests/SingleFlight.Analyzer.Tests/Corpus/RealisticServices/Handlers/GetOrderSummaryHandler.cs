using MediatR;
using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Handlers;

public sealed record GetOrderSummary(long OrderId) : IRequest<OrderSummary?>;

/// <summary>A MediatR handler (transient, resolved from the request's scope) with the request's DbContext.</summary>
public sealed partial class GetOrderSummaryHandler(ShopDb db) : IRequestHandler<GetOrderSummary, OrderSummary?>
{
    // expect: SF0012
    [SingleFlight]
    public partial Task<OrderSummary?> Handle(GetOrderSummary request, CancellationToken cancellationToken);

    private async Task<OrderSummary?> HandleCore(GetOrderSummary request, CancellationToken cancellationToken)
    {
        var order = await db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.Id == request.OrderId, cancellationToken);
        return order is null ? null : new OrderSummary(order.Id, order.Status, order.Total);
    }
}
