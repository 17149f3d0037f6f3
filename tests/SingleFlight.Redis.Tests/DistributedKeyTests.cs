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

    [Fact]
    public void Enums_encode_by_value()
    {
        Assert.Equal("e1:2", DistributedKey.Encode(Color.Blue));
    }
}
