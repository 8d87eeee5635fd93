using System.Buffers.Binary;

namespace Datapath.Packets;

/// <summary>
/// Appends TCP options to a buffer in the order called (Linux's SYN is Mss, SackPermitted,
/// Timestamps, Nop, WindowScale). Each method returns false, writing nothing, when the buffer is full.
/// </summary>
public ref struct TcpOptionsWriter
{
    private readonly Span<byte> _destination;

    public TcpOptionsWriter(Span<byte> destination)
    {
        _destination = destination;
        BytesWritten = 0;
    }

    public int BytesWritten { get; private set; }

    /// <summary>The options written so far.</summary>
    public readonly ReadOnlySpan<byte> Written => _destination[..BytesWritten];

    public bool Nop() => Put(TcpOptionKinds.Nop, 1, default);

    public bool EndOfList() => Put(TcpOptionKinds.EndOfList, 1, default);

    public bool Mss(ushort mss)
    {
        Span<byte> d = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(d, mss);
        return Put(TcpOptionKinds.Mss, 4, d);
    }

    public bool WindowScale(byte shift) => Put(TcpOptionKinds.WindowScale, 3, [shift]);

    public bool SackPermitted() => Put(TcpOptionKinds.SackPermitted, 2, default);

    public bool Timestamps(uint value, uint echoReply)
    {
        Span<byte> d = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(d, value);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], echoReply);
        return Put(TcpOptionKinds.Timestamps, 10, d);
    }

    /// <summary>Pads with EOL bytes to a multiple of 4.</summary>
    public bool PadToWords()
    {
        while (BytesWritten % 4 != 0)
        {
            if (!EndOfList())
                return false;
        }
        return true;
    }

    private bool Put(byte kind, int length, scoped ReadOnlySpan<byte> data)
    {
        if (_destination.Length - BytesWritten < length)
            return false;
        var d = _destination[BytesWritten..];
        d[0] = kind;
        if (length > 1)
        {
            d[1] = (byte)length;
            data.CopyTo(d[2..]);
        }
        BytesWritten += length;
        return true;
    }
}
