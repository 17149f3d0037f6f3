using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SingleFlight.Redis;

/// <summary>
/// What a leader writes under its result key and its followers read back (docs/distributed.md, "Result payloads"): a
/// value behind the fingerprint of its result contract, word that the value could not be serialized, or a failure.
/// </summary>
internal static class ResultPayload
{
    // The first bytes of a result payload. Every kind this version adds starts with 'V' and a byte that cannot start
    // JSON: versions before it, which know only 'V' + JSON and 'E' + JSON, then fail to parse the value and run the work
    // themselves instead of failing their callers on an unknown kind.
    private const byte ValueMarker = (byte)'V';
    private const byte ContractMarker = (byte)'#';
    private const byte NotShareableMarker = (byte)'!';
    private const byte FailureMarker = (byte)'E';

    // Where a value's JSON starts: after 'V', '#' and the contract fingerprint.
    private const int ValueStart = 2 + ResultContract.Length;

    /// <summary>What <paramref name="payload"/> holds for a reader whose result contract has the fingerprint <paramref name="contract"/>.</summary>
    internal static PayloadKind KindOf(byte[] payload, byte[] contract)
    {
        if (payload.Length == 0)
        {
            return PayloadKind.Unknown;
        }

        if (payload[0] == FailureMarker)
        {
            return PayloadKind.Failure;
        }

        if (payload[0] != ValueMarker || payload.Length < 2)
        {
            return PayloadKind.Unknown;
        }

        if (payload[1] == NotShareableMarker)
        {
            return PayloadKind.NotShareable;
        }

        // 'V' + JSON without a fingerprint (written before contracts were stated) is not trusted either: nothing says
        // which contract wrote it, and reading it with this one can give defaults for every member, or null.
        if (payload[1] != ContractMarker || payload.Length < ValueStart)
        {
            return PayloadKind.OtherContract;
        }

        return payload.AsSpan(2, ResultContract.Length).SequenceEqual(contract) ? PayloadKind.Value : PayloadKind.OtherContract;
    }

    /// <summary>
    /// 'V', '#', <paramref name="contract"/> and the JSON of <paramref name="value"/>, written into <paramref name="buffer"/>
    /// (cleared first) through <paramref name="writer"/> (reset onto it): a reused buffer, no array per flight.
    /// </summary>
    internal static ReadOnlyMemory<byte> WriteValue<TValue>(
        PayloadBuffer buffer,
        Utf8JsonWriter writer,
        TValue value,
        JsonTypeInfo<TValue> jsonTypeInfo,
        byte[] contract)
    {
        buffer.Clear();
        var head = buffer.GetSpan(ValueStart);
        head[0] = ValueMarker;
        head[1] = ContractMarker;
        contract.CopyTo(head.Slice(2));
        buffer.Advance(ValueStart);
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, value, jsonTypeInfo);
        writer.Flush();
        return buffer.Written;
    }

    /// <summary>The value of a payload of the kind <see cref="PayloadKind.Value"/>; throws what the serializer throws.</summary>
    internal static TValue ReadValue<TValue>(byte[] payload, JsonTypeInfo<TValue> jsonTypeInfo)
        => JsonSerializer.Deserialize(payload.AsSpan(ValueStart), jsonTypeInfo)!;

    /// <summary>'V', '!' and the serializer's exception type: "run the work yourself".</summary>
    internal static byte[] NotShareable(Exception error)
    {
        var reason = System.Text.Encoding.UTF8.GetBytes(error.GetType().FullName ?? error.GetType().Name);
        var payload = new byte[2 + reason.Length];
        payload[0] = ValueMarker;
        payload[1] = NotShareableMarker;
        reason.CopyTo(payload, 2);
        return payload;
    }

    /// <summary>'E' and the JSON of the failure's type name and message.</summary>
    internal static byte[] OfFailure(Exception error)
    {
        using var stream = new System.IO.MemoryStream();
        stream.WriteByte(FailureMarker);
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("type", error.GetType().FullName);
            writer.WriteString("message", error.Message);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>The remote failure's type name and message, or null if the payload is not a failure this version can read.</summary>
    internal static (string Type, string Message)? ReadFailure(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload.AsMemory(1));
            var root = document.RootElement;
            return (root.GetProperty("type").GetString() ?? "unknown", root.GetProperty("message").GetString() ?? string.Empty);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}

/// <summary>A growable buffer that a payload is written into and sent from, kept for the next flight's payload.</summary>
internal sealed class PayloadBuffer : System.Buffers.IBufferWriter<byte>
{
    // A buffer that grew past this is dropped when cleared, so one large result does not stay in memory for good.
    private const int KeptCapacity = 16 * 1024;

    private byte[] _buffer = new byte[256];
    private int _written;

    public ReadOnlyMemory<byte> Written => new(_buffer, 0, _written);

    public void Clear()
    {
        if (_buffer.Length > KeptCapacity)
        {
            _buffer = new byte[256];
        }

        _written = 0;
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }
    }
}

/// <summary>What a result payload holds for the process that reads it.</summary>
internal enum PayloadKind
{
    /// <summary>A value written for the reader's own result contract.</summary>
    Value,

    /// <summary>A value written for another contract, or with none stated.</summary>
    OtherContract,

    /// <summary>The leader's value could not be serialized.</summary>
    NotShareable,

    /// <summary>The leader's work failed.</summary>
    Failure,

    /// <summary>Empty, or a kind this version does not know.</summary>
    Unknown,
}
