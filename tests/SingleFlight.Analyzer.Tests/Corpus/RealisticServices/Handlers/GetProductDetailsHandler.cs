using MediatR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SingleFlight;

namespace Contoso.Shop.Handlers;

public sealed record GetProductDetails(int ProductId, string Currency) : IRequest<ProductDto?>;

/// <summary>A handler over a context factory, with a logger.</summary>
public sealed partial class GetProductDetailsHandler : IRequestHandler<GetProductDetails, ProductDto?>
{
    private readonly IDbContextFactory<ShopDb> _contexts;
    private readonly ILogger<GetProductDetailsHandler> _logger;

    public GetProductDetailsHandler(IDbContextFactory<ShopDb> contexts, ILogger<GetProductDetailsHandler> logger)
    {
        _contexts = contexts;
        _logger = logger;
    }

    // expect: none
    [SingleFlight]
    public partial Task<ProductDto?> Handle(GetProductDetails request, CancellationToken cancellationToken);

    private async Task<ProductDto?> HandleCore(GetProductDetails request, CancellationToken cancellationToken)
    {
        using var db = _contexts.CreateDbContext();
        var product = await db.Products.FindAsync([request.ProductId], cancellationToken);
        if (product is null)
        {
            _logger.LogWarning("Product {ProductId} not found", request.ProductId);
            return null;
        }

        return new ProductDto(product.Id, product.Sku, product.Name, product.Price);
    }
}
