using System.Buffers.Binary;
using Datapath.Packets;

namespace Datapath.Conntrack;

/// <summary>Why a packet could not be keyed; each makes the packet +inv (OVS: conn_key_extract fails).</summary>
internal enum ExtractFailure : byte
{
    None,
    NotIp,
    Fragment,
    Truncated,
    IcmpUnknownType,
    IcmpBadEmbedded,
}

/// <summary>
/// Builds the <see cref="ConnKey"/> of a packet from its FlowKey and frame (OVS's conn_key_extract):
/// TCP/UDP/SCTP by 5-tuple; ICMP queries by identifier and type/code; ICMP errors by the
/// reversed tuple of the embedded header (they are "related"); other IP protocols by 3-tuple.
/// IP fragments and truncated L4 headers cannot be keyed (no reassembly here).
/// </summary>
internal static class ConnKeyExtractor
{
    public static ExtractFailure TryExtract(in FlowKey key, ReadOnlySpan<byte> frame, ushort zone, out ConnKey ck, out bool related)
    {
        ck = default;
        related = false;
        bool v4 = key.IsIpv4;
        if (!v4 && !key.IsIpv6)
            return ExtractFailure.NotIp;
        if (key.NwFrag != 0)
            return ExtractFailure.Fragment;
        int l3 = key.Layout.L3Offset;
        if (l3 == 0 || (key.Layout.Flags & ParseFlags.Malformed) != 0 || frame.Length < l3 + (v4 ? 20 : 40))
            return ExtractFailure.Truncated;
        byte proto = key.NwProto;
        bool complete = (key.Layout.Flags & ParseFlags.L4Complete) != 0 && key.Layout.L4Offset != 0;

        switch (proto)
        {
            case IpProtocols.Tcp:
            case IpProtocols.Udp:
            case IpProtocols.Sctp:
                if (!complete)
                    return ExtractFailure.Truncated;
                ck = Make(key, v4, key.TpSrc, key.TpDst, zone, proto);
                return ExtractFailure.None;
            case IpProtocols.Icmp when v4:
            case IpProtocols.Icmpv6 when !v4:
                if (!complete || (uint)(key.Layout.L4Offset + 8) > (uint)frame.Length)
                    return ExtractFailure.Truncated;
                return ExtractIcmp(key, frame, zone, v4, out ck, out related);
            default:
                ck = Make(key, v4, 0, 0, zone, proto);
                return ExtractFailure.None;
        }
    }

    private static ConnKey Make(in FlowKey key, bool v4, ushort sport, ushort dport, ushort zone, byte proto)
        => v4
            ? ConnKey.Ipv4(key.NwSrc, key.NwDst, sport, dport, zone, proto)
            : new(key.Ipv6SrcHi, key.Ipv6SrcLo, key.Ipv6DstHi, key.Ipv6DstLo, sport, dport, zone, proto, ConnKey.FamilyIpv6);

    private static ExtractFailure ExtractIcmp(in FlowKey key, ReadOnlySpan<byte> frame, ushort zone, bool v4, out ConnKey ck, out bool related)
    {
        ck = default;
        related = false;
        var icmp = frame[key.Layout.L4Offset..];
        byte type = icmp[0], code = icmp[1];
        byte proto = v4 ? IpProtocols.Icmp : IpProtocols.Icmpv6;
        if (IsQuery(v4, type))
        {
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]);
            ck = Make(key, v4, id, (ushort)((type << 8) | code), zone, proto);
            return ExtractFailure.None;
        }
        if (!IsError(v4, type))
            return ExtractFailure.IcmpUnknownType;

        // An error: the embedded header is the packet that caused it, which travelled the other way.
        var inner = icmp[8..];
        if (!TryExtractInner(inner, v4, zone, out var innerKey))
            return ExtractFailure.IcmpBadEmbedded;
        // The error must go back to the embedded packet's sender.
        bool toSender = v4 ? innerKey.Src4 == key.NwDst
                           : innerKey.SrcHi == key.Ipv6DstHi && innerKey.SrcLo == key.Ipv6DstLo;
        if (!toSender)
            return ExtractFailure.IcmpBadEmbedded;
        ck = innerKey.Reverse();
        related = true;
        return ExtractFailure.None;
    }

    private static bool IsQuery(bool v4, byte type)
        => v4 ? type is 0 or 8 or 13 or 14 or 15 or 16 : type is 128 or 129;

    private static bool IsError(bool v4, byte type)
        => v4 ? type is 3 or 4 or 5 or 11 or 12 : type is 1 or 2 or 3 or 4;

    private static bool TryExtractInner(ReadOnlySpan<byte> inner, bool v4, ushort zone, out ConnKey key)
    {
        key = default;
        int l4;
        byte proto;
        if (v4)
        {
            if (inner.Length < 20 || (inner[0] >> 4) != 4)
                return false;
            l4 = (inner[0] & 0x0f) * 4;
            if (l4 < 20)
                return false;
            // A fragment other than the first carries no L4 header.
            if ((BinaryPrimitives.ReadUInt16BigEndian(inner[6..]) & 0x1fff) != 0)
                return false;
            proto = inner[9];
        }
        else
        {
            if (inner.Length < 40 || (inner[0] >> 4) != 6)
                return false;
            l4 = 40;
            proto = inner[6];
        }
        ushort sport = 0, dport = 0;
        if (proto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp)
        {
            if (inner.Length < l4 + 4)
                return false;
            sport = BinaryPrimitives.ReadUInt16BigEndian(inner[l4..]);
            dport = BinaryPrimitives.ReadUInt16BigEndian(inner[(l4 + 2)..]);
        }
        else if (proto == (v4 ? IpProtocols.Icmp : IpProtocols.Icmpv6))
        {
            if (inner.Length < l4 + 8 || !IsQuery(v4, inner[l4]))
                return false; // no errors about errors
            sport = BinaryPrimitives.ReadUInt16BigEndian(inner[(l4 + 4)..]);
            dport = (ushort)((inner[l4] << 8) | inner[l4 + 1]);
        }
        key = v4
            ? ConnKey.Ipv4(BinaryPrimitives.ReadUInt32BigEndian(inner[12..]), BinaryPrimitives.ReadUInt32BigEndian(inner[16..]), sport, dport, zone, proto)
            : new(BinaryPrimitives.ReadUInt64BigEndian(inner[8..]), BinaryPrimitives.ReadUInt64BigEndian(inner[16..]),
                  BinaryPrimitives.ReadUInt64BigEndian(inner[24..]), BinaryPrimitives.ReadUInt64BigEndian(inner[32..]),
                  sport, dport, zone, proto, ConnKey.FamilyIpv6);
        return true;
    }

    /// <summary>May a packet with this key create a connection (OVS valid_new)? ICMP: queries only, not answers.</summary>
    public static bool IsIcmpRequest(in ConnKey ck)
    {
        byte type = (byte)(ck.DstPort >> 8);
        return ck.NwProto == IpProtocols.Icmp ? type is 8 or 13 or 15 : type == 128;
    }
}
