using System.Text;

namespace SingleFlight.Redis.Tests;

/// <summary>Redis Cluster's key-to-slot mapping (CRC16/XMODEM of the hash tag, or of the whole key, mod 16384).</summary>
internal static class HashSlot
{
    public static int Of(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        var start = Array.IndexOf(bytes, (byte)'{');
        if (start >= 0)
        {
            var end = Array.IndexOf(bytes, (byte)'}', start + 1);
            if (end > start + 1)
            {
                bytes = bytes[(start + 1)..end];
            }
        }

        ushort crc = 0;
        foreach (var b in bytes)
        {
            crc ^= (ushort)(b << 8);
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc & 16383;
    }

    /// <summary>The Redis key stem of one flight (see FlightKeys): the slot every key of that flight must land in.</summary>
    public static string StemOf<TKey>(string keyPrefix, string operation, TKey key)
        where TKey : notnull
        => keyPrefix + ":{o" + operation.Length + ":" + operation + DistributedKey.Encode(key) + "}:";
}
