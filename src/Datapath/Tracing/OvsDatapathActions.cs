using System.Globalization;
using System.Text;
using Datapath.Packets;

namespace Datapath.Engine.Tracing;

// OVS datapath actions
// ====================
//
// What?
// -----
// A pass's datapath actions as ofproto/trace prints its "Datapath actions:" line (odp-util's
// format_odp_actions): header changes committed as masked sets before the action that needs them
// (set(eth(src=..,dst=..)), set(ipv4(ttl=62)), set(tcp(dst=..))), ct(commit,zone=..,mark=V/M,nat(..)),
// recirc(0x..), tnl_push(...) for the GENEVE port, and outputs as datapath port numbers.
//
// Design
// ------
// Built after translation from the pass's DpActions and key snapshots (trace only). Datapath port
// numbers follow OVS's dummy datapath (dpif-netdev's choose_port, the datapath the judge runs):
// ports in ofport order, each takes the number its name holds when that is free (coredns--d8f62c: 8),
// else the lowest free one, from 1; the bridge's own port and the uplink come after. OVS adds
// ports in hash order, so on another bridge the numbers can differ (docs/trace.md).
internal static class OvsDatapathActions
{
    /// <summary>The device the GENEVE frames leave by, as the trace names it (the node's underlay).</summary>
    public const string UplinkName = "uplink";

    public static string Format(Node node, XlateContext ctx, Trace trace)
    {
        if (ctx.ActionCount == 0)
            return "drop";
        var numbers = PortNumbers(node.Bridge, out uint uplink);
        var sb = new StringBuilder();
        FlowKey committed = ctx.PassStart;
        bool slow = false, popped = false;
        // commit_mpls_action: OVS pushes MPLS entries when it commits (at an output), each with the entry's final
        // value, after the Ethernet sets; the indices of the push_mpls actions not yet committed.
        var pushes = new List<int>();
        for (int i = 0; i < ctx.ActionCount; i++)
        {
            ref DpAction a = ref ctx.Actions[i];
            ref FlowKey k = ref ctx.Snapshots[a.Snapshot];
            if (a.Kind is DpKind.Output or DpKind.Ct)
            {
                slow |= CommitSets(sb, in committed, in k);
                CommitMpls(sb, ctx, pushes, popped, in committed, in k);
                committed = k;
                pushes.Clear();
                popped = false;
            }
            if (a.Kind == DpKind.PushMpls)
            {
                pushes.Add(i);
                continue;
            }
            popped |= a.Kind == DpKind.PopMpls;
            int before = sb.Length;
            if (before > 0)
                sb.Append(',');
            switch (a.Kind)
            {
                case DpKind.Output:
                    if (node.Bridge.TryGetPort(a.Port, out var port) && port.Kind == PortKind.Tunnel)
                    {
                        if (!TunnelPush(sb, node, in k, numbers[port.OfPort], uplink))
                            sb.Length = before; // OVS emits nothing for a tunnel output it refuses
                    }
                    else
                        sb.Append(numbers.TryGetValue(a.Port, out uint dp) ? dp : a.Port);
                    break;
                case DpKind.Ct:
                    if (a.Fork)
                        sb.Append("clone(");
                    Conntrack(sb, in a.Ct);
                    if (a.Recirc)
                        sb.Append(",recirc(0x").Append(trace.ShownRecircId(a.RecircId).ToString("x", CultureInfo.InvariantCulture)).Append(')');
                    if (a.Fork)
                        sb.Append(')');
                    break;
                case DpKind.PushVlan:
                    if (a.EvictInnerVlan)
                    {
                        // OVS's commit when the flow already held two tags: both popped, the outer pushed back.
                        ushort outer = ctx.Snapshots[a.Snapshot].VlanTci;
                        sb.Append("pop_vlan,pop_vlan,push_vlan(");
                        ushort outerTpid = LastPushedTpid(ctx, i);
                        if (outerTpid != EtherTypes.Vlan)
                            sb.Append("tpid=0x").Append(outerTpid.ToString("x4", CultureInfo.InvariantCulture)).Append(',');
                        sb.Append("vid=").Append(outer & 0xfff).Append(",pcp=").Append(outer >> 13).Append("),");
                    }
                    sb.Append("push_vlan(");
                    if (a.EtherType != EtherTypes.Vlan)
                        sb.Append("tpid=0x").Append(a.EtherType.ToString("x4", CultureInfo.InvariantCulture)).Append(',');
                    {
                        // OVS commits the tag when the packet next leaves or goes to conntrack: the TCI pushed is the
                        // flow's then (push_vlan:0x8100,mod_vlan_vid:12,output:2 is push_vlan(vid=12,pcp=0),2).
                        ushort tci = PushedTci(ctx, i);
                        sb.Append("vid=").Append(tci & 0xfff).Append(",pcp=").Append(tci >> 13).Append(')');
                    }
                    break;
                case DpKind.PopVlan:
                    sb.Append("pop_vlan");
                    break;
                case DpKind.PopMpls:
                    sb.Append("pop_mpls(eth_type=0x").Append(a.EtherType.ToString("x", CultureInfo.InvariantCulture)).Append(')');
                    break;
                default:
                    sb.Append("userspace(controller)");
                    break;
            }
        }
        if (sb.Length == 0)
            sb.Append("drop");
        // explain_slow_path: no datapath can rewrite ARP headers (SLOW_ACTION).
        if (slow)
            sb.Append("\nThis flow is handled by the userspace slow path because it:\n  - Uses action(s) not supported by datapath.");
        return sb.ToString();
    }

    /// <summary>Datapath port numbers by ofport (see the design note), and the uplink's.</summary>
    public static Dictionary<uint, uint> PortNumbers(Bridge bridge, out uint uplink)
    {
        var byOfPort = new Dictionary<uint, uint>();
        var used = new HashSet<uint>();
        foreach (var p in bridge.Ports.OrderBy(p => p.OfPort))
        {
            uint n = NameNumber(p.Name);
            if (n == 0 || !used.Add(n))
            {
                n = 1;
                while (!used.Add(n))
                    n++;
            }
            byOfPort[p.OfPort] = n;
        }
        uint local = 1;
        while (used.Contains(local))
            local++;
        used.Add(local);
        uplink = local + 1;
        while (used.Contains(uplink))
            uplink++;
        return byOfPort;
    }

    /// <summary>choose_port: the number at the first digit of the name (0 when none or out of range).</summary>
    // The TPID of the last tag pushed before action i (the outer tag then), else 802.1Q.
    private static ushort LastPushedTpid(XlateContext ctx, int i)
    {
        for (int j = i - 1; j >= 0; j--)
        {
            if (ctx.Actions[j].Kind == DpKind.PushVlan)
                return ctx.Actions[j].EtherType;
            if (ctx.Actions[j].Kind == DpKind.PopVlan)
                break;
        }
        return EtherTypes.Vlan;
    }

    // The outer TCI at the first output or ct after the push at action i (no other push or pop between), else none yet.
    private static ushort PushedTci(XlateContext ctx, int i)
    {
        for (int j = i + 1; j < ctx.ActionCount; j++)
        {
            ref DpAction b = ref ctx.Actions[j];
            if (b.Kind is DpKind.Output or DpKind.Ct)
                return ctx.Snapshots[b.Snapshot].VlanTci;
            if (b.Kind is DpKind.PushVlan or DpKind.PopVlan)
                break;
        }
        return 0;
    }

    private static uint NameNumber(string name)
    {
        int i = 0;
        while (i < name.Length && !char.IsAsciiDigit(name[i]))
            i++;
        int j = i;
        while (j < name.Length && char.IsAsciiDigit(name[j]))
            j++;
        return j > i && uint.TryParse(name.AsSpan(i, j - i), NumberStyles.None, CultureInfo.InvariantCulture, out uint n) && n != uint.MaxValue ? n : 0;
    }

    // The pending pushes, bottom first: each entry as it stands now (the top is the key's, one below it the copy the
    // next push made, with its own bottom-of-stack bit), each with the packet's EtherType now (push_mpls writes it
    // into the Ethernet header, so only the last one's stays); or, with none pending, set(mpls(...)) when the top entry
    // changed since the last commit (not across a pop, whose new top the packet already has).
    private static void CommitMpls(StringBuilder sb, XlateContext ctx, List<int> pushes, bool popped, in FlowKey was, in FlowKey now)
    {
        if (pushes.Count == 0)
        {
            if (!popped && was.IsMpls && now.IsMpls && was.MplsLse != now.MplsLse)
                Mpls(sb.Append(sb.Length > 0 ? "," : "").Append("set("), now.MplsLse).Append(')');
            return;
        }
        for (int j = 0; j < pushes.Count; j++)
        {
            ref DpAction push = ref ctx.Actions[pushes[j]];
            uint lse = j == pushes.Count - 1 ? now.MplsLse : (ctx.Actions[pushes[j + 1]].Port & ~0x100u) | (push.Port & 0x100u);
            sb.Append(sb.Length > 0 ? "," : "").Append("push_");
            Mpls(sb, lse);
            sb.Length--;
            sb.Append(",eth_type=0x").Append(now.EthType.ToString("x", CultureInfo.InvariantCulture)).Append(')');
        }
    }

    private static StringBuilder Mpls(StringBuilder sb, uint lse)
        => sb.Append("mpls(label=").Append(lse >> 12).Append(",tc=").Append((lse >> 9) & 7).Append(",ttl=").Append(lse & 0xff)
            .Append(",bos=").Append((lse >> 8) & 1).Append(')');

    /// <summary>commit_odp_actions with masked sets: each changed header once, only its changed fields; true when one is ARP's (slow path).</summary>
    private static bool CommitSets(StringBuilder sb, in FlowKey was, in FlowKey now)
    {
        var fields = new List<string>(6);
        if (was.EthSrc != now.EthSrc)
            fields.Add("src=" + new MacAddress(now.EthSrc));
        if (was.EthDst != now.EthDst)
            fields.Add("dst=" + new MacAddress(now.EthDst));
        Set(sb, "eth", fields);
        // Across a push or pop of MPLS the packet's L3 is another header (parsed afresh after a pop): nothing to set.
        if (was.EthType != now.EthType && (was.IsMpls || now.IsMpls))
            return false;
        if (now.IsArp)
        {
            if (was.NwSrc != now.NwSrc)
                fields.Add("sip=" + new Ipv4Address(now.NwSrc));
            if (was.NwDst != now.NwDst)
                fields.Add("tip=" + new Ipv4Address(now.NwDst));
            if (was.ArpOp != now.ArpOp)
                fields.Add("op=" + now.ArpOp.ToString(CultureInfo.InvariantCulture));
            if (was.ArpSha != now.ArpSha)
                fields.Add("sha=" + new MacAddress(now.ArpSha));
            if (was.ArpTha != now.ArpTha)
                fields.Add("tha=" + new MacAddress(now.ArpTha));
            bool arp = fields.Count > 0;
            Set(sb, "arp", fields);
            return arp;
        }
        if (now.IsIpv4)
        {
            if (was.NwSrc != now.NwSrc)
                fields.Add("src=" + new Ipv4Address(now.NwSrc));
            if (was.NwDst != now.NwDst)
                fields.Add("dst=" + new Ipv4Address(now.NwDst));
            if (was.NwTos != now.NwTos || was.NwEcn != now.NwEcn)
                fields.Add("tos=" + Classifier.FieldSyntax.CHex((uint)(now.NwTos | now.NwEcn)));
            if (was.NwTtl != now.NwTtl)
                fields.Add("ttl=" + now.NwTtl.ToString(CultureInfo.InvariantCulture));
            Set(sb, "ipv4", fields);
        }
        else if (now.IsIpv6)
        {
            if (was.Ipv6SrcLo != now.Ipv6SrcLo || was.Ipv6SrcHi != now.Ipv6SrcHi)
                fields.Add("src=" + now.Ipv6Src);
            if (was.Ipv6DstLo != now.Ipv6DstLo || was.Ipv6DstHi != now.Ipv6DstHi)
                fields.Add("dst=" + now.Ipv6Dst);
            if (was.NwTos != now.NwTos || was.NwEcn != now.NwEcn)
                fields.Add("tclass=" + Classifier.FieldSyntax.CHex((uint)(now.NwTos | now.NwEcn)));
            if (was.NwTtl != now.NwTtl)
                fields.Add("hlimit=" + now.NwTtl.ToString(CultureInfo.InvariantCulture));
            Set(sb, "ipv6", fields);
        }
        if (now.IsIp && now.NwProto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp)
        {
            if (was.TpSrc != now.TpSrc)
                fields.Add("src=" + now.TpSrc.ToString(CultureInfo.InvariantCulture));
            if (was.TpDst != now.TpDst)
                fields.Add("dst=" + now.TpDst.ToString(CultureInfo.InvariantCulture));
            Set(sb, now.NwProto == IpProtocols.Tcp ? "tcp" : now.NwProto == IpProtocols.Udp ? "udp" : "sctp", fields);
        }
        return false;
    }

    private static void Set(StringBuilder sb, string header, List<string> fields)
    {
        if (fields.Count == 0)
            return;
        if (sb.Length > 0)
            sb.Append(',');
        sb.Append("set(").Append(header).Append('(').AppendJoin(',', fields).Append("))");
        fields.Clear();
    }

    /// <summary>format_odp_conntrack_action: commit, zone, mark=V/M, label=V/M, nat.</summary>
    private static void Conntrack(StringBuilder sb, in Conntrack.CtCommand ct)
    {
        sb.Append("ct(");
        int start = sb.Length;
        if (ct.Commit)
            sb.Append(ct.Force ? "force_commit" : "commit");
        if (ct.Zone != 0)
            sb.Append(sb.Length > start ? "," : "").Append("zone=").Append(ct.Zone);
        if (ct.MarkMask != 0)
            sb.Append(sb.Length > start ? "," : "").Append("mark=0x").Append(ct.Mark.ToString("x", CultureInfo.InvariantCulture))
              .Append("/0x").Append(ct.MarkMask.ToString("x", CultureInfo.InvariantCulture));
        if (ct.LabelMask != 0)
            sb.Append(sb.Length > start ? "," : "").Append("label=0x").Append(ct.Label.ToString("x", CultureInfo.InvariantCulture))
              .Append("/0x").Append(ct.LabelMask.ToString("x", CultureInfo.InvariantCulture));
        if (ct.Nat is { } nat)
            sb.Append(sb.Length > start ? "," : "").Append(nat);
        if (sb.Length == start)
            sb.Length = start - 1; // format_odp_conntrack_action prints a ct() with no attribute as "ct"
        else
            sb.Append(')');
    }

    /// <summary>
    /// format_odp_tnl_push_action for GENEVE over IPv4 or IPv6 (type 5); false when the node would not send it
    /// (our own address, no neighbour), as Node.Deliver refuses it.
    /// </summary>
    private static bool TunnelPush(StringBuilder sb, Node node, in FlowKey k, uint tunnelPort, uint uplink)
    {
        bool ipv6 = Geneve.GeneveEncapsulator.UsesIpv6Outer(in k);
        MacAddress nextHop = default;
        bool ok = ipv6
            ? node.NodeIp6.Value != 0 && k.TunIpv6Dst != node.NodeIp6 && node.TryResolveUnderlay(k.TunIpv6Dst, out nextHop)
            : k.TunDst != 0 && k.TunDst != node.NodeIp.Value && node.TryResolveUnderlay(new Ipv4Address(k.TunDst), out nextHop);
        if (!ok)
            return false;
        int ttl = k.TunTtl == 0 ? 64 : k.TunTtl;
        sb.Append("tnl_push(tnl_port(").Append(tunnelPort).Append("),header(size=").Append(ipv6 ? 70 : 50).Append(",type=5,eth(dst=")
          .Append(nextHop).Append(",src=").Append(node.NodeMac).Append(",dl_type=0x").Append(ipv6 ? "86dd" : "0800").Append("),");
        if (ipv6)
            sb.Append("ipv6(src=").Append(node.NodeIp6).Append(",dst=").Append(k.TunIpv6Dst).Append(",label=0,proto=17,tclass=0x")
              .Append(k.TunTos.ToString("x", CultureInfo.InvariantCulture)).Append(",hlimit=").Append(ttl).Append("),");
        else
            sb.Append("ipv4(src=").Append(node.NodeIp).Append(",dst=").Append(new Ipv4Address(k.TunDst)).Append(",proto=17,tos=")
              .Append(Classifier.FieldSyntax.CHex(k.TunTos)).Append(",ttl=").Append(ttl).Append(",frag=0x4000),");
        sb.Append("udp(src=0,dst=").Append(Geneve.GeneveHeader.UdpPort).Append(",csum=0x").Append(node.TunnelChecksum ? "ffff" : "0").Append("),")
          .Append("geneve(vni=0x").Append((k.TunId & 0xffffff).ToString("x", CultureInfo.InvariantCulture)).Append(")),out_port(").Append(uplink).Append("))");
        return true;
    }
}
