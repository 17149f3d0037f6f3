using MediatR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SingleFlight;

namespace Contoso.Shop.Handlers;

public sealed record SearchProducts(ProductFilter Filter) : IRequest<ProductDto[]>;

/// <summary>A handler that takes its DbContext from the flight's scope and its page size from options.</summary>
public sealed partial class SearchProductsHandler(IServiceScopeFactory scopes, IOptions<CatalogOptions> options) : IRequestHandler<SearchProducts, ProductDto[]>
{
    // expect: SF0014
    [SingleFlight]
    public partial Task<ProductDto[]> Handle(SearchProducts request, CancellationToken cancellationToken);

    private async Task<ProductDto[]> HandleCore(SearchProducts request, [FromFlightScope] ShopDb db, CancellationToken cancellationToken)
    {
        var size = options.Value.PageSize;
        var query = db.Products.AsNoTracking().Where(p => p.Category == request.Filter.Category);
        if (request.Filter.MaxPrice is { } max)
        {
            query = query.Where(p => p.Price <= max);
        }

        if (!options.Value.IncludeInactive)
        {
            query = query.Where(p => p.IsActive);
        }

        return await query
            .OrderBy(p => p.Name)
            .Skip(request.Filter.Page * size)
            .Take(size)
            .Select(p => new ProductDto(p.Id, p.Sku, p.Name, p.Price))
            .ToArrayAsync(cancellationToken);
    }
}
