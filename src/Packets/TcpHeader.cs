using System.Buffers.Binary;

namespace Datapath.Packets;

/// <summary>Zero-copy view of a TCP header (RFC 9293 section 3.1) including its options.</summary>
public readonly ref struct TcpHeader
{
    public const int MinLength = 20;
    public const int MaxLength = 60;
    /// <summary>The 12 flag bits of the offset/flags word that OVS's tcp_flags holds.</summary>
    public const ushort FlagsMask = 0x0FFF;

    private readonly ReadOnlySpan<byte> _bytes;   // HeaderLength bytes

    private TcpHeader(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    /// <summary>Reads the header and its options; false when the data offset is below 5 or the header is cut short.</summary>
    public static bool TryRead(ReadOnlySpan<byte> segment, out TcpHeader header)
    {
        header = default;
        if (segment.Length < MinLength)
            return false;
        int hlen = (segment[12] >> 4) * 4;
        if (hlen < MinLength || hlen > segment.Length)
            return false;
        header = new TcpHeader(segment[..hlen]);
        return true;
    }

    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_bytes);
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);
    public uint SequenceNumber => BinaryPrimitives.ReadUInt32BigEndian(_bytes[4..]);
    public uint AcknowledgmentNumber => BinaryPrimitives.ReadUInt32BigEndian(_bytes[8..]);
    /// <summary>The data offset: the header length in 32-bit words.</summary>
    public int DataOffsetWords => _bytes[12] >> 4;
    /// <summary>The header length in bytes, options included.</summary>
    public int HeaderLength => DataOffsetWords * 4;
    /// <summary>The 12 low bits of the offset/flags word (NS..FIN plus the 3 reserved bits), as OVS's tcp_flags.</summary>
    public TcpFlags Flags => (TcpFlags)(BinaryPrimitives.ReadUInt16BigEndian(_bytes[12..]) & FlagsMask);
    public ushort Window => BinaryPrimitives.ReadUInt16BigEndian(_bytes[14..]);
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[16..]);
    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_bytes[18..]);
    /// <summary>The option bytes.</summary>
    public ReadOnlySpan<byte> OptionBytes => _bytes[MinLength..];
    /// <summary>A reader over the options.</summary>
    public TcpOptions Options => new(_bytes[MinLength..]);

    /// <summary>
    /// Writes a header with <paramref name="options"/> (padded with EOL to a multiple of 4 bytes).
    /// The checksum field is written as zero: the caller fills it (see <see cref="Packets.Checksum.TransportV4"/>).
    /// </summary>
    public static bool TryWrite(Span<byte> destination, ushort sourcePort, ushort destinationPort, uint sequenceNumber,
        uint acknowledgmentNumber, TcpFlags flags, ushort window, ushort urgentPointer, ReadOnlySpan<byte> options, out int bytesWritten)
    {
        bytesWritten = 0;
        int hlen = MinLength + ((options.Length + 3) & ~3);
        if (hlen > MaxLength || destination.Length < hlen)
            return false;
        BinaryPrimitives.WriteUInt16BigEndian(destination, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], sequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], acknowledgmentNumber);
        BinaryPrimitives.WriteUInt16BigEndian(destination[12..], (ushort)(((hlen / 4) << 12) | ((ushort)flags & FlagsMask)));
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], window);
        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination[18..], urgentPointer);
        options.CopyTo(destination[MinLength..]);
        destination[(MinLength + options.Length)..hlen].Clear();
        bytesWritten = hlen;
        return true;
    }
}
