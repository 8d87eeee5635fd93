using System.Buffers.Binary;

namespace Datapath.Packets;

/// <summary>Zero-copy view of an ICMPv4 header (RFC 792): type, code, checksum and the 4-byte rest of header.</summary>
public readonly ref struct IcmpHeader
{
    public const int Length = 8;
    public const byte TypeEchoReply = 0;
    public const byte TypeDestinationUnreachable = 3;
    public const byte TypeEchoRequest = 8;
    public const byte TypeTimeExceeded = 11;

    private readonly ReadOnlySpan<byte> _bytes;

    private IcmpHeader(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    public static bool TryRead(ReadOnlySpan<byte> message, out IcmpHeader header)
    {
        header = default;
        if (message.Length < Length)
            return false;
        header = new IcmpHeader(message[..Length]);
        return true;
    }

    public byte Type => _bytes[0];
    public byte Code => _bytes[1];
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_bytes[2..]);
    /// <summary>Echo identifier (bytes 4-5).</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_bytes[4..]);
    /// <summary>Echo sequence number (bytes 6-7).</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_bytes[6..]);
    /// <summary>The 4 bytes after the checksum, whatever the type makes of them.</summary>
    public uint RestOfHeader => BinaryPrimitives.ReadUInt32BigEndian(_bytes[4..]);

    /// <summary>Writes the header with a zero checksum; the caller fills it (see <see cref="Packets.Checksum.TransportV4"/>).</summary>
    public static bool TryWrite(Span<byte> destination, byte type, byte code, uint restOfHeader, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < Length)
            return false;
        destination[0] = type;
        destination[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], restOfHeader);
        bytesWritten = Length;
        return true;
    }
}
