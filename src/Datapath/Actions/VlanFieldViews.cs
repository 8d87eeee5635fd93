using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary>
/// The OpenFlow views of the 802.1Q tag that Open vSwitch keeps as fields of their own (meta-flow's <c>vlan_vid</c>,
/// <c>vlan_pcp</c> and their OXM names) and our key keeps in <c>vlan_tci</c>: each is a bit range of it.
/// <list type="bullet">
/// <item><c>vlan_vid</c> (set_field): bits 0..12, the VID with OpenFlow 1.2's present bit 0x1000 (OVS's flow_set_vlan_vid);
/// <c>OXM_OF_VLAN_VID[]</c> (load, move, push, pop): bits 0..11, the 12 bits OVS sizes the subfield with.</item>
/// <item><c>vlan_pcp</c> and <c>OXM_OF_VLAN_PCP[]</c>: bits 13..15. Writing them needs a tag (their prerequisite
/// is "VLAN VID"): on an untagged packet OVS's xlate skips the write.</item>
/// </list>
/// <c>dl_vlan</c> and <c>dl_vlan_pcp</c> are match-only: OVS 3.1 has no OpenFlow encoding for a write of them
/// (ovs-ofctl sends <c>set_field:N->dl_vlan</c> as a write of in_port and <c>set_field:N->dl_vlan_pcp</c> as a
/// malformed action the switch refuses), so <see cref="IsMatchOnly"/> names them for a refusal.
/// </summary>
public static class VlanFieldViews
{
    /// <summary>The view named <paramref name="name"/>: its first bit in vlan_tci and its width as a subfield.</summary>
    public static bool TryGet(string name, out int start, out int width)
    {
        (start, width) = name switch
        {
            "vlan_vid" or "OXM_OF_VLAN_VID" => (0, 12),
            "vlan_pcp" or "OXM_OF_VLAN_PCP" => (13, 3),
            _ => (-1, 0),
        };
        return start >= 0;
    }

    /// <summary>dl_vlan and dl_vlan_pcp: fields a match may name but no action can write.</summary>
    public static bool IsMatchOnly(string name) => name is "dl_vlan" or "dl_vlan_pcp";

    /// <summary>The first bit in vlan_tci of the view <paramref name="written"/> names (0 unless it names vlan_pcp).</summary>
    public static int ViewStart(FieldInfo field, string? written)
        => field.Id == FieldId.VlanTci && written is not null && TryGet(written, out int start, out _) ? start : 0;

    /// <summary>A write through the PCP view: it needs a tag on the packet.</summary>
    public static bool IsPcp(FieldRef f) => f.Field.Id == FieldId.VlanTci && f.Name is "vlan_pcp" or "OXM_OF_VLAN_PCP";

    /// <summary>A write through a VID or PCP view (set_field and load need a tag in the match, OVS's check_SET_FIELD).</summary>
    public static bool IsView(FieldRef f) => f.Field.Id == FieldId.VlanTci && TryGet(f.Name, out _, out _);
}
