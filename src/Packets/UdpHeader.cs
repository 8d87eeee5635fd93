using System.Buffers.Binary;

namespace Datapath.Packets;

/// <summary>Zero-copy view of a UDP header (RFC 768).</summary>
public readonly ref struct UdpHeader
{
    public const int Length = 8;

    private readonly ReadOnlySpan<byte> _bytes;

    private UdpHeader(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    public static bool TryRead(ReadOnlySpan<byte> datagram, out UdpHeader header)
    {
        header = default;
        if (datagram.Length < Length)
            return false;
        header = new UdpHeader(datagram[..Length]);
        return true;
    }

    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_bytes);
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);
    /// <summary>The datagram length in bytes, header included.</summary>
    public ushort DatagramLength => BinaryPrimitives.ReadUInt16BigEndian(_bytes[4..]);
    /// <summary>0 means "no checksum" over IPv4.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[6..]);

    /// <summary>Writes the header with a zero checksum; the caller fills it (see <see cref="Packets.Checksum.TransportV4"/>).</summary>
    public static bool TryWrite(Span<byte> destination, ushort sourcePort, ushort destinationPort, ushort datagramLength, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < Length)
            return false;
        BinaryPrimitives.WriteUInt16BigEndian(destination, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], datagramLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], 0);
        bytesWritten = Length;
        return true;
    }
}
