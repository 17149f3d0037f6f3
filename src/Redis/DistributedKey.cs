using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace SingleFlight.Redis;

/// <summary>
/// The canonical text encoding of a typed key, used to name a flight in Redis. Every process that uses the same
/// operation name and key type produces the same string for equal keys, and unequal keys never produce the
/// same string.
/// </summary>
/// <remarks>
/// <para>
/// Each value is written as a one-letter type tag, its length in UTF-16 code units (decimal, invariant
/// culture), a colon and its invariant text: <c>"a:b"</c> becomes <c>s3:a:b</c>, <c>42</c> becomes
/// <c>i2:42</c>. A string that is not well-formed UTF-16 (a lone surrogate) is written as <c>x</c> and the hex of
/// its UTF-16 code units (little-endian), because Redis keys are UTF-8 and a lone surrogate would otherwise become
/// U+FFFD; a <see cref="char"/> is written as its code unit number. A tuple is <c>t</c>, its element count, a colon and its elements one after another:
/// <c>("a:b", "c")</c> becomes <c>t2:s3:a:bs1:c</c> and <c>("a", "b:c")</c> becomes <c>t2:s1:as3:b:c</c>.
/// Because every part says how long it is, no choice of characters inside a string can make two different
/// keys encode the same.
/// </para>
/// <para>
/// Supported: <see cref="string"/>, <see cref="char"/>, <see cref="bool"/>, the integer types, <see cref="float"/>,
/// <see cref="double"/>, <see cref="decimal"/>, <see cref="Guid"/>, enums (by their numeric value),
/// <see cref="DateTime"/>, <see cref="DateTimeOffset"/> (round-trip format <c>O</c>), <c>DateOnly</c> and
/// <c>TimeOnly</c> (format <c>O</c> too; in the net8.0 build only, as netstandard2.0 has neither type), <see cref="TimeSpan"/>,
/// <see cref="Nullable{T}"/> of those, and value tuples of any of them (nested too). A <see langword="null"/>
/// element is <c>n</c>. <see cref="Unit"/>, the key of a method whose key has no parts, is <c>v</c>.
/// </para>
/// <para>
/// Values that compare equal in .NET but are written differently are normalised where that is cheap
/// (<c>-0.0</c> and <c>0.0</c>; <c>1.0m</c> and <c>1.00m</c>). Two exceptions remain and only cost
/// coalescing, never correctness: <see cref="DateTime"/> values equal by ticks but of different
/// <see cref="DateTime.Kind"/>, and <see cref="DateTimeOffset"/> values for the same instant with different
/// offsets, encode differently and so do not share a distributed flight.
/// </para>
/// </remarks>
public static class DistributedKey
{
    /// <summary>Whether <paramref name="type"/> can be encoded by <see cref="Encode{TKey}(TKey)"/>.</summary>
    /// <param name="type">The key type.</param>
    /// <returns><see langword="true"/> if every value of the type has a canonical encoding.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="type"/> is null.</exception>
    public static bool IsSupported(Type type)
    {
        Guard.NotNull(type, nameof(type));
        return Describe(type) is null;
    }

    /// <summary>Encodes <paramref name="key"/> canonically (see the remarks on <see cref="DistributedKey"/>).</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="key">The key.</param>
    /// <returns>The encoded key.</returns>
    /// <exception cref="NotSupportedException">The key, or an element of it, has a type that has no canonical encoding.</exception>
    public static string Encode<TKey>(TKey key)
    {
        // One builder per thread, reused: a key is encoded on every distributed call.
        var builder = t_builder ?? new StringBuilder();
        t_builder = null;
        Append(builder, key);
        var encoded = builder.ToString();
        if (builder.Capacity <= MaxCachedCapacity)
        {
            builder.Clear();
            t_builder = builder;
        }

        return encoded;
    }

    private const int MaxCachedCapacity = 256;

    [ThreadStatic]
    private static StringBuilder? t_builder;

    /// <summary>Throws a <see cref="NotSupportedException"/> naming the offending type if <paramref name="type"/> is unsupported.</summary>
    internal static void EnsureSupported(Type type)
    {
        var problem = Describe(type);
        if (problem is not null)
        {
            throw new NotSupportedException(
                $"The key type '{type}' has no canonical distributed encoding: {problem} Use strings, primitives, Guid, enums, " +
                SupportedDateTypes + ", TimeSpan or value tuples of them, or pass a keyEncoder that turns the key into a " +
                "unique, stable string.");
        }
    }

#if NET6_0_OR_GREATER
    private const string SupportedDateTypes = "DateTime, DateTimeOffset, DateOnly, TimeOnly";
#else
    private const string SupportedDateTypes = "DateTime, DateTimeOffset";
#endif

    private static string? Describe(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            return Describe(underlying);
        }

        if (type.IsEnum || IsScalar(type) || type == typeof(Unit))
        {
            return null;
        }

        if (IsValueTuple(type))
        {
            foreach (var argument in type.GetGenericArguments())
            {
                var problem = Describe(argument);
                if (problem is not null)
                {
                    return problem;
                }
            }

            return null;
        }

        return $"'{type}' is not a supported element type.";
    }

    private static bool IsScalar(Type type)
        => type == typeof(string) || type == typeof(char) || type == typeof(bool)
        || type == typeof(sbyte) || type == typeof(short) || type == typeof(int) || type == typeof(long)
        || type == typeof(byte) || type == typeof(ushort) || type == typeof(uint) || type == typeof(ulong)
        || type == typeof(float) || type == typeof(double) || type == typeof(decimal)
        || type == typeof(Guid) || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(TimeSpan)
#if NET6_0_OR_GREATER
        || type == typeof(DateOnly) || type == typeof(TimeOnly)
#endif
        ;

    private static bool IsValueTuple(Type type)
        => type.IsGenericType && type.IsValueType && type.Namespace == "System"
        && type.Name.StartsWith("ValueTuple`", StringComparison.Ordinal);

    private static void Append(StringBuilder builder, object? value)
    {
        switch (value)
        {
            case null:
                builder.Append('n');
                return;
            case Unit:
                builder.Append('v');
                return;
            case string s when IsWellFormed(s):
                Part(builder, 's', s);
                return;
            case string s:
                // Redis keys are UTF-8: a lone surrogate would become U+FFFD and meet the string that holds a real
                // U+FFFD. Such strings are written as their UTF-16 code units in hex instead.
                Part(builder, 'x', ToHex(s));
                return;
            case char c:
                Part(builder, 'c', ((int)c).ToString(CultureInfo.InvariantCulture));
                return;
            case bool b:
                Part(builder, 'b', b ? "1" : "0");
                return;
            case Enum e:
                var numeric = Convert.GetTypeCode(e) is TypeCode.UInt64 or TypeCode.UInt32 or TypeCode.UInt16 or TypeCode.Byte
                    ? Convert.ToUInt64(e, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture)
                    : Convert.ToInt64(e, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
                Part(builder, 'e', numeric);
                return;
            case sbyte or short or int or long:
                Part(builder, 'i', Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
                return;
            case byte or ushort or uint or ulong:
                Part(builder, 'u', Convert.ToUInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
                return;
            case float f:
                Part(builder, 'f', f == 0 ? "0" : f.ToString("R", CultureInfo.InvariantCulture));
                return;
            case double d:
                Part(builder, 'f', d == 0 ? "0" : d.ToString("R", CultureInfo.InvariantCulture));
                return;
            case decimal m:
                Part(builder, 'm', NormalizeDecimal(m));
                return;
            case Guid g:
                Part(builder, 'g', g.ToString("D", CultureInfo.InvariantCulture));
                return;
            case DateTime dt:
                Part(builder, 'd', dt.ToString("O", CultureInfo.InvariantCulture));
                return;
            case DateTimeOffset dto:
                Part(builder, 'o', dto.ToString("O", CultureInfo.InvariantCulture));
                return;
            case TimeSpan ts:
                Part(builder, 'p', ts.ToString("c", CultureInfo.InvariantCulture));
                return;
#if NET6_0_OR_GREATER
            case DateOnly date:
                Part(builder, 'a', date.ToString("O", CultureInfo.InvariantCulture));
                return;
            case TimeOnly time:
                Part(builder, 'h', time.ToString("O", CultureInfo.InvariantCulture));
                return;
            case ITuple tuple when IsValueTuple(value.GetType()):
                builder.Append('t').Append(tuple.Length.ToString(CultureInfo.InvariantCulture)).Append(':');
                for (var i = 0; i < tuple.Length; i++)
                {
                    Append(builder, tuple[i]);
                }

                return;
#else
            case ValueType when IsValueTuple(value.GetType()):
                var elements = new List<object?>();
                AddTupleElements(value, elements);
                builder.Append('t').Append(elements.Count.ToString(CultureInfo.InvariantCulture)).Append(':');
                foreach (var element in elements)
                {
                    Append(builder, element);
                }

                return;
#endif
            default:
                EnsureSupported(value.GetType());
                throw new NotSupportedException($"The key element type '{value.GetType()}' has no canonical distributed encoding.");
        }
    }

#if !NET6_0_OR_GREATER
    // netstandard2.0 has no ITuple: read the ValueTuple fields instead, flattening an eight-element tuple's Rest
    // the way ITuple does, so both builds encode a tuple alike.
    private static void AddTupleElements(object tuple, List<object?> elements)
    {
        var type = tuple.GetType();
        var arity = type.GetGenericArguments().Length;
        for (var i = 1; i <= arity && i <= 7; i++)
        {
            elements.Add(type.GetField("Item" + i.ToString(CultureInfo.InvariantCulture))!.GetValue(tuple));
        }

        if (arity == 8)
        {
            var rest = type.GetField("Rest")!.GetValue(tuple);
            if (rest is not null && IsValueTuple(rest.GetType()))
            {
                AddTupleElements(rest, elements);
            }
            else
            {
                elements.Add(rest);
            }
        }
    }
#endif

    // The UTF-16 code units of the string, little-endian, as upper-case hex.
    private static string ToHex(string text)
    {
#if NET5_0_OR_GREATER
        return Convert.ToHexString(MemoryMarshal.AsBytes(text.AsSpan()));
#else
        const string digits = "0123456789ABCDEF";
        var hex = new StringBuilder(text.Length * 4);
        foreach (var c in text)
        {
            hex.Append(digits[(c >> 4) & 0xF]).Append(digits[c & 0xF]).Append(digits[(c >> 12) & 0xF]).Append(digits[(c >> 8) & 0xF]);
        }

        return hex.ToString();
#endif
    }

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    private static void Part(StringBuilder builder, char tag, string text)
        => builder.Append(tag).Append(text.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(text);

    private static string NormalizeDecimal(decimal value)
    {
        if (value == 0m)
        {
            return "0";
        }

        // 1.0m and 1.00m are equal but print differently: drop the trailing zeros of the scale.
        var text = value.ToString(CultureInfo.InvariantCulture);
        if (text.IndexOf('.') >= 0)
        {
            text = text.TrimEnd('0').TrimEnd('.');
        }

        return text;
    }
}
