using System.Buffers.Binary;

namespace Datapath.Io.Capture;

/// <summary>Reads and writes the header fields of capture files in the file's byte order.</summary>
internal static class ByteOrder
{
    public static ushort U16(ReadOnlySpan<byte> s, bool bigEndian)
        => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    public static uint U32(ReadOnlySpan<byte> s, bool bigEndian)
        => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    public static long I64(ReadOnlySpan<byte> s, bool bigEndian)
        => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(s) : BinaryPrimitives.ReadInt64LittleEndian(s);

    public static void Write(Span<byte> d, ushort v, bool bigEndian)
    {
        if (bigEndian)
            BinaryPrimitives.WriteUInt16BigEndian(d, v);
        else
            BinaryPrimitives.WriteUInt16LittleEndian(d, v);
    }

    public static void Write(Span<byte> d, uint v, bool bigEndian)
    {
        if (bigEndian)
            BinaryPrimitives.WriteUInt32BigEndian(d, v);
        else
            BinaryPrimitives.WriteUInt32LittleEndian(d, v);
    }

    public static void Write(Span<byte> d, long v, bool bigEndian)
    {
        if (bigEndian)
            BinaryPrimitives.WriteInt64BigEndian(d, v);
        else
            BinaryPrimitives.WriteInt64LittleEndian(d, v);
    }
}
