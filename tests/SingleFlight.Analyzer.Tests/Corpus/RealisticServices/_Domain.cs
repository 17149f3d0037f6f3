// The application's own types the services share: entities, the EF Core context, DTOs, options classes, and the
// app's tenant/user abstractions. No [SingleFlight] method here.

#nullable enable

using System.Data;
using Microsoft.EntityFrameworkCore;

namespace Contoso.Shop;

// ---- entities (EF Core entities are mutable classes) -------------------------------------------------------------

public sealed class Product
{
    public int Id { get; set; }

    public string Sku { get; set; } = "";

    public string Name { get; set; } = "";

    public string Category { get; set; } = "";

    public decimal Price { get; set; }

    public string TenantId { get; set; } = "";

    public bool IsActive { get; set; }
}

public sealed class Customer
{
    public int Id { get; set; }

    public string Email { get; set; } = "";

    public string Name { get; set; } = "";

    public bool IsActive { get; set; }

    public string TenantId { get; set; } = "";
}

public sealed class Order
{
    public long Id { get; set; }

    public int CustomerId { get; set; }

    public string TenantId { get; set; } = "";

    public DateTimeOffset PlacedAt { get; set; }

    public decimal Total { get; set; }

    public string Status { get; set; } = "";
}

public sealed class Invoice
{
    public long Id { get; set; }

    public int CustomerId { get; set; }

    public decimal Amount { get; set; }

    public bool IsPaid { get; set; }
}

public sealed class StockLevel
{
    public string Sku { get; set; } = "";

    public string Warehouse { get; set; } = "";

    public int Quantity { get; set; }
}

public sealed class AuditEntry
{
    public long Id { get; set; }

    public string Action { get; set; } = "";

    public DateTimeOffset At { get; set; }
}

// ---- the EF Core contexts ----------------------------------------------------------------------------------------

public sealed class ShopDb(DbContextOptions<ShopDb> options) : DbContext(options)
{
    public DbSet<Product> Products => Set<Product>();

    public DbSet<Customer> Customers => Set<Customer>();

    public DbSet<Order> Orders => Set<Order>();

    public DbSet<Invoice> Invoices => Set<Invoice>();

    public DbSet<StockLevel> Stock => Set<StockLevel>();
}

public sealed class AuditDb(DbContextOptions<AuditDb> options) : DbContext(options)
{
    public DbSet<AuditEntry> Entries => Set<AuditEntry>();
}

// ---- DTOs (records: value equality, usable as keys and results) -------------------------------------------------

public sealed record ProductDto(int Id, string Sku, string Name, decimal Price);

public sealed record CustomerDto(int Id, string Email, string Name);

public sealed record OrderSummary(long OrderId, string Status, decimal Total);

public sealed record Money(decimal Amount, string Currency);

public sealed record PageRequest(int Page, int Size);

public sealed record ProductFilter(string Category, decimal? MaxPrice, int Page);

// ---- options classes (bound from configuration: mutable POCOs, as the options pattern requires) -----------------

public sealed class CatalogOptions
{
    public int PageSize { get; set; } = 20;

    public string DefaultCurrency { get; set; } = "EUR";

    public bool IncludeInactive { get; set; }
}

public sealed class PricingOptions
{
    public decimal VatRate { get; set; } = 0.2m;

    public string Currency { get; set; } = "EUR";

    public TimeSpan QuoteLifetime { get; set; } = TimeSpan.FromMinutes(5);
}

public sealed class WeatherApiOptions
{
    public string BaseUrl { get; set; } = "";

    public string ApiKey { get; set; } = "";
}

public sealed class FeatureOptions
{
    public bool NewCheckout { get; set; }

    public int RecommendationCount { get; set; } = 5;
}

public sealed class CacheOptions
{
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(1);

    public string Prefix { get; set; } = "shop:";
}

/// <summary>Configuration as an immutable record (bound once and copied out of the options).</summary>
public sealed record ReportSettings(string Title, int MaxRows, string TimeZoneId);

// ---- the app's multi-tenancy and user abstractions (scoped: filled per request by middleware) -------------------

public interface ITenantContext
{
    string TenantId { get; }

    string Region { get; }

    string ConnectionString { get; }
}

public interface ICurrentUser
{
    int UserId { get; }

    string Email { get; }

    string TimeZoneId { get; }

    bool IsAdmin { get; }
}

// ---- data access helpers -----------------------------------------------------------------------------------------

/// <summary>A singleton that opens a new connection the caller owns (the Dapper way).</summary>
public interface IDbConnectionFactory
{
    IDbConnection CreateConnection();

    Task<IDbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default);
}

/// <summary>A scoped unit of work over a transaction; the request's scope disposes it.</summary>
public interface IUnitOfWork : IAsyncDisposable
{
    ShopDb Db { get; }

    Task CommitAsync(CancellationToken cancellationToken = default);
}

/// <summary>An outbound API the app calls through a typed client.</summary>
public interface IExchangeRateApi
{
    Task<decimal> GetRateAsync(string from, string to, CancellationToken cancellationToken = default);
}
