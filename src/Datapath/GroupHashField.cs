using System.Diagnostics.CodeAnalysis;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// One field of a select group's <c>fields(...)</c> list (<c>selection_method=hash</c>): the field, the mask its
/// value is taken under, and where it stands in meta-flow's field order — OVS hashes and prints a group's fields in
/// that order (its field bitmap's), not as they were written.
/// </summary>
public sealed class GroupHashField
{
    private readonly Def _def;

    private GroupHashField(Def def, UInt128 mask)
    {
        _def = def;
        Mask = mask;
    }

    /// <summary>The field's meta-flow name (<c>ip_src</c>, <c>tcp_src</c>), as OVS prints it.</summary>
    public string Name => _def.Name;
    public UInt128 Mask { get; }
    /// <summary>The field's position in meta-flow's <c>enum mf_field_id</c> among the fields a group may hash.</summary>
    public int Order => _def.Order;
    private int Bytes => (_def.Field.BitWidth + 7) / 8;

    private sealed record Def(string Name, string[] Aliases, int Order, FieldId Id, byte Proto, bool Ipv4Only, bool Ipv6Only)
    {
        public FieldInfo Field => FieldRegistry.Get(Id);
    }

    // In meta-flow's order (MFF_ETH_SRC < ... < MFF_SCTP_DST); Proto 0xff: no protocol prerequisite, 0: any IP.
    private static readonly Def[] s_defs =
    [
        new("eth_src", ["dl_src"], 0, FieldId.EthSrc, 0xff, false, false),
        new("eth_dst", ["dl_dst"], 1, FieldId.EthDst, 0xff, false, false),
        new("eth_type", ["dl_type"], 2, FieldId.EthType, 0xff, false, false),
        new("vlan_tci", [], 3, FieldId.VlanTci, 0xff, false, false),
        new("ip_src", ["nw_src"], 4, FieldId.NwSrc, 0, true, false),
        new("ip_dst", ["nw_dst"], 5, FieldId.NwDst, 0, true, false),
        new("ipv6_src", [], 6, FieldId.Ipv6Src, 0, false, true),
        new("ipv6_dst", [], 7, FieldId.Ipv6Dst, 0, false, true),
        new("nw_proto", ["ip_proto"], 8, FieldId.NwProto, 0, false, false),
        new("tcp_src", ["tp_src"], 9, FieldId.TpSrc, IpProtocols.Tcp, false, false),
        new("tcp_dst", ["tp_dst"], 10, FieldId.TpDst, IpProtocols.Tcp, false, false),
        new("udp_src", [], 11, FieldId.TpSrc, IpProtocols.Udp, false, false),
        new("udp_dst", [], 12, FieldId.TpDst, IpProtocols.Udp, false, false),
        new("sctp_src", [], 13, FieldId.TpSrc, IpProtocols.Sctp, false, false),
        new("sctp_dst", [], 14, FieldId.TpDst, IpProtocols.Sctp, false, false),
    ];

    /// <summary>
    /// Parses one <c>NAME[=MASK]</c> element as ovs-ofctl's parse_select_group_field does: a known field, a mask
    /// that is not all zeros; or returns the reason it is refused.
    /// </summary>
    public static bool TryParse(string element, Classifier.IPortMap? ports, [NotNullWhen(true)] out GroupHashField? field, [NotNullWhen(false)] out string? error)
    {
        field = null;
        int eq = element.IndexOf('=', StringComparison.Ordinal);
        string name = (eq < 0 ? element : element[..eq]).Trim();
        var def = Array.Find(s_defs, d => d.Name == name || Array.IndexOf(d.Aliases, name) >= 0);
        if (def is null)
        {
            error = FieldRegistry.TryGet(name, out _)
                ? $"{element}: field {name} cannot be hashed by a select group here (eth, vlan_tci, ip, ipv6, nw_proto, tcp, udp and sctp ports can)"
                : $"{element}: unknown field {name}";
            return false;
        }
        UInt128 mask = def.Field.FullMask;
        if (eq >= 0)
        {
            // The value written is the mask the field is hashed under (mf_parse_value).
            if (!Classifier.FieldSyntax.TryParseValue(def.Field, element[(eq + 1)..].Trim(), ports, out mask, out _, out string? why))
            {
                error = why ?? $"{element}: bad mask";
                return false;
            }
            if (mask == 0)
            {
                error = $"{element}: values are wildcards here and must not be all-zeros";
                return false;
            }
        }
        field = new GroupHashField(def, mask);
        error = null;
        return true;
    }

    /// <summary>Whether the field's prerequisites hold for the key (mf_are_prereqs_ok); consulted bits go to <paramref name="consulted"/>.</summary>
    internal bool PrerequisitesHold(in FlowKey key, ref FlowKey consulted, bool track)
    {
        if (_def.Proto == 0xff)
            return true;
        if (track)
            consulted.EthType = 0xffff;
        bool ip = _def.Ipv4Only ? key.IsIpv4 : _def.Ipv6Only ? key.IsIpv6 : key.IsIp;
        if (!ip || _def.Proto == 0)
            return ip;
        if (track)
            consulted.NwProto = 0xff;
        return key.NwProto == _def.Proto;
    }

    /// <summary>Hashes the masked value as OVS does: <c>hash_bytes</c> over the field's bytes in network order.</summary>
    internal uint Hash(in FlowKey key, uint basis, ref FlowKey consulted, bool track)
    {
        var f = _def.Field;
        UInt128 v = FieldRegistry.Read(in key, f) & Mask;
        Span<byte> bytes = stackalloc byte[16];
        int n = Bytes;
        for (int i = 0; i < n; i++)
            bytes[i] = (byte)(v >> (8 * (n - 1 - i)));
        if (track)
            FieldRegistry.Write(ref consulted, f, FieldRegistry.Read(in consulted, f) | Mask);
        return OvsHash.Bytes(bytes[..n], basis);
    }

    /// <summary>As <c>oxm_format_field_array</c> prints it: the name, and <c>=MASK</c> unless the mask is all ones.</summary>
    public string Format() => Mask == _def.Field.FullMask ? Name : Name + "=" + Classifier.FieldSyntax.FormatValue(_def.Field, Mask, null);
}
