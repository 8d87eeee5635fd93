using System.Buffers.Binary;

namespace Datapath.Io.Live;

/// <summary>
/// RFC 1071 one's-complement sum, used only to complete partial checksums of received frames.
/// (Packets' Checksum is the general one; this keeps Live independent of its arrival.)
/// </summary>
internal static class InternetChecksum
{
    /// <summary>The folded, complemented checksum of <paramref name="data"/> (odd length padded with zero).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        }

        if (i + 2 <= data.Length)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
            i += 2;
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
