using Datapath.Packets;

namespace Datapath.Netfilter.Matches;

/// <summary>
/// <c>-m conntrack</c> (xt_conntrack v3) and its ancestor <c>-m state --state</c>: --ctstate, --ctproto,
/// --ctorigsrc/--ctorigdst/--ctreplsrc/--ctrepldst addr[/mask], --ctorigsrcport/--ctorigdstport/
/// --ctreplsrcport/--ctrepldstport a[:b], --ctstatus, --ctdir, each with <c>!</c>. The state comes from the
/// key's CtState as the conntrack binding set it; an untracked key (no +trk) is INVALID, as a packet the
/// kernel could not track.
/// </summary>
public sealed class ConntrackMatch : XtMatch
{
    internal ConntrackMatch(string name) => Name = name;

    public override string Name { get; }

    internal ConntrackStates States;
    internal bool StatesInvert;
    internal bool HasStates;
    internal byte CtProto;
    internal bool HasCtProto;
    internal bool CtProtoInvert;
    internal AddressTest OrigSrc, OrigDst, ReplSrc, ReplDst;
    internal PortTest OrigSrcPort, OrigDstPort, ReplSrcPort, ReplDstPort;
    internal CtStatusFlags Status;
    internal bool HasStatus;
    internal bool StatusInvert;
    /// <summary>0 = no --ctdir, 1 = ORIGINAL, 2 = REPLY.</summary>
    internal byte Direction;
    internal bool DirectionInvert;

    internal readonly record struct AddressTest(bool IsSet, uint Address, uint Mask, bool Invert)
    {
        public bool Passes(uint a) => !IsSet || (((a & Mask) == Address) ^ Invert);
    }

    internal readonly record struct PortTest(bool IsSet, PortRange Range, bool Invert)
    {
        public bool Passes(ushort p) => !IsSet || (Range.Contains(p) ^ Invert);
    }

    public static ConntrackStates StatesOf(in FlowKey key)
    {
        var ct = (CtStateFlags)key.CtState;
        if ((ct & CtStateFlags.Tracked) == 0 || (ct & CtStateFlags.Invalid) != 0)
            return ConntrackStates.Invalid;
        ConntrackStates s = ConntrackStates.None;
        if ((ct & CtStateFlags.New) != 0)
            s |= ConntrackStates.New;
        if ((ct & CtStateFlags.Established) != 0)
            s |= ConntrackStates.Established;
        if ((ct & CtStateFlags.Related) != 0)
            s |= ConntrackStates.Related;
        if ((ct & CtStateFlags.SrcNat) != 0)
            s |= ConntrackStates.Snat;
        if ((ct & CtStateFlags.DstNat) != 0)
            s |= ConntrackStates.Dnat;
        return s;
    }

    internal override bool Matches(ref NetfilterPacket packet, NetfilterEngine engine)
    {
        ref var key = ref packet.Key;
        if (HasStates && (((StatesOf(key) & States) != 0) == StatesInvert))
            return false;
        bool tracked = (key.CtState & (uint)CtStateFlags.Tracked) != 0;
        if (HasCtProto && ((tracked && key.CtNwProto == CtProto) == CtProtoInvert))
            return false;
        if (!OrigSrc.Passes(key.CtNwSrc) || !OrigDst.Passes(key.CtNwDst)
            || !ReplSrc.Passes(packet.CtReplyNwSrc) || !ReplDst.Passes(packet.CtReplyNwDst))
            return false;
        if (!OrigSrcPort.Passes(key.CtTpSrc) || !OrigDstPort.Passes(key.CtTpDst)
            || !ReplSrcPort.Passes(packet.CtReplyTpSrc) || !ReplDstPort.Passes(packet.CtReplyTpDst))
            return false;
        if (HasStatus && (((packet.CtStatus & Status) != 0) == StatusInvert))
            return false;
        if (Direction != 0)
        {
            bool reply = (key.CtState & (uint)CtStateFlags.Reply) != 0;
            if (((Direction == 2) == reply) == DirectionInvert)
                return false;
        }
        return true;
    }

    internal static bool TryParseStates(string text, out ConntrackStates states)
    {
        states = ConntrackStates.None;
        foreach (var part in text.Split(','))
        {
            var s = part.ToUpperInvariant() switch
            {
                "INVALID" => ConntrackStates.Invalid,
                "NEW" => ConntrackStates.New,
                "ESTABLISHED" => ConntrackStates.Established,
                "RELATED" => ConntrackStates.Related,
                "UNTRACKED" => ConntrackStates.Untracked,
                "SNAT" => ConntrackStates.Snat,
                "DNAT" => ConntrackStates.Dnat,
                _ => ConntrackStates.None,
            };
            if (s == ConntrackStates.None)
                return false;
            states |= s;
        }
        return true;
    }

    internal static bool TryParseStatus(string text, out CtStatusFlags status)
    {
        status = CtStatusFlags.None;
        foreach (var part in text.Split(','))
        {
            switch (part.ToUpperInvariant())
            {
                case "NONE":
                    break;
                case "EXPECTED":
                    status |= CtStatusFlags.Expected;
                    break;
                case "SEEN_REPLY":
                    status |= CtStatusFlags.SeenReply;
                    break;
                case "ASSURED":
                    status |= CtStatusFlags.Assured;
                    break;
                case "CONFIRMED":
                    status |= CtStatusFlags.Confirmed;
                    break;
                default:
                    return false;
            }
        }
        return true;
    }
}
