using System.Globalization;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

// The MPLS actions, parsed as ovs-ofctl 3.1 parses them (ofp-actions.c parse_PUSH_MPLS, parse_SET_MPLS_LABEL...) with
// the switch's decoder check (a push_mpls EtherType must be an MPLS one: OFPBAC_BAD_ARGUMENT).
public static partial class ActionParser
{
    private static MplsAction ParsePushPopMpls(string keyword, string arg, int offset, bool push)
    {
        uint v = ParseUInt32(arg, offset, keyword);
        if (v > ushort.MaxValue)
            throw Error($"invalid {keyword} \"{arg}\"", offset);
        if (push && !EtherTypes.IsMpls((ushort)v))
            throw Error($"push_mpls: 0x{v:x4} is not an MPLS EtherType (OFPBAC_BAD_ARGUMENT)", offset, "push_mpls takes 0x8847 (mpls) or 0x8848 (mplsm)");
        return push ? MplsAction.Push((ushort)v) : MplsAction.Pop((ushort)v);
    }

    private static MplsAction ParseSetMpls(string keyword, string arg, int offset, FieldId field)
    {
        if (arg.Length == 0)
            throw Error($"{keyword}: expected {(field == FieldId.MplsLabel ? "label" : field == FieldId.MplsTc ? "tc" : "ttl")}.", offset);
        switch (field)
        {
            case FieldId.MplsLabel:
                {
                    uint label = uint.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out uint l) ? l : throw Error($"invalid numeric format {arg}", offset);
                    return label > 0xfffff ? throw Error($"{arg}: not a valid MPLS label", offset) : MplsAction.Set(field, label);
                }
            case FieldId.MplsTc:
                {
                    uint tc = byte.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out byte t) ? t : throw Error($"invalid MPLS TC \"{arg}\"", offset);
                    return tc > 7 ? throw Error($"{arg}: not a valid MPLS TC", offset) : MplsAction.Set(field, tc);
                }
            default:
                return byte.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out byte ttl)
                    ? MplsAction.Set(field, ttl)
                    : throw Error($"invalid MPLS TTL \"{arg}\"", offset);
        }
    }
}
