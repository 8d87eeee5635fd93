using Datapath.Engine.Actions;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Engine;

// The 802.1Q tags as OVS 3.1's xlate keeps them: the flow holds at most two (FLOW_MAX_VLAN_HEADERS), the outer in
// VlanTci and the inner in VlanTci2; a frame is received with at most Bridge.VlanLimit of them in its flow (OVS's
// vlan-limit, 1 by default). push_vlan shifts the outer tag inward (flow_push_vlan_uninit), pop_vlan shifts it back
// (flow_pop_vlan). OVS emits the datapath's push/pop when it commits the flow (commit_vlan_action: pop the frame's tags
// that differ from the flow's, push the flow's); we emit them at the action, which leaves the frame the same:
//  - a push when the flow already holds two tags drops the inner one from the flow, and OVS's commit then pops both
//    tags and pushes the outer one back: the frame loses its second tag (DpAction.EvictInnerVlan);
//  - a write of vlan_tci (set_field, load, move, pop:) that sets the present bit on an untagged packet pushes an 802.1Q
//    tag (flow_fix_vlan_tpid); one that clears it pops every tag of the flow.
internal sealed partial class Translator
{
    private static void PushVlan(XlateContext ctx, ushort tpid, TraceAction? ta)
    {
        ref FlowKey key = ref ctx.Key;
        if (ctx.TrackConsulted)
        {
            ctx.Consulted.VlanTci = 0xffff;
            ctx.Consulted.VlanTci2 = 0xffff;
        }
        bool evict = (key.VlanTci & VlanTag.Cfi) != 0 && (key.VlanTci2 & VlanTag.Cfi) != 0;
        ref DpAction a = ref ctx.Emit(DpKind.PushVlan);
        a.EtherType = tpid;
        a.EvictInnerVlan = evict;
        key.VlanTci2 = key.VlanTci;
        key.VlanTci = VlanTag.Cfi;
        ctx.Dirty = true;
        if (evict)
            ta?.Effects.Add("the flow already holds two VLAN tags (OVS's most): the inner one leaves the packet");
    }

    private static void PopVlan(XlateContext ctx)
    {
        ref FlowKey key = ref ctx.Key;
        if (ctx.TrackConsulted)
        {
            ctx.Consulted.VlanTci = 0xffff;
            ctx.Consulted.VlanTci2 = 0xffff;
        }
        if ((key.VlanTci & VlanTag.Cfi) == 0)
            return;
        ctx.Emit(DpKind.PopVlan);
        if ((key.VlanTci2 & VlanTag.Cfi) != 0)
        {
            key.VlanTci = key.VlanTci2;
            key.VlanTci2 = 0;
        }
        else
            key.VlanTci = 0;
        ctx.Dirty = true;
    }

    /// <summary>
    /// set_field, load and mod_vlan_* into vlan_tci or one of its views: a write of the PCP view needs a tag (OVS skips
    /// it on an untagged packet); a write that makes the tag appear or go pushes or pops it.
    /// </summary>
    private void WriteVlanTci(XlateContext ctx, SetFieldAction sf, TraceAction? ta)
    {
        if (ctx.TrackConsulted)
            ctx.Consulted.VlanTci = 0xffff;
        ushort before = ctx.Key.VlanTci;
        if (sf.NeedsVlanTag && (before & VlanTag.Cfi) == 0)
        {
            ta?.Effects.Add("no VLAN tag: vlan_pcp is not written (its prerequisite is a tag)");
            return;
        }
        sf.Execute(ref ctx.Key);
        ctx.Dirty = true;
        CommitVlanPresence(ctx, before);
        ta?.Effects.Add(Change(ctx, sf.Destination.Field, before, in ctx.Key));
    }

    /// <summary>After a write of vlan_tci from <paramref name="before"/>: a tag that appeared is pushed, one that went is popped (with the flow's inner one).</summary>
    private static void CommitVlanPresence(XlateContext ctx, ushort before)
    {
        ref FlowKey key = ref ctx.Key;
        ushort after = key.VlanTci;
        bool was = (before & VlanTag.Cfi) != 0, now = (after & VlanTag.Cfi) != 0;
        if (was == now)
            return;
        if (ctx.TrackConsulted)
            ctx.Consulted.VlanTci2 = 0xffff;
        // The push or pop runs on the frame as it was before the write; the write itself is the next snapshot.
        key.VlanTci = before;
        ctx.Dirty = true;
        if (now)
            ctx.Emit(DpKind.PushVlan).EtherType = EtherTypes.Vlan;
        else
        {
            ctx.Emit(DpKind.PopVlan);
            if ((key.VlanTci2 & VlanTag.Cfi) != 0)
                ctx.Emit(DpKind.PopVlan);
            key.VlanTci2 = 0;
        }
        key.VlanTci = after;
        ctx.Dirty = true;
    }
}
