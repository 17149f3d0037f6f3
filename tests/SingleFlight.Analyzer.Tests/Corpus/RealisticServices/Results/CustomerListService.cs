using Microsoft.EntityFrameworkCore;
using SingleFlight;

namespace Contoso.Shop.Results;

public sealed record CustomerPage(IReadOnlyList<CustomerDto> Items, int Total);

/// <summary>
/// A repository returning collections the usual way (List, Dictionary, HashSet, a tuple with a list), from a context
/// the flight owns. The callers receive the same collection object: one caller's Add or Sort changes it for the others.
/// </summary>
public sealed partial class CustomerListService(IDbContextFactory<ShopDb> contexts)
{
    // expect: SF0014
    [SingleFlight]
    public partial Task<List<CustomerDto>> GetByCityAsync(string tenant, CancellationToken cancellationToken = default);

    private async Task<List<CustomerDto>> GetByCityCoreAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Customers.Where(c => c.TenantId == tenant).Select(c => new CustomerDto(c.Id, c.Email, c.Name)).ToListAsync(cancellationToken);
    }

    // expect: SF0014
    [SingleFlight]
    public partial Task<Dictionary<int, CustomerDto>> GetIndexAsync(string tenant, CancellationToken cancellationToken = default);

    private async Task<Dictionary<int, CustomerDto>> GetIndexCoreAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var customers = await db.Customers.Where(c => c.TenantId == tenant).ToListAsync(cancellationToken);
        return customers.ToDictionary(static c => c.Id, static c => new CustomerDto(c.Id, c.Email, c.Name));
    }

    // expect: SF0014
    [SingleFlight]
    public partial Task<HashSet<string>> GetEmailDomainsAsync(string tenant, CancellationToken cancellationToken = default);

    private async Task<HashSet<string>> GetEmailDomainsCoreAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var emails = await db.Customers.Where(c => c.TenantId == tenant).Select(static c => c.Email).ToListAsync(cancellationToken);
        return emails.Select(static e => e[(e.IndexOf('@') + 1)..]).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    // The list inside the tuple is shared just the same.
    // expect: SF0014
    [SingleFlight]
    public partial Task<(List<CustomerDto> Items, int Total)> GetPageAsync(string tenant, int page, CancellationToken cancellationToken = default);

    private async Task<(List<CustomerDto> Items, int Total)> GetPageCoreAsync(string tenant, int page, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Customers.Where(c => c.TenantId == tenant);
        var items = await query.Skip(page * 20).Take(20).Select(c => new CustomerDto(c.Id, c.Email, c.Name)).ToListAsync(cancellationToken);
        return (items, await query.CountAsync(cancellationToken));
    }

    // A record of read-only collections: nothing to tell.
    // expect: none
    [SingleFlight]
    public partial Task<CustomerPage> GetPageRecordAsync(string tenant, int page, CancellationToken cancellationToken = default);

    private async Task<CustomerPage> GetPageRecordCoreAsync(string tenant, int page, CancellationToken cancellationToken)
    {
        var (items, total) = await GetPageAsync(tenant, page, cancellationToken);
        return new CustomerPage(items, total);
    }

    // Materialized behind IEnumerable<T>: quiet (the rule looks for deferred queries, not at the declared interface).
    // expect: none
    [SingleFlight]
    public partial Task<IEnumerable<CustomerDto>> GetVipsAsync(string tenant, CancellationToken cancellationToken = default);

    private async Task<IEnumerable<CustomerDto>> GetVipsCoreAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Customers.Where(c => c.TenantId == tenant && c.IsActive).Select(c => new CustomerDto(c.Id, c.Email, c.Name)).ToListAsync(cancellationToken);
    }

    // A deferred query over the flight's own context: every caller enumerates it after the context is disposed.
    // expect: SF0014
    [SingleFlight]
    public partial Task<IEnumerable<CustomerDto>> GetRecentAsync(string tenant, CancellationToken cancellationToken = default);

    private async Task<IEnumerable<CustomerDto>> GetRecentCoreAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await Task.Yield();
        return db.Customers.Where(c => c.TenantId == tenant).OrderByDescending(static c => c.Id).Take(10).Select(c => new CustomerDto(c.Id, c.Email, c.Name));
    }

    // The same deferred query, held in a local first: the rule reads what the core returns, not where a local came from,
    // so it misses this one (an allowed false negative of the corpus test, docs/diagnostics/SF0014.md).
    // expect: SF0014
    [SingleFlight]
    public partial Task<IEnumerable<CustomerDto>> GetNewestAsync(string tenant, CancellationToken cancellationToken = default);

    private async Task<IEnumerable<CustomerDto>> GetNewestCoreAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await Task.Yield();
        var newest = db.Customers.Where(c => c.TenantId == tenant).OrderByDescending(static c => c.Id).Select(c => new CustomerDto(c.Id, c.Email, c.Name));
        return newest;
    }
}
