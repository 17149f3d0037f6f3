// Minimal stand-ins for the framework abstractions the corpus uses, in their real namespaces and with the real
// type shapes that matter to the analyzer (which interfaces and base types are IDisposable / IAsyncDisposable),
// so that rules can match them by full name. Bodies are never run: the corpus is only compiled.
//
// Real:           DbContext : IDisposable, IAsyncDisposable; IMemoryCache : IDisposable; ILoggerFactory : IDisposable;
//                 ICacheEntry : IDisposable. Not disposable: ILogger<T>, IOptions<T>, IOptionsMonitor<T>,
//                 IOptionsSnapshot<T>, IDbContextFactory<T>, IHttpClientFactory, IDistributedCache,
//                 IHttpContextAccessor, ISystemClock, IMediator.
// From referenced assemblies (not declared here): HttpClient, DbConnection, DbDataSource, IDbConnection,
//                 ActivitySource, Meter, TimeProvider, ClaimsPrincipal (BCL); IServiceScopeFactory, IServiceScope
//                 (DI abstractions); BackgroundService (hosting abstractions); IConnectionMultiplexer (StackExchange.Redis).

// The SDK's implicit usings of a web project (ImplicitUsings=enable), which the corpus files rely on.
global using System;
global using System.Collections.Generic;
global using System.IO;
global using System.Linq;
global using System.Net.Http;
global using System.Threading;
global using System.Threading.Tasks;

#nullable enable

namespace Microsoft.EntityFrameworkCore
{
    using System.Collections;
    using System.Linq.Expressions;

    public class DbContextOptions
    {
    }

    public class DbContextOptions<TContext> : DbContextOptions
        where TContext : DbContext
    {
    }

    /// <summary>EF Core's unit of work: scoped by <c>AddDbContext</c>, disposed with the request's scope.</summary>
    public class DbContext : IDisposable, IAsyncDisposable
    {
        public DbContext(DbContextOptions options)
        {
        }

        public virtual DbSet<TEntity> Set<TEntity>()
            where TEntity : class
            => throw new NotSupportedException();

        public virtual Task<int> SaveChangesAsync(CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public virtual int SaveChanges() => throw new NotSupportedException();

        public virtual void Dispose()
        {
        }

        public virtual ValueTask DisposeAsync() => default;
    }

    public abstract class DbSet<TEntity> : IQueryable<TEntity>
        where TEntity : class
    {
        public abstract Type ElementType { get; }

        public abstract Expression Expression { get; }

        public abstract IQueryProvider Provider { get; }

        public abstract IEnumerator<TEntity> GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public virtual TEntity? Find(params object?[]? keyValues) => throw new NotSupportedException();

        public virtual ValueTask<TEntity?> FindAsync(object?[]? keyValues, CancellationToken cancellationToken)
            => throw new NotSupportedException();

        public virtual void Add(TEntity entity) => throw new NotSupportedException();
    }

    /// <summary>A singleton that hands out contexts the caller owns: made to be shared.</summary>
    public interface IDbContextFactory<TContext>
        where TContext : DbContext
    {
        TContext CreateDbContext();

        Task<TContext> CreateDbContextAsync(CancellationToken cancellationToken = default);
    }

    public static class EntityFrameworkQueryableExtensions
    {
        public static IQueryable<T> AsNoTracking<T>(this IQueryable<T> source)
            where T : class
            => source;

        public static Task<List<T>> ToListAsync<T>(this IQueryable<T> source, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public static Task<T[]> ToArrayAsync<T>(this IQueryable<T> source, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public static Task<T?> FirstOrDefaultAsync<T>(this IQueryable<T> source, Expression<Func<T, bool>> predicate, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public static Task<T?> SingleOrDefaultAsync<T>(this IQueryable<T> source, Expression<Func<T, bool>> predicate, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public static Task<int> CountAsync<T>(this IQueryable<T> source, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public static Task<int> CountAsync<T>(this IQueryable<T> source, Expression<Func<T, bool>> predicate, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public static Task<bool> AnyAsync<T>(this IQueryable<T> source, Expression<Func<T, bool>> predicate, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public static Task<decimal> SumAsync<T>(this IQueryable<T> source, Expression<Func<T, decimal>> selector, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();
    }
}

namespace Microsoft.Extensions.Logging
{
    public enum LogLevel
    {
        Trace,
        Debug,
        Information,
        Warning,
        Error,
        Critical,
        None,
    }

    public readonly struct EventId
    {
        public EventId(int id, string? name = null)
        {
            Id = id;
            Name = name;
        }

        public int Id { get; }

        public string? Name { get; }
    }

    public interface ILogger
    {
        void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter);

        bool IsEnabled(LogLevel logLevel);

        IDisposable? BeginScope<TState>(TState state)
            where TState : notnull;
    }

    public interface ILogger<out TCategoryName> : ILogger
    {
    }

    /// <summary>A singleton; disposable because the host owns and disposes it.</summary>
    public interface ILoggerFactory : IDisposable
    {
        ILogger CreateLogger(string categoryName);
    }

    public static class LoggerExtensions
    {
        public static void LogDebug(this ILogger logger, string? message, params object?[] args) => logger.Log(LogLevel.Debug, message, args);

        public static void LogInformation(this ILogger logger, string? message, params object?[] args) => logger.Log(LogLevel.Information, message, args);

        public static void LogWarning(this ILogger logger, string? message, params object?[] args) => logger.Log(LogLevel.Warning, message, args);

        public static void LogWarning(this ILogger logger, Exception? exception, string? message, params object?[] args) => logger.Log(LogLevel.Warning, message, args);

        public static void LogError(this ILogger logger, Exception? exception, string? message, params object?[] args) => logger.Log(LogLevel.Error, message, args);

        public static void Log(this ILogger logger, LogLevel logLevel, string? message, params object?[] args)
            => logger.Log(logLevel, default, message ?? string.Empty, null, static (state, _) => state);
    }
}

namespace Microsoft.Extensions.Options
{
    public interface IOptions<out TOptions>
        where TOptions : class
    {
        TOptions Value { get; }
    }

    /// <summary>Scoped: recomputed once per request from configuration.</summary>
    public interface IOptionsSnapshot<out TOptions> : IOptions<TOptions>
        where TOptions : class
    {
        TOptions Get(string? name);
    }

    public interface IOptionsMonitor<out TOptions>
    {
        TOptions CurrentValue { get; }

        TOptions Get(string? name);

        IDisposable? OnChange(Action<TOptions, string?> listener);
    }
}

namespace Microsoft.Extensions.Primitives
{
    public readonly struct StringValues
    {
        private readonly string? _value;

        public StringValues(string? value) => _value = value;

        public override string ToString() => _value ?? string.Empty;

        public static implicit operator string?(StringValues values) => values._value;
    }
}

namespace Microsoft.Extensions.Caching.Memory
{
    public interface ICacheEntry : IDisposable
    {
        object Key { get; }

        object? Value { get; set; }

        TimeSpan? AbsoluteExpirationRelativeToNow { get; set; }
    }

    /// <summary>A singleton (AddMemoryCache); disposable because the container owns it.</summary>
    public interface IMemoryCache : IDisposable
    {
        bool TryGetValue(object key, out object? value);

        ICacheEntry CreateEntry(object key);

        void Remove(object key);
    }

    public static class CacheExtensions
    {
        public static bool TryGetValue<TItem>(this IMemoryCache cache, object key, out TItem? value)
            => throw new NotSupportedException();

        public static TItem Set<TItem>(this IMemoryCache cache, object key, TItem value, TimeSpan absoluteExpirationRelativeToNow)
            => throw new NotSupportedException();

        public static Task<TItem?> GetOrCreateAsync<TItem>(this IMemoryCache cache, object key, Func<ICacheEntry, Task<TItem>> factory)
            => throw new NotSupportedException();
    }
}

namespace Microsoft.Extensions.Caching.Distributed
{
    public class DistributedCacheEntryOptions
    {
        public TimeSpan? AbsoluteExpirationRelativeToNow { get; set; }
    }

    public interface IDistributedCache
    {
        Task<byte[]?> GetAsync(string key, CancellationToken token = default);

        Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default);

        Task RemoveAsync(string key, CancellationToken token = default);
    }

    public static class DistributedCacheExtensions
    {
        public static Task<string?> GetStringAsync(this IDistributedCache cache, string key, CancellationToken token = default)
            => throw new NotSupportedException();

        public static Task SetStringAsync(this IDistributedCache cache, string key, string value, DistributedCacheEntryOptions options, CancellationToken token = default)
            => throw new NotSupportedException();
    }
}

namespace Microsoft.Extensions.Internal
{
    /// <summary>The pre-TimeProvider clock abstraction (Microsoft.Extensions.Caching, ASP.NET Core authentication).</summary>
    public interface ISystemClock
    {
        DateTimeOffset UtcNow { get; }
    }
}

namespace Microsoft.AspNetCore.Http
{
    using System.Security.Claims;
    using Microsoft.Extensions.Primitives;

    public interface IHeaderDictionary
    {
        StringValues this[string key] { get; set; }
    }

    public abstract class HttpRequest
    {
        public abstract IHeaderDictionary Headers { get; }

        public abstract string Path { get; set; }
    }

    public abstract class HttpContext
    {
        public abstract ClaimsPrincipal User { get; set; }

        public abstract HttpRequest Request { get; }

        public abstract CancellationToken RequestAborted { get; set; }

        public abstract IServiceProvider RequestServices { get; set; }
    }

    /// <summary>A singleton whose <see cref="HttpContext"/> is the current request's (flows with the execution context).</summary>
    public interface IHttpContextAccessor
    {
        HttpContext? HttpContext { get; set; }
    }
}

namespace System.Net.Http
{
    /// <summary>Microsoft.Extensions.Http's factory (a singleton): clients it creates share pooled handlers.</summary>
    public interface IHttpClientFactory
    {
        HttpClient CreateClient(string name);
    }

    public static class HttpClientFactoryExtensions
    {
        public static HttpClient CreateClient(this IHttpClientFactory factory) => factory.CreateClient(string.Empty);
    }
}

namespace MediatR
{
    public interface IRequest<out TResponse>
    {
    }

    public interface IRequestHandler<in TRequest, TResponse>
        where TRequest : IRequest<TResponse>
    {
        Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken);
    }

    public interface IMediator
    {
        Task<TResponse> Send<TResponse>(IRequest<TResponse> request, CancellationToken cancellationToken = default);
    }
}

namespace Dapper
{
    using System.Data;

    public static class SqlMapper
    {
        public static Task<IEnumerable<T>> QueryAsync<T>(this IDbConnection connection, string sql, object? param = null)
            => throw new NotSupportedException();

        public static Task<T?> QuerySingleOrDefaultAsync<T>(this IDbConnection connection, string sql, object? param = null)
            => throw new NotSupportedException();

        public static Task<T> ExecuteScalarAsync<T>(this IDbConnection connection, string sql, object? param = null)
            => throw new NotSupportedException();

        public static IEnumerable<T> Query<T>(this IDbConnection connection, string sql, object? param = null)
            => throw new NotSupportedException();
    }
}
