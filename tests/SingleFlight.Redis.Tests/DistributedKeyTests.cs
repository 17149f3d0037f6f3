namespace SingleFlight.Redis.Tests;

public enum Color : byte
{
    Red = 1,
    Blue = 2,
}

/// <summary>The canonical key encoding: no Redis needed.</summary>
public sealed class DistributedKeyTests
{
    [Fact]
    public void Strings_are_length_prefixed_so_separators_inside_them_never_collide()
    {
        Assert.Equal("t2:s3:a:bs1:c", DistributedKey.Encode(("a:b", "c")));
        Assert.Equal("t2:s1:as3:b:c", DistributedKey.Encode(("a", "b:c")));
        Assert.Equal("s3:a:b", DistributedKey.Encode("a:b"));
        Assert.Equal("i2:42", DistributedKey.Encode(42));
    }

    [Fact]
    public void Unequal_keys_encode_differently()
    {
        object[] keys =
        [
            "", "n", "s0:", ":", "a", "a:b", "\0", "{", "}", "\r\n", "😀", "\uD83D",
            ("", ""), ("a", ""), ("", "a"), ("a:", "b"), ("a", ":b"), ("n", (string?)null), ((string?)null, "n"),
            ((string?)null, (string?)null), (("a", "b"), "c"), ("a", ("b", "c")), ("a", "b", "c"),
            1, -1, 1u, 1UL + int.MaxValue, (char)0xD83D, '\uFFFD', "\uFFFD", "\uDE00", "\uDE00\uD83D", 1.5, "1", '1', true, false, Color.Red, Color.Blue,
            Guid.Empty, new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"),
            new DateTime(2026, 11, 25, 10, 0, 0, DateTimeKind.Utc), new DateTime(2026, 11, 25, 10, 0, 0, 1, DateTimeKind.Utc),
            new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.FromHours(2)), TimeSpan.FromTicks(1),
            (1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 5, 6, 7, 8, 10), 1.0000001m, 1.000001m,
        ];
        var encodings = keys.Select(k => DistributedKey.Encode(k)).ToList();

        // Only same-typed keys ever meet in one group; these differ across the listed types too. (int and long
        // share the tag i on purpose: a group's key type is fixed.)
        var duplicates = encodings.GroupBy(e => e, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.Empty(duplicates);
    }

    [Fact]
    public void Equal_values_written_differently_encode_the_same()
    {
        Assert.Equal(DistributedKey.Encode(0.0), DistributedKey.Encode(-0.0));
        Assert.Equal(DistributedKey.Encode(1.0m), DistributedKey.Encode(1.00m));
        Assert.Equal(DistributedKey.Encode(0m), DistributedKey.Encode(0.000m));
        Assert.Equal(DistributedKey.Encode(100m), DistributedKey.Encode(100.0m));
        Assert.Equal(DistributedKey.Encode(double.NaN), DistributedKey.Encode(-double.NaN));
    }

    [Fact]
    public void Encoding_does_not_depend_on_the_current_culture()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        try
        {
            var key = (1234567.5, -3, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), 1.5m);
            Thread.CurrentThread.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
            var invariant = DistributedKey.Encode(key);
            Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.Equal(invariant, DistributedKey.Encode(key));
            Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("ar-SA");
            Assert.Equal(invariant, DistributedKey.Encode(key));
            Assert.Equal("t4:f9:1234567.5i2:-3d28:2026-01-02T03:04:05.0000000Zm3:1.5", invariant);
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Supported_and_unsupported_types_are_told_apart()
    {
        Assert.True(DistributedKey.IsSupported(typeof(int)));
        Assert.True(DistributedKey.IsSupported(typeof(Color)));
        Assert.True(DistributedKey.IsSupported(typeof(int?)));
        Assert.True(DistributedKey.IsSupported(typeof((string, (Guid, DateTimeOffset), TimeSpan))));
        Assert.True(DistributedKey.IsSupported(typeof((int, int, int, int, int, int, int, int, int))));
        Assert.False(DistributedKey.IsSupported(typeof(object)));
        Assert.False(DistributedKey.IsSupported(typeof(int[])));
        Assert.False(DistributedKey.IsSupported(typeof(Tuple<int>)));
        Assert.False(DistributedKey.IsSupported(typeof((int, Uri))));
        Assert.Throws<NotSupportedException>(() => DistributedKey.Encode(new Uri("http://localhost")));
    }

    /// <summary>Whether these tests run against the netstandard2.0 build (<c>-p:RedisTargetFramework=netstandard2.0</c>).</summary>
    private static bool NetStandardBuild
        => typeof(DistributedKey).Assembly.GetCustomAttributes(typeof(System.Runtime.Versioning.TargetFrameworkAttribute), false)
            .Cast<System.Runtime.Versioning.TargetFrameworkAttribute>()
            .Single().FrameworkName.StartsWith(".NETStandard", StringComparison.Ordinal);

    [Fact]
    public void Encodings_are_the_same_in_every_build()
    {
        // Processes of both builds share flights, so these exact strings hold for net8.0 and netstandard2.0 alike:
        // the latter reads tuples by reflection and writes the hex by hand.
        Assert.Equal("x4:3DD8", DistributedKey.Encode("\uD83D"));
        Assert.Equal("x8:00DE3DD8", DistributedKey.Encode("\uDE00\uD83D"));
        Assert.Equal("t9:i1:1i1:2i1:3i1:4i1:5i1:6i1:7i1:8i1:9", DistributedKey.Encode((1, 2, 3, 4, 5, 6, 7, 8, 9)));
        Assert.Equal("t8:i1:1i1:2i1:3i1:4i1:5i1:6i1:7t2:s1:as1:b", DistributedKey.Encode((1, 2, 3, 4, 5, 6, 7, ("a", "b"))));
        Assert.Equal("t1:i1:1", DistributedKey.Encode(ValueTuple.Create(1)));
        Assert.Equal("t2:nt2:vb1:1", DistributedKey.Encode(((int?)null, (Unit.Value, true))));
        Assert.Equal("m3:1.5", DistributedKey.Encode(1.50m));
    }

    [Fact]
    public void DateOnly_and_TimeOnly_are_supported_by_the_net8_build_only()
    {
        if (NetStandardBuild)
        {
            Assert.False(DistributedKey.IsSupported(typeof(DateOnly)));
            Assert.False(DistributedKey.IsSupported(typeof(TimeOnly)));
            var error = Assert.Throws<NotSupportedException>(() => DistributedKey.Encode(new DateOnly(2026, 11, 25)));
            Assert.DoesNotContain("DateOnly,", error.Message);
            return;
        }

        Assert.True(DistributedKey.IsSupported(typeof((DateOnly, TimeOnly?))));
        Assert.Equal("a10:2026-11-25", DistributedKey.Encode(new DateOnly(2026, 11, 25)));
        Assert.Equal("h16:10:30:00.0000000", DistributedKey.Encode(new TimeOnly(10, 30)));
    }

    [Fact]
    public void Enums_encode_by_value()
    {
        Assert.Equal("e1:2", DistributedKey.Encode(Color.Blue));
    }
}
