using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary>
/// Load-time checks of an action list against its rule's match, as OVS's ofpact_check does: a
/// field written or read by an action must have its prerequisites guaranteed by the match
/// (<c>mod_tp_dst</c> needs tcp/udp/sctp, <c>load:...->NXM_OF_ARP_OP[]</c> needs arp), and ct()
/// needs an IP match.
/// </summary>
public static class ActionValidator
{
    /// <summary>Throws an <see cref="InputException"/> at the action's column in the action text (see <see cref="ActionParser.Fragment"/>) on the first inconsistency.</summary>
    public static void Check(ActionList actions, Match match)
    {
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(match);
        // The 802.1Q tags the packet has at each action, as OVS's check_* track them on the match: the outer one is
        // known from vlan_tci's present bit, the inner one only from a push.
        bool outer = (match.GetMask(FieldId.VlanTci) & match.GetValue(FieldId.VlanTci) & VlanTag.Cfi) != 0, inner = false;
        for (int i = 0; i < actions.Items.Length; i++)
        {
            string? error = CheckOne(actions.Items[i], match) ?? CheckVlan(actions.Items[i], ref outer, ref inner);
            if (error is not null)
                throw ActionParser.Error($"{actions.Items[i]}: {error}", actions.OffsetOf(i));
            if (actions.Items[i] is MplsAction { Kind: ActionKind.PushMpls or ActionKind.PopMpls } mpls)
                match = AfterMpls(match, mpls);
        }
    }

    // check_PUSH_VLAN: a third tag is refused (OVS keeps two); check_STRIP_VLAN shifts the inner one out; check_SET_FIELD:
    // a write of vlan_vid or vlan_pcp needs a tag, and a write of vlan_tci says whether there is one after it.
    private static string? CheckVlan(FlowAction action, ref bool outer, ref bool inner)
    {
        switch (action)
        {
            case PushVlanAction:
                if (inner)
                    return "actions are invalid with specified match (OFPBAC_BAD_TAG): the packet already has two VLAN tags here, the most OVS keeps";
                inner = outer;
                outer = true;
                return null;
            case SimpleAction { Kind: ActionKind.PopVlan }:
                outer = inner;
                inner = false;
                return null;
            case SetFieldAction sf when sf.Destination.Field.Id == FieldId.VlanTci:
                if (VlanFieldViews.IsView(sf.Destination))
                {
                    return outer ? null
                        : $"actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT): set_field {(VlanFieldViews.IsPcp(sf.Destination) ? "vlan_pcp" : "vlan_vid")} lacks correct prerequisites (a VLAN tag: vlan_tci=0x1000/0x1000, or an earlier push_vlan)";
                }
                outer = sf.Syntax == SetFieldSyntax.Mod || ((sf.Value << sf.Destination.Start) & VlanTag.Cfi) != 0;
                return null;
            default:
                return null;
        }
    }

    // check_PUSH_MPLS / check_POP_MPLS: the actions after them see the new dl_type; after a push nothing is known
    // of the network protocol (nw_proto wildcarded), so L3 writes after push_mpls are inconsistent with the match.
    private static Match AfterMpls(Match match, MplsAction mpls)
    {
        var b = new MatchBuilder(match).Set(FieldId.EthType, mpls.EtherType);
        if (mpls.Kind == ActionKind.PushMpls)
            b.Set(FieldId.NwProto, 0, 0);
        return b.Build();
    }

    private static string? CheckOne(FlowAction action, Match match)
    {
        switch (action)
        {
            case SetFieldAction sf:
                return Prerequisites.Check(match, sf.Destination.Field);
            case MoveAction mv:
                return Prerequisites.Check(match, mv.Source.Field) ?? Prerequisites.Check(match, mv.Destination.Field);
            case OutputAction { Source: { } src }:
                return Prerequisites.Check(match, src.Field);
            case BundleAction { Destination: { } bd }:
                return Prerequisites.Check(match, bd.Field);
            case MultipathAction mp:
                return Prerequisites.Check(match, mp.Destination.Field);
            case LearnAction learn:
                return learn.Check(match);
            case ResubmitAction { WithCt: true } when !IsCtValid(match):
                return "actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT): resubmit(...,ct) needs a match on a valid connection (ct_state with +new, +est, +rel, +rpl, +snat or +dnat, or +trk-inv)";
            case NestedActions nested:
                foreach (var inner in nested.Actions.Items)
                {
                    if (CheckOne(inner, match) is { } ie)
                        return ie;
                }
                return null;
            case CtAction ct:
                {
                    string? ip = Prerequisites.Check(match, FieldRegistry.Get(FieldId.NwProto));
                    if (ip is not null)
                        return "ct needs a match on ip or ipv6 (" + ip + ")";
                    // OVS check_NAT: an IPv4 range needs a match on ip (eth_type 0x0800), an IPv6 range one on ipv6
                    // (0x86dd), not only on ip or ipv6.
                    if (ct.Nat is { HasAddress: true } nat
                        && ((match.GetMask(FieldId.EthType) & 0xffff) != 0xffff | match.GetValue(FieldId.EthType) != (nat.IsIpv6 ? 0x86ddu : 0x0800u)))
                        return "actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT): " + (nat.IsIpv6 ? "an IPv6 nat range needs a match on ipv6" : "an IPv4 nat range needs a match on ip");
                    if (ct.ZoneSource is { } z && Prerequisites.Check(match, z.Field) is { } ze)
                        return ze;
                    foreach (var e in ct.Exec)
                    {
                        if (CheckOne(e, match) is { } ee)
                            return ee;
                    }
                    return null;
                }
            default:
                return null;
        }
    }

    // OVS's is_ct_valid on a match: one of the bits that imply a valid connection, or +trk with an explicit -inv.
    private static bool IsCtValid(Match match)
    {
        uint v = (uint)match.GetValue(FieldId.CtState), m = (uint)match.GetMask(FieldId.CtState);
        uint valid = (uint)(CtStateFlags.New | CtStateFlags.Established | CtStateFlags.Related | CtStateFlags.Reply | CtStateFlags.SrcNat | CtStateFlags.DstNat);
        return (v & valid) != 0
            || ((v & (uint)CtStateFlags.Tracked) != 0 && (m & (uint)CtStateFlags.Invalid) != 0 && (v & (uint)CtStateFlags.Invalid) == 0);
    }
}
