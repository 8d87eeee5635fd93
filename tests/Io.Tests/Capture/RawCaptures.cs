using System.Buffers.Binary;

namespace Datapath.Io.Tests.Capture;

/// <summary>
/// Capture bytes written field by field (little-endian), with every field open to a wrong value:
/// the cases of the verdict, limit and timestamp tests, independent of our writers.
/// </summary>
internal static class RawCaptures
{
    public const uint PcapMicroseconds = 0xA1B2C3D4;
    public const uint PcapNanoseconds = 0xA1B23C4D;

    public static readonly byte[] Frame60 = Enumerable.Range(0, 60).Select(i => (byte)i).ToArray();

    public static byte[] PcapHeader(uint magic = PcapMicroseconds, ushort major = 2, ushort minor = 4, uint snapLength = 262144, uint linkType = 1)
        => [.. U32(magic), .. U16(major), .. U16(minor), .. U32(0), .. U32(0), .. U32(snapLength), .. U32(linkType)];

    public static byte[] PcapRecord(uint seconds, uint fraction, byte[] data, uint? capturedLength = null, uint? originalLength = null)
        => [.. U32(seconds), .. U32(fraction), .. U32(capturedLength ?? (uint)data.Length), .. U32(originalLength ?? (uint)data.Length), .. data];

    public static byte[] Shb(ushort major = 1, ushort minor = 0)
        => Block(0x0A0D0D0A, [.. U32(0x1A2B3C4D), .. U16(major), .. U16(minor), .. U64(ulong.MaxValue)]);

    public static byte[] Idb(byte[] options, ushort linkType = 1, uint snapLength = 0)
        => Block(1, [.. U16(linkType), .. U16(0), .. U32(snapLength), .. options]);

    public static byte[] Idb(ushort linkType = 1, uint snapLength = 0) => Idb([], linkType, snapLength);

    public static byte[] Epb(ulong timestamp, byte[] data, uint interfaceId = 0, uint? capturedLength = null, uint? originalLength = null)
        => Block(6, [.. U32(interfaceId), .. U32((uint)(timestamp >> 32)), .. U32((uint)timestamp),
            .. U32(capturedLength ?? (uint)data.Length), .. U32(originalLength ?? (uint)data.Length), .. Padded(data)]);

    public static byte[] Block(uint type, byte[] body) => Block(type, body, (uint)(12 + body.Length));

    /// <summary>A block whose leading and trailing total length are both <paramref name="length"/>, whatever the body.</summary>
    public static byte[] Block(uint type, byte[] body, uint length) => [.. U32(type), .. U32(length), .. body, .. U32(length)];

    /// <summary>A block header claiming <paramref name="length"/> bytes, and nothing more of the block.</summary>
    public static byte[] BlockHeader(uint type, uint length) => [.. U32(type), .. U32(length)];

    public static byte[] Option(ushort code, byte[] value) => [.. U16(code), .. U16((ushort)value.Length), .. Padded(value)];

    public static byte[] EndOfOptions => [0, 0, 0, 0];

    /// <summary>if_tsresol then opt_endofopt.</summary>
    public static byte[] TsResol(byte tsresol) => [.. Option(9, [tsresol]), .. EndOfOptions];

    /// <summary>if_tsresol, if_tsoffset, opt_endofopt.</summary>
    public static byte[] TsResolOffset(byte tsresol, long offsetSeconds) => [.. Option(9, [tsresol]), .. Option(14, U64((ulong)offsetSeconds)), .. EndOfOptions];

    public static byte[] Padded(byte[] data)
    {
        var p = new byte[(data.Length + 3) & ~3];
        data.CopyTo(p, 0);
        return p;
    }

    public static byte[] U16(ushort v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        return b;
    }

    public static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    public static byte[] U64(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return b;
    }
}
