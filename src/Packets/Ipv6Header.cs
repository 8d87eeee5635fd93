using System.Buffers.Binary;

namespace Datapath.Packets;

/// <summary>
/// Zero-copy view of the fixed IPv6 header (RFC 8200 section 3), with a walker over the extension
/// headers OVS skips (hop-by-hop, routing, destination options, AH, fragment).
/// </summary>
public readonly ref struct Ipv6Header
{
    public const int Length = 40;
    /// <summary>Fragment header offset/flags word: the offset bits (in 8-byte blocks, shifted left 3).</summary>
    public const ushort FragmentOffsetMask = 0xFFF8;
    public const ushort MoreFragmentsFlag = 0x0001;

    private readonly ReadOnlySpan<byte> _bytes;

    private Ipv6Header(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>Reads the fixed header; false when short or the version is not 6.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out Ipv6Header header)
    {
        header = default;
        if (packet.Length < Length || (packet[0] >> 4) != 6)
            return false;
        header = new Ipv6Header(packet[..Length]);
        return true;
    }

    public byte Version => (byte)(_bytes[0] >> 4);
    public byte TrafficClass => (byte)(BinaryPrimitives.ReadUInt32BigEndian(_bytes) >> 20);
    /// <summary>The 20-bit flow label.</summary>
    public uint FlowLabel => BinaryPrimitives.ReadUInt32BigEndian(_bytes) & 0xFFFFF;
    /// <summary>The bytes after the fixed header (extension headers included).</summary>
    public ushort PayloadLength => BinaryPrimitives.ReadUInt16BigEndian(_bytes[4..]);
    public byte NextHeader => _bytes[6];
    public byte HopLimit => _bytes[7];
    public Ipv6Address Source => Ipv6Address.Read(_bytes[8..]);
    public Ipv6Address Destination => Ipv6Address.Read(_bytes[24..]);

    /// <summary>True for the extension headers this walker skips.</summary>
    public static bool IsExtensionHeader(byte nextHeader) => nextHeader is IpProtocols.HopByHop or IpProtocols.Ipv6Routing
        or IpProtocols.Ipv6DestOptions or IpProtocols.Ah or IpProtocols.Ipv6Fragment;

    /// <summary>
    /// Skips the extension headers that start <paramref name="payload"/> (the bytes after the fixed
    /// header), beginning with <paramref name="nextHeader"/>. Returns false when one is cut short.
    /// On return <paramref name="protocol"/> is the upper-layer protocol (or the next header of a
    /// later fragment), <paramref name="upperLayerOffset"/> its offset in <paramref name="payload"/>,
    /// and <paramref name="nwFrag"/> OVS's nw_frag (1 = fragment, 3 = later fragment, whose
    /// upper-layer header is not in this packet).
    /// </summary>
    public static bool TrySkipExtensionHeaders(ReadOnlySpan<byte> payload, byte nextHeader, out byte protocol,
        out int upperLayerOffset, out byte nwFrag)
    {
        int q = 0;
        nwFrag = 0;
        while (true)
        {
            if (nextHeader is IpProtocols.HopByHop or IpProtocols.Ipv6Routing or IpProtocols.Ipv6DestOptions or IpProtocols.Ah)
            {
                if (payload.Length - q < 8)
                    break;
                int hlen = nextHeader == IpProtocols.Ah ? (payload[q + 1] + 2) * 4 : (payload[q + 1] + 1) * 8;
                if (payload.Length - q < hlen)
                    break;
                nextHeader = payload[q];
                q += hlen;
            }
            else if (nextHeader == IpProtocols.Ipv6Fragment)
            {
                if (payload.Length - q < 8)
                    break;
                nwFrag = 1;
                ushort offlg = BinaryPrimitives.ReadUInt16BigEndian(payload[(q + 2)..]);
                nextHeader = payload[q];
                q += 8;
                if ((offlg & FragmentOffsetMask) != 0)
                {
                    nwFrag = 3;
                    protocol = nextHeader;
                    upperLayerOffset = q;
                    return true;
                }
            }
            else
            {
                protocol = nextHeader;
                upperLayerOffset = q;
                return true;
            }
        }
        protocol = nextHeader;
        upperLayerOffset = q;
        return false;
    }

    /// <summary>Writes the fixed header. <paramref name="payloadLength"/> counts everything after it.</summary>
    public static bool TryWrite(Span<byte> destination, Ipv6Address src, Ipv6Address dst, byte nextHeader, ushort payloadLength,
        byte hopLimit, byte trafficClass, uint flowLabel, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < Length)
            return false;
        BinaryPrimitives.WriteUInt32BigEndian(destination, (6u << 28) | ((uint)trafficClass << 20) | (flowLabel & 0xFFFFF));
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], payloadLength);
        destination[6] = nextHeader;
        destination[7] = hopLimit;
        src.Write(destination[8..]);
        dst.Write(destination[24..]);
        bytesWritten = Length;
        return true;
    }

    /// <summary>Writes an 8-byte fragment extension header (RFC 8200 section 4.5).</summary>
    public static bool TryWriteFragmentHeader(Span<byte> destination, byte nextHeader, int fragmentOffsetBlocks, bool moreFragments,
        uint identification, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < 8)
            return false;
        destination[0] = nextHeader;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)((fragmentOffsetBlocks << 3) | (moreFragments ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], identification);
        bytesWritten = 8;
        return true;
    }

    /// <summary>
    /// Writes a hop-by-hop, routing or destination-options header of <paramref name="lengthBytes"/>
    /// (a multiple of 8, at least 8) filled with PadN, so that walkers have something to skip.
    /// </summary>
    public static bool TryWritePaddingExtensionHeader(Span<byte> destination, byte nextHeader, int lengthBytes, out int bytesWritten)
    {
        bytesWritten = 0;
        if (lengthBytes < 8 || lengthBytes % 8 != 0 || lengthBytes > 256 || destination.Length < lengthBytes)
            return false;
        destination[0] = nextHeader;
        destination[1] = (byte)(lengthBytes / 8 - 1);
        destination[2] = 1;                       // PadN option
        destination[3] = (byte)(lengthBytes - 4); // its data length
        destination[4..lengthBytes].Clear();
        bytesWritten = lengthBytes;
        return true;
    }
}
