using System.Text;
using System.Text.Json;
using Datapath.Packets;

namespace Datapath.Cli.Formatting;

/// <summary>
/// Writes the fields of a <see cref="FlowKey"/> as JSON properties named by ovs-fields(7), walking
/// <see cref="FieldRegistry.Fields"/> and keeping the fields present for the frame's protocols (a
/// field's prerequisites hold and its header was parsed). Values are formatted as OVS prints a flow:
/// decimal numbers as JSON numbers, MACs as aa:bb:.., IPv4 dotted, IPv6 compressed, hex fields
/// (vlan_tci, ipv6_label, tun_id, metadata, registers) as "0x..", tcp_flags as "syn|ack", nw_frag as no/first/later.
/// </summary>
internal static class FlowKeyJson
{
    /// <summary>Writes the present fields of <paramref name="key"/>, extracted from a frame of <paramref name="frameLength"/> captured bytes.</summary>
    /// <param name="writer">Positioned inside an object.</param>
    /// <param name="key">The key extracted from the frame.</param>
    /// <param name="frameLength">Captured bytes of the frame the key came from.</param>
    /// <param name="tunnel">Also write tun_id, tun_src and tun_dst (or tun_ipv6_src and tun_ipv6_dst), tun_tos and tun_ttl (the key is the inner frame of a tunnel).</param>
    public static void WriteFields(Utf8JsonWriter writer, in FlowKey key, int frameLength, bool tunnel)
    {
        foreach (FieldInfo field in FieldRegistry.Fields)
        {
            if (IsPresent(field, in key, frameLength, tunnel))
                WriteField(writer, field, FieldRegistry.Read(in key, field));
        }
    }

    /// <summary>True when <paramref name="field"/> means something for this key's frame.</summary>
    public static bool IsPresent(FieldInfo field, in FlowKey key, int frameLength, bool tunnel)
    {
        bool l2 = frameLength >= EthernetHeader.Length;
        switch (field.Id)
        {
            case FieldId.TunId or FieldId.TunTos or FieldId.TunTtl:
                return tunnel;
            case FieldId.TunSrc or FieldId.TunDst:
                return tunnel && !key.HasTunIpv6;
            case FieldId.TunIpv6Src or FieldId.TunIpv6Dst:
                return tunnel && key.HasTunIpv6;
            case FieldId.EthSrc or FieldId.EthDst or FieldId.EthType or FieldId.VlanTci:
                return l2;
        }
        bool laterFragment = (key.NwFrag & 2) != 0;
        bool l3HeaderMalformed = (key.Layout.Flags & ParseFlags.Malformed) != 0 && key.Layout.L4Offset == 0 && !laterFragment;
        bool l3 = key.Layout.L3Offset != 0 && !l3HeaderMalformed
            && ((key.IsIpv4 && frameLength >= key.Layout.L3Offset + Ipv4Header.MinLength)
                || (key.IsIpv6 && frameLength >= key.Layout.L3Offset + Ipv6Header.Length));
        bool l4 = l3 && !laterFragment && key.Layout.L4Offset != 0
            && ((key.Layout.Flags & ParseFlags.L4Complete) != 0
                || (key.NwProto == IpProtocols.Tcp && frameLength >= key.Layout.L4Offset + TcpHeader.MinLength));
        return field.Prerequisite switch
        {
            FieldPrerequisite.None => false, // metadata, registers, in_port, conntrack: not part of a frame
            FieldPrerequisite.Arp => key.IsArp && (key.Layout.Flags & ParseFlags.L4Complete) != 0,
            FieldPrerequisite.Ipv4 or FieldPrerequisite.Ipv4OrArp => key.IsIpv4 && l3,
            FieldPrerequisite.Ipv6 => key.IsIpv6 && l3,
            FieldPrerequisite.IpAny => key.IsIp && l3,
            FieldPrerequisite.Tcp => l4 && key.NwProto == IpProtocols.Tcp,
            FieldPrerequisite.TcpUdpSctp => l4 && key.NwProto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp,
            FieldPrerequisite.Icmpv4 => l4 && key.IsIpv4 && key.NwProto == IpProtocols.Icmp,
            FieldPrerequisite.Icmpv6 => l4 && key.IsIpv6 && key.NwProto == IpProtocols.Icmpv6,
            FieldPrerequisite.Nd => l4 && key.IsIpv6 && key.NwProto == IpProtocols.Icmpv6 && key.TpSrc is 135 or 136 && key.TpDst == 0,
            _ => false,
        };
    }

    public static void WriteField(Utf8JsonWriter writer, FieldInfo field, UInt128 value)
    {
        if (field.Format == FieldFormat.Decimal)
            writer.WriteNumber(field.Name, (ulong)value);
        else
            writer.WriteString(field.Name, FormatValue(field, value));
    }

    /// <summary>A field's value as OVS prints it in a flow (ofproto/trace's "Flow:" line).</summary>
    public static string FormatValue(FieldInfo field, UInt128 value) => field.Format switch
    {
        FieldFormat.Decimal or FieldFormat.Port => value.ToString(),
        FieldFormat.Mac => new MacAddress((ulong)value).ToString(),
        FieldFormat.Ipv4 => new Ipv4Address((uint)value).ToString(),
        FieldFormat.Ipv6 => new Ipv6Address(value).ToString(),
        FieldFormat.TcpFlags => FormatTcpFlags((ushort)value),
        FieldFormat.Frag => (byte)(value & 3) switch { 0 => "no", 1 => "first", 3 => "later", _ => "0x" + value.ToString("x") },
        _ when field.Id is FieldId.VlanTci or FieldId.EthType => "0x" + ((ushort)value).ToString("x4"),
        _ => "0x" + value.ToString("x"),
    };

    private static string FormatTcpFlags(ushort flags)
    {
        if (flags == 0)
            return "0";
        ReadOnlySpan<string> names = ["fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr", "ns"];
        var sb = new StringBuilder();
        for (int bit = 0; bit < names.Length; bit++)
        {
            if ((flags & (1 << bit)) == 0)
                continue;
            if (sb.Length > 0)
                sb.Append('|');
            sb.Append(names[bit]);
        }
        int rest = flags & ~0x1FF;
        if (rest != 0)
            sb.Append(sb.Length > 0 ? "|" : "").Append("0x").Append(rest.ToString("x"));
        return sb.ToString();
    }
}
