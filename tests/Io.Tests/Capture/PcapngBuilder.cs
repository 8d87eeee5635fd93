using System.Buffers.Binary;
using System.Text;

namespace Datapath.Io.Tests.Capture;

/// <summary>
/// Builds pcapng files block by block, independently of PcapngWriter, following
/// draft-ietf-opsawg-pcapng sections 4.1 (SHB), 4.2 (IDB), 4.3 (EPB), 4.4 (SPB) and appendix A (PB).
/// </summary>
internal sealed class PcapngBuilder
{
    private readonly MemoryStream _ms = new();
    private bool _bigEndian;

    public byte[] ToArray() => _ms.ToArray();

    public long Position => _ms.Position;

    public PcapngBuilder Section(bool bigEndian)
    {
        _bigEndian = bigEndian;
        var body = new List<byte>();
        body.AddRange(U32(0x1A2B3C4D));
        body.AddRange(U16(1));
        body.AddRange(U16(0));
        body.AddRange(U64(ulong.MaxValue));
        body.AddRange(Option(4, Encoding.UTF8.GetBytes("builder")));
        body.AddRange(EndOfOptions());
        return Block(0x0A0D0D0A, body);
    }

    public PcapngBuilder Interface(string? name, byte? tsresol = null, long? tsoffset = null, ushort linkType = 1, uint snapLength = 0)
    {
        var body = new List<byte>();
        body.AddRange(U16(linkType));
        body.AddRange(U16(0));
        body.AddRange(U32(snapLength));
        if (name is not null)
            body.AddRange(Option(2, Encoding.UTF8.GetBytes(name)));
        if (tsresol is { } r)
            body.AddRange(Option(9, [r]));
        if (tsoffset is { } o)
            body.AddRange(Option(14, U64((ulong)o)));
        body.AddRange(Option(1, Encoding.UTF8.GetBytes("a comment")));
        body.AddRange(EndOfOptions());
        return Block(1, body);
    }

    public PcapngBuilder Enhanced(uint interfaceId, ulong timestamp, byte[] data, uint? originalLength = null, bool withOptions = true)
    {
        var body = new List<byte>();
        body.AddRange(U32(interfaceId));
        body.AddRange(U32((uint)(timestamp >> 32)));
        body.AddRange(U32((uint)timestamp));
        body.AddRange(U32((uint)data.Length));
        body.AddRange(U32(originalLength ?? (uint)data.Length));
        body.AddRange(Padded(data));
        if (withOptions)
        {
            body.AddRange(Option(2, U32(0x1))); // epb_flags: inbound
            body.AddRange(EndOfOptions());
        }
        return Block(6, body);
    }

    public PcapngBuilder Simple(byte[] data, uint originalLength)
    {
        var body = new List<byte>();
        body.AddRange(U32(originalLength));
        body.AddRange(Padded(data));
        return Block(3, body);
    }

    public PcapngBuilder ObsoletePacket(ushort interfaceId, ulong timestamp, byte[] data)
    {
        var body = new List<byte>();
        body.AddRange(U16(interfaceId));
        body.AddRange(U16(0));
        body.AddRange(U32((uint)(timestamp >> 32)));
        body.AddRange(U32((uint)timestamp));
        body.AddRange(U32((uint)data.Length));
        body.AddRange(U32((uint)data.Length));
        body.AddRange(Padded(data));
        return Block(2, body);
    }

    /// <summary>A block of a type readers must skip (here a Name Resolution Block, 0x4, with only nrb_record_end).</summary>
    public PcapngBuilder Unknown(uint type, int bodyLength)
        => Block(type, Enumerable.Repeat((byte)0, bodyLength).ToList());

    public PcapngBuilder Raw(byte[] bytes)
    {
        _ms.Write(bytes);
        return this;
    }

    private PcapngBuilder Block(uint type, List<byte> body)
    {
        uint length = (uint)(12 + body.Count);
        _ms.Write(U32(type));
        _ms.Write(U32(length));
        _ms.Write(body.ToArray());
        _ms.Write(U32(length));
        return this;
    }

    private static byte[] Padded(byte[] data)
    {
        var p = new byte[(data.Length + 3) & ~3];
        data.CopyTo(p, 0);
        return p;
    }

    private byte[] Option(ushort code, byte[] value)
        => [.. U16(code), .. U16((ushort)value.Length), .. Padded(value)];

    private static byte[] EndOfOptions() => [0, 0, 0, 0];

    private byte[] U16(ushort v)
    {
        var b = new byte[2];
        if (_bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        return b;
    }

    private byte[] U32(uint v)
    {
        var b = new byte[4];
        if (_bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }

    private byte[] U64(ulong v)
    {
        var b = new byte[8];
        if (_bigEndian) BinaryPrimitives.WriteUInt64BigEndian(b, v); else BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return b;
    }
}
