using System.Text;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary>
/// The names Open vSwitch 3.1 prints a field by: its meta-flow name (<c>mf_field.name</c>: <c>eth_src</c>,
/// <c>ip_dst</c>, <c>tcp_dst</c>, as set_field and learn's <c>field=value</c> print it) and its NXM or OXM name
/// (<c>nxm_field_by_mf_id(id, 0)</c>: <c>NXM_OF_TCP_DST</c>, <c>NXM_NX_REG4</c>, as mf_format_subfield prints a
/// subfield). Our registry keeps tcp, udp and sctp ports in one field; the name the user wrote tells which of
/// OVS's fields was meant (<c>tp_dst</c> is OVS's alias of <c>tcp_dst</c>). NXM_OF_IN_PORT is 16 bits in OVS
/// (<c>in_port_oxm</c> is the 32-bit one): <see cref="Width"/> says so for subfield printing.
/// </summary>
public static class OvsFieldNames
{
    /// <summary>The meta-flow name of <paramref name="field"/> as written <paramref name="written"/> (null: the canonical one).</summary>
    public static string MfName(FieldInfo field, string? written = null)
    {
        ArgumentNullException.ThrowIfNull(field);
        return field.Id switch
        {
            FieldId.EthSrc => "eth_src",
            FieldId.EthDst => "eth_dst",
            FieldId.EthType => "eth_type",
            FieldId.NwSrc => "ip_src",
            FieldId.NwDst => "ip_dst",
            FieldId.NwFrag => "ip_frag",
            FieldId.TpSrc => Transport(written) + "_src",
            FieldId.TpDst => Transport(written) + "_dst",
            FieldId.InPort when IsOxmInPort(written) => "in_port_oxm",
            _ => field.Name,
        };
    }

    /// <summary>The NXM (or, for fields NXM lacks, OXM) name, as OVS prints subfields.</summary>
    public static string NxmName(FieldInfo field, string? written = null)
    {
        ArgumentNullException.ThrowIfNull(field);
        switch (field.Id)
        {
            case FieldId.TpSrc or FieldId.TpDst:
                {
                    string proto = Transport(written);
                    string end = field.Id == FieldId.TpSrc ? "_SRC" : "_DST";
                    return proto == "sctp" ? "OXM_OF_SCTP" + end : $"NXM_OF_{proto.ToUpperInvariant()}{end}";
                }
            case FieldId.InPort when IsOxmInPort(written):
                return "OXM_OF_IN_PORT";
        }
        foreach (string a in field.Aliases)
        {
            if (a.StartsWith("NXM_", StringComparison.Ordinal))
                return a;
        }
        foreach (string a in field.Aliases)
        {
            if (a.StartsWith("OXM_", StringComparison.Ordinal))
                return a;
        }
        return field.Name;
    }

    /// <summary>The field's width in OVS as written (16 for NXM_OF_IN_PORT / in_port, else the registry's).</summary>
    public static int Width(FieldInfo field, string? written)
        => field.Id == FieldId.InPort && !IsOxmInPort(written) ? 16
            : field.Id == FieldId.VlanTci && written is not null && VlanFieldViews.TryGet(written, out _, out int w) ? w
            : field.BitWidth;

    /// <summary>Appends a subfield as OVS's mf_format_subfield does: <c>NXM_NX_REG4[0..15]</c>, <c>NXM_OF_IP_SRC[]</c>.</summary>
    public static void AppendSubfield(StringBuilder sb, FieldRef f)
    {
        ArgumentNullException.ThrowIfNull(sb);
        int start = f.Start - VlanFieldViews.ViewStart(f.Field, f.Name);
        sb.Append(VlanFieldViews.IsView(f) ? (VlanFieldViews.IsPcp(f) ? "OXM_OF_VLAN_PCP" : "OXM_OF_VLAN_VID") : NxmName(f.Field, f.Name));
        if (start == 0 && f.Count == Width(f.Field, f.Name))
            sb.Append("[]");
        else if (f.Count == 1)
            sb.Append('[').Append(start).Append(']');
        else
            sb.Append('[').Append(start).Append("..").Append(start + f.Count - 1).Append(']');
    }

    private static string Transport(string? written)
    {
        if (written is null)
            return "tcp";
        if (written.Contains("udp", StringComparison.OrdinalIgnoreCase))
            return "udp";
        return written.Contains("sctp", StringComparison.OrdinalIgnoreCase) ? "sctp" : "tcp";
    }

    private static bool IsOxmInPort(string? written)
        => written is not null && (written.Equals("in_port_oxm", StringComparison.Ordinal) || written.Equals("OXM_OF_IN_PORT", StringComparison.Ordinal));
}
