using System.Buffers.Binary;
using Datapath.Packets;

namespace Datapath.Conntrack;

/// <summary>The fields of a TCP segment the tracker needs, read from the frame at the key's L4 offset.</summary>
internal readonly ref struct TcpSegment
{
    public readonly uint Seq;
    public readonly uint Ack;
    public readonly ushort Window;
    public readonly ushort Flags;
    public readonly uint PayloadLength;
    private readonly ReadOnlySpan<byte> _options;

    private TcpSegment(uint seq, uint ack, ushort window, ushort flags, uint payloadLength, ReadOnlySpan<byte> options)
    {
        Seq = seq;
        Ack = ack;
        Window = window;
        Flags = flags;
        PayloadLength = payloadLength;
        _options = options;
    }

    /// <summary>Reads the segment; false when the header is truncated or its data offset is bad.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, scoped in FlowKey key, out TcpSegment segment)
    {
        segment = default;
        int l4 = key.Layout.L4Offset;
        if (l4 == 0 || (uint)(l4 + 20) > (uint)frame.Length)
            return false;
        var tcp = frame[l4..];
        int headerLength = (tcp[12] >> 4) * 4;
        if (headerLength < 20 || headerLength > tcp.Length)
            return false;
        int end = IpPayloadEnd(frame, key);
        if (end < l4 + headerLength)
            return false;
        ushort flags = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(tcp[12..]) & 0x0fff);
        segment = new TcpSegment(
            BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]),
            BinaryPrimitives.ReadUInt16BigEndian(tcp[14..]),
            flags,
            (uint)(end - l4 - headerLength),
            tcp[20..headerLength]);
        return true;
    }

    /// <summary>Where the IP payload ends: the IP length fields bounded by the frame (Ethernet padding excluded).</summary>
    public static int IpPayloadEnd(ReadOnlySpan<byte> frame, scoped in FlowKey key)
    {
        int l3 = key.Layout.L3Offset;
        int end = frame.Length;
        if (key.IsIpv4 && (uint)(l3 + 4) <= (uint)frame.Length)
            end = Math.Min(end, l3 + BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 2)..]));
        else if (key.IsIpv6 && (uint)(l3 + 6) <= (uint)frame.Length)
            end = Math.Min(end, l3 + 40 + BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 4)..]));
        return end;
    }

    /// <summary>The window-scale option (RFC 7323) as pf keeps it: shift | <see cref="TcpPeer.WscaleFlag"/>, or 0.</summary>
    public byte GetWscale()
    {
        var opt = _options;
        byte wscale = 0;
        while (opt.Length >= 3)
        {
            byte kind = opt[0];
            if (kind == 0) // end of option list
                return wscale;
            if (kind == 1) // no-operation
            {
                opt = opt[1..];
                continue;
            }
            int len = opt[1] < 2 ? 2 : opt[1];
            if (kind == 3)
                wscale = (byte)(Math.Min((int)opt[2], TcpPeer.MaxWscale) | TcpPeer.WscaleFlag);
            if (len >= opt.Length)
                break;
            opt = opt[len..];
        }
        return wscale;
    }
}
