using MediatR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SingleFlight;

namespace Contoso.Shop.Handlers;

public sealed record GetCustomerCount(bool ActiveOnly) : IRequest<int>;

/// <summary>
/// A handler that resolves what it needs from the IServiceProvider it was given. Handlers are resolved from the
/// request's scope, so that provider is the request's scope: the leader's.
/// </summary>
public sealed partial class ServiceLocatorHandler(IServiceProvider services) : IRequestHandler<GetCustomerCount, int>
{
    // IServiceProvider is not a disposable type, but here it is the leader's request scope, disposed with it
    // (resolving from it afterwards throws ObjectDisposedException), and the ShopDb it returns is the leader's.
    // expect: SF0012
    [SingleFlight]
    public partial Task<int> Handle(GetCustomerCount request, CancellationToken cancellationToken);

    private Task<int> HandleCore(GetCustomerCount request, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<ShopDb>();
        return request.ActiveOnly ? db.Customers.CountAsync(c => c.IsActive, cancellationToken) : db.Customers.CountAsync(cancellationToken);
    }
}
