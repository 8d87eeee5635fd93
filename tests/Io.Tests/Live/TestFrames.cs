using System.Buffers.Binary;
using System.Net;

namespace Datapath.Io.Tests.Live;

/// <summary>
/// Small frame crafting for the live tests: replies built by swapping the fields of a request
/// (ARP: RFC 826; ICMP echo: RFC 792), and one UDP frame. Checksums are computed from scratch.
/// </summary>
internal static class TestFrames
{
    public static readonly byte[] PeerMac = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x02];

    public static uint Ip(string dotted) => BinaryPrimitives.ReadUInt32BigEndian(IPAddress.Parse(dotted).GetAddressBytes());

    public static ushort EtherType(ReadOnlySpan<byte> f) => f.Length >= 14 ? BinaryPrimitives.ReadUInt16BigEndian(f[12..]) : (ushort)0;

    public static bool IsArpRequestFor(ReadOnlySpan<byte> f, uint targetIp) =>
        EtherType(f) == 0x0806 && f.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(f[20..]) == 1
        && BinaryPrimitives.ReadUInt32BigEndian(f[38..]) == targetIp;

    public static bool IsEchoRequestTo(ReadOnlySpan<byte> f, uint dstIp) =>
        EtherType(f) == 0x0800 && f.Length >= 42 && f[23] == 1 && BinaryPrimitives.ReadUInt32BigEndian(f[30..]) == dstIp
        && f[14 + ((f[14] & 0xf) * 4)] == 8;

    public static bool IsUdpTo(ReadOnlySpan<byte> f, ushort port) =>
        EtherType(f) == 0x0800 && f.Length >= 42 && f[23] == 17
        && BinaryPrimitives.ReadUInt16BigEndian(f[(14 + ((f[14] & 0xf) * 4) + 2)..]) == port;

    /// <summary>ARP reply answering <paramref name="request"/> with <see cref="PeerMac"/>.</summary>
    public static byte[] ArpReply(ReadOnlySpan<byte> request)
    {
        byte[] r = request[..42].ToArray();
        request.Slice(6, 6).CopyTo(r.AsSpan(0));       // eth dst = requester
        PeerMac.CopyTo(r.AsSpan(6));                    // eth src = us
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(20), 2); // op = reply
        PeerMac.CopyTo(r.AsSpan(22));                   // sha = us
        request.Slice(38, 4).CopyTo(r.AsSpan(28));      // spa = requested ip
        request.Slice(22, 10).CopyTo(r.AsSpan(32));     // tha/tpa = requester
        return r;
    }

    /// <summary>ICMP echo reply for <paramref name="request"/> (addresses swapped, type 0, checksums recomputed).</summary>
    public static byte[] EchoReply(ReadOnlySpan<byte> request)
    {
        int ipLength = BinaryPrimitives.ReadUInt16BigEndian(request[16..]);
        byte[] r = request[..(14 + ipLength)].ToArray();
        request.Slice(6, 6).CopyTo(r.AsSpan(0));
        PeerMac.CopyTo(r.AsSpan(6));
        request.Slice(26, 4).CopyTo(r.AsSpan(30));
        request.Slice(30, 4).CopyTo(r.AsSpan(26));
        int ihl = (r[14] & 0xf) * 4;
        r[22] = 64;
        r[24] = r[25] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(r.AsSpan(24), Checksum(r.AsSpan(14, ihl)));
        Span<byte> icmp = r.AsSpan(14 + ihl);
        icmp[0] = 0;
        icmp[2] = icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(icmp));
        return r;
    }

    /// <summary>An Ethernet/IPv4/UDP frame with valid checksums.</summary>
    public static byte[] Udp(ReadOnlySpan<byte> dstMac, ReadOnlySpan<byte> srcMac, uint sip, uint dip, ushort sport, ushort dport, int payloadLength)
    {
        byte[] f = new byte[14 + 20 + 8 + payloadLength];
        dstMac.CopyTo(f);
        srcMac.CopyTo(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        Span<byte> ip = f.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(28 + payloadLength));
        ip[8] = 64;
        ip[9] = 17;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], sip);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], dip);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip));
        Span<byte> udp = f.AsSpan(34);
        BinaryPrimitives.WriteUInt16BigEndian(udp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], dport);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payloadLength));
        for (int i = 0; i < payloadLength; i++)
        {
            udp[8 + i] = (byte)i;
        }

        ushort c = L4Checksum(f);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], c == 0 ? (ushort)0xffff : c);
        return f;
    }

    /// <summary>True when the IPv4 TCP/UDP checksum of <paramref name="frame"/> verifies (sums to 0xffff).</summary>
    public static bool L4ChecksumValid(ReadOnlySpan<byte> frame) => L4Sum(frame, includeField: true) == 0xffff;

    private static ushort L4Checksum(ReadOnlySpan<byte> frame)
    {
        int ihl = (frame[14] & 0xf) * 4;
        byte[] copy = frame.ToArray();
        copy[14 + ihl + 6] = copy[14 + ihl + 7] = 0;
        return (ushort)~L4Sum(copy, includeField: true);
    }

    private static ushort L4Sum(ReadOnlySpan<byte> frame, bool includeField)
    {
        _ = includeField;
        int ihl = (frame[14] & 0xf) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(frame[16..]);
        int l4Length = total - ihl;
        ulong sum = 0;
        sum += BinaryPrimitives.ReadUInt16BigEndian(frame[26..]) + (ulong)BinaryPrimitives.ReadUInt16BigEndian(frame[28..]);
        sum += BinaryPrimitives.ReadUInt16BigEndian(frame[30..]) + (ulong)BinaryPrimitives.ReadUInt16BigEndian(frame[32..]);
        sum += frame[23];
        sum += (ulong)l4Length;
        ReadOnlySpan<byte> l4 = frame.Slice(14 + ihl, l4Length);
        sum += Sum(l4);
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)sum;
    }

    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        ulong sum = Sum(data);
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private static ulong Sum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        return sum;
    }
}
