using System.Buffers.Binary;

namespace Datapath.Packets;

/// <summary>Zero-copy view of an IPv4 header (RFC 791) including its options.</summary>
public readonly ref struct Ipv4Header
{
    public const int MinLength = 20;
    public const int MaxLength = 60;
    /// <summary>Flags/fragment-offset word: Don't Fragment.</summary>
    public const ushort DontFragmentFlag = 0x4000;
    /// <summary>Flags/fragment-offset word: More Fragments.</summary>
    public const ushort MoreFragmentsFlag = 0x2000;
    public const ushort FragmentOffsetMask = 0x1FFF;

    private readonly ReadOnlySpan<byte> _bytes;   // starts at the version/IHL byte, HeaderLength long

    private Ipv4Header(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>
    /// Reads the header at the start of <paramref name="packet"/>. False when the version is not 4,
    /// IHL is below 5, the total length is below the header length, or the header is cut short.
    /// The payload may be shorter than TotalLength says (a capture with a snap length).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out Ipv4Header header)
    {
        header = default;
        if (packet.Length < MinLength || (packet[0] >> 4) != 4)
            return false;
        int hlen = (packet[0] & 0x0F) * 4;
        if (hlen < MinLength || hlen > packet.Length || BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) < hlen)
            return false;
        header = new Ipv4Header(packet[..hlen]);
        return true;
    }

    public byte Version => (byte)(_bytes[0] >> 4);
    /// <summary>IHL: the header length in 32-bit words.</summary>
    public int HeaderLengthWords => _bytes[0] & 0x0F;
    /// <summary>The header length in bytes (IHL * 4).</summary>
    public int HeaderLength => HeaderLengthWords * 4;
    /// <summary>The whole TOS byte: DSCP in the top 6 bits, ECN in the low 2.</summary>
    public byte Tos => _bytes[1];
    /// <summary>The DSCP bits in place (tos &amp; 0xfc), as OVS's nw_tos.</summary>
    public byte Dscp => (byte)(_bytes[1] & 0xFC);
    public byte Ecn => (byte)(_bytes[1] & 0x03);
    /// <summary>The datagram length in bytes, header included.</summary>
    public ushort TotalLength => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_bytes[4..]);
    /// <summary>The flags and fragment-offset word as it is on the wire.</summary>
    public ushort FlagsAndFragmentOffset => BinaryPrimitives.ReadUInt16BigEndian(_bytes[6..]);
    public bool DontFragment => (FlagsAndFragmentOffset & DontFragmentFlag) != 0;
    public bool MoreFragments => (FlagsAndFragmentOffset & MoreFragmentsFlag) != 0;
    /// <summary>The fragment offset in 8-byte blocks.</summary>
    public int FragmentOffsetBlocks => FlagsAndFragmentOffset & FragmentOffsetMask;
    /// <summary>A fragment of a larger datagram (MF set or a non-zero offset).</summary>
    public bool IsFragment => (FlagsAndFragmentOffset & (MoreFragmentsFlag | FragmentOffsetMask)) != 0;
    public byte Ttl => _bytes[8];
    public byte Protocol => _bytes[9];
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[10..]);
    public Ipv4Address Source => Ipv4Address.Read(_bytes[12..]);
    public Ipv4Address Destination => Ipv4Address.Read(_bytes[16..]);
    /// <summary>The option bytes (HeaderLength - 20 of them).</summary>
    public ReadOnlySpan<byte> Options => _bytes[MinLength..];
    /// <summary>The header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;
    /// <summary>True when the checksum field matches the header.</summary>
    public bool IsChecksumValid => Packets.Checksum.Fold(Packets.Checksum.Add(_bytes)) == 0;

    /// <summary>
    /// Writes a header with the given options (padded with EOL to a multiple of 4 bytes) and a
    /// correct header checksum. <paramref name="totalLength"/> counts header and payload.
    /// </summary>
    public static bool TryWrite(Span<byte> destination, Ipv4Address src, Ipv4Address dst, byte protocol, ushort totalLength,
        byte ttl, byte tos, ushort identification, ushort flagsAndFragmentOffset, ReadOnlySpan<byte> options, out int bytesWritten)
    {
        bytesWritten = 0;
        int hlen = MinLength + ((options.Length + 3) & ~3);
        if (hlen > MaxLength || destination.Length < hlen)
            return false;
        var h = destination[..hlen];
        h[0] = (byte)(0x40 | (hlen / 4));
        h[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], totalLength);
        BinaryPrimitives.WriteUInt16BigEndian(h[4..], identification);
        BinaryPrimitives.WriteUInt16BigEndian(h[6..], flagsAndFragmentOffset);
        h[8] = ttl;
        h[9] = protocol;
        h[10] = 0;
        h[11] = 0;
        src.Write(h[12..]);
        dst.Write(h[16..]);
        options.CopyTo(h[MinLength..]);
        h[(MinLength + options.Length)..].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(h[10..], Packets.Checksum.Ipv4Header(h));
        bytesWritten = hlen;
        return true;
    }
}
