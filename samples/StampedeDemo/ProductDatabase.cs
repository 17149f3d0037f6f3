using Microsoft.Data.Sqlite;

namespace StampedeDemo;

public sealed record Product(int Id, string Name, int Reviews, double AverageStars);

/// <summary>
/// An SQLite database in a temporary file, seeded with products and reviews. Loading a product runs a real
/// aggregate query that scans the reviews table (there is deliberately no index), after a simulated network
/// round trip. The process that seeds the file owns it and deletes it; worker processes of the multi-process
/// mode open the same file and count their own queries.
/// </summary>
public sealed class ProductDatabase : IDisposable
{
    private readonly string _path;
    private readonly string _connectionString;
    private readonly TimeSpan _latency;
    private readonly bool _owned;
    private int _queries;

    /// <summary>Creates and seeds a new database file in the temp directory; disposing deletes it.</summary>
    public ProductDatabase(int products, int reviews, TimeSpan latency)
        : this(Path.Combine(Path.GetTempPath(), $"stampede-demo-{Guid.NewGuid():N}.db"), latency, owned: true)
    {
        Seed(products, reviews);
    }

    /// <summary>Opens a database file that another process seeded; disposing leaves it in place.</summary>
    public ProductDatabase(string path, TimeSpan latency)
        : this(path, latency, owned: false)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException("No database file.", path);
        }
    }

    private ProductDatabase(string path, TimeSpan latency, bool owned)
    {
        _path = path;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = _path, Pooling = true }.ToString();
        _latency = latency;
        _owned = owned;
    }

    /// <summary>The database file.</summary>
    public string FilePath => _path;

    /// <summary>How many product queries this process sent to the database.</summary>
    public int Queries => Volatile.Read(ref _queries);

    public async Task<Product> LoadProductAsync(int id, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queries);
        await Task.Delay(_latency, cancellationToken).ConfigureAwait(false);

        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT p.name, COUNT(r.id), COALESCE(AVG(r.stars), 0)
            FROM products p LEFT JOIN reviews r ON r.product_id = p.id
            WHERE p.id = $id
            GROUP BY p.id
            """;
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new KeyNotFoundException($"No product {id}.");
        }

        return new Product(id, reader.GetString(0), reader.GetInt32(1), reader.GetDouble(2));
    }

    /// <summary>
    /// Loads several products in one query (one network round trip, one scan of the reviews table); ids with no product
    /// are left out of the result.
    /// </summary>
    public async Task<Dictionary<int, Product>> LoadProductsAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _queries);
        await Task.Delay(_latency, cancellationToken).ConfigureAwait(false);

        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var names = new List<string>(ids.Count);
        foreach (var id in ids)
        {
            var name = "$id" + names.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            command.Parameters.AddWithValue(name, id);
            names.Add(name);
        }

        command.CommandText = $"""
            SELECT p.id, p.name, COUNT(r.id), COALESCE(AVG(r.stars), 0)
            FROM products p LEFT JOIN reviews r ON r.product_id = p.id
            WHERE p.id IN ({string.Join(", ", names)})
            GROUP BY p.id
            """;
        var products = new Dictionary<int, Product>(ids.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetInt32(0);
            products[id] = new Product(id, reader.GetString(1), reader.GetInt32(2), reader.GetDouble(3));
        }

        return products;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (!_owned)
        {
            return;
        }

        // The file, and the write-ahead log and shared-memory files that WAL mode keeps next to it.
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
                // A temp file left behind is harmless.
            }
        }
    }

    private void Seed(int products, int reviews)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode = WAL;";
            pragma.ExecuteNonQuery();
        }

        using var transaction = connection.BeginTransaction();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = """
                CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
                CREATE TABLE reviews (id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL, stars INTEGER NOT NULL);
                """;
            create.ExecuteNonQuery();
        }

        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO products (id, name) VALUES ($id, $name)";
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var name = insert.Parameters.Add("$name", SqliteType.Text);
            for (var i = 1; i <= products; i++)
            {
                id.Value = i;
                name.Value = $"Product {i}";
                insert.ExecuteNonQuery();
            }
        }

        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO reviews (product_id, stars) VALUES ($product, $stars)";
            var product = insert.Parameters.Add("$product", SqliteType.Integer);
            var stars = insert.Parameters.Add("$stars", SqliteType.Integer);
            var random = new Random(42);
            for (var i = 0; i < reviews; i++)
            {
                product.Value = random.Next(1, products + 1);
                stars.Value = random.Next(1, 6);
                insert.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }
}
