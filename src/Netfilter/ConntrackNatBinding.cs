using Datapath.Conntrack;
using Datapath.Packets;

namespace Datapath.Netfilter;

/// <summary>
/// Binds the netfilter engine to Datapath.Conntrack's <see cref="ConnectionTracker"/> through its kernel-style
/// API (NfLookup / NfSetupNat / NfApplyNat / NfConfirm) in one zone: the host's default zone 0, not OVS's 65520.
/// Fills the key's ct fields as <c>-m conntrack</c> reads them and turns NAT targets into the tracker's NatSpec.
/// </summary>
public sealed class ConntrackNatBinding : INatConntrack
{
    public ConntrackNatBinding(ConnectionTracker tracker, ushort zone = 0)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        Tracker = tracker;
        Zone = zone;
    }

    public ConnectionTracker Tracker { get; }

    public ushort Zone { get; }

    public void Track(ref NetfilterPacket packet)
    {
        ref var key = ref packet.Key;
        var ct = Tracker.NfLookup(ref key, packet.Frame, Zone, packet.NowMs);
        packet.Connection = ct;
        Describe(ref packet, ct);
    }

    private static void Describe(ref NetfilterPacket packet, in NfConntrack ct)
    {
        ref var key = ref packet.Key;
        if (!ct.HasConnection)
        {
            key.CtState = (uint)(CtStateFlags.Tracked | CtStateFlags.Invalid);
            packet.CtStatus = CtStatusFlags.None;
            return;
        }
        var state = CtStateFlags.Tracked | ct.State switch
        {
            NfCtState.New => CtStateFlags.New,
            NfCtState.Established => CtStateFlags.Established,
            NfCtState.Related => CtStateFlags.Related,
            _ => CtStateFlags.Invalid,
        };
        if (ct.IsReply)
            state |= CtStateFlags.Reply;
        state |= ct.NatStatus & (CtStateFlags.SrcNat | CtStateFlags.DstNat);
        key.CtState = (uint)state;
        var orig = ct.Original;
        key.CtNwProto = orig.NwProto;
        key.CtNwSrc = orig.Src4.Value;
        key.CtNwDst = orig.Dst4.Value;
        key.CtTpSrc = orig.SrcPort;
        key.CtTpDst = orig.DstPort;
        key.CtMark = ct.Mark;
        key.CtZone = ct.Zone;
        var reply = ct.Reply;
        packet.CtReplyNwSrc = reply.Src4.Value;
        packet.CtReplyNwDst = reply.Dst4.Value;
        packet.CtReplyTpSrc = reply.SrcPort;
        packet.CtReplyTpDst = reply.DstPort;
        var status = CtStatusFlags.None;
        if (ct.IsConfirmed)
            status |= CtStatusFlags.Confirmed;
        if (ct.IsReply || ct.State == NfCtState.Established)
            status |= CtStatusFlags.SeenReply;
        packet.CtStatus = status;
    }

    public bool NeedsNatDecision(ref NetfilterPacket packet, NatManip manip)
    {
        var ct = packet.Connection;
        return ct.HasConnection && ct.State == NfCtState.New && !ct.IsConfirmed;
    }

    public bool SetupNat(ref NetfilterPacket packet, NatManip manip, NatRange? range)
    {
        if (range is not { } r)
            return true; // null binding: the connection keeps its tuple
        ref var key = ref packet.Key;
        bool dst = manip == NatManip.Destination;
        uint lo = r.MapsAddress ? r.MinAddress : dst ? key.NwDst : key.NwSrc;
        uint hi = r.MapsAddress ? r.MaxAddress : lo;
        var flags = NatFlags.None;
        if ((r.Flags & (NatRangeFlags.ProtoRandom | NatRangeFlags.ProtoRandomFully)) != 0)
            flags |= NatFlags.Random;
        if ((r.Flags & NatRangeFlags.Persistent) != 0)
            flags |= NatFlags.Persistent;
        ushort minPort = r.MapsPort ? r.MinPort : (ushort)0, maxPort = r.MapsPort ? r.MaxPort : (ushort)0;
        if (!r.MapsPort && !dst && (flags & NatFlags.Random) != 0
            && key.NwProto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp)
        {
            // --random/--random-fully (NF_NAT_RANGE_PROTO_RANDOM_ALL) never keep the source port: the kernel's
            // nf_nat_l4proto_unique_tuple draws from the port's class, 1-511, 600-1023 or 1024-65535.
            (minPort, maxPort) = key.TpSrc switch
            {
                < 512 => ((ushort)1, (ushort)511),
                < 1024 => ((ushort)600, (ushort)1023),
                _ => ((ushort)1024, (ushort)65535),
            };
        }
        var spec = new NatSpec(dst ? NatKind.Dnat : NatKind.Snat, new Ipv4Address(lo), new Ipv4Address(hi), minPort, maxPort, flags);
        if (!Tracker.NfSetupNat(packet.Connection, spec, packet.NowMs))
            return false;
        // nf_nat_setup_info sets IPS_SRC_NAT/IPS_DST_NAT on the connection at once: --ctstate SNAT/DNAT in a
        // later hook of this same first packet (mangle POSTROUTING after nat OUTPUT's DNAT) sees it.
        key.CtState |= (uint)(packet.Connection.NatStatus & (CtStateFlags.SrcNat | CtStateFlags.DstNat));
        return true;
    }

    public void ApplyNat(ref NetfilterPacket packet, NatManip manip)
        => Tracker.NfApplyNat(packet.Connection, ref packet.Key, packet.Frame, manip);

    public bool Confirm(ref NetfilterPacket packet)
    {
        var ct = packet.Connection;
        if (!ct.HasConnection)
            return true; // untracked packets pass unconfirmed, as the kernel lets INVALID through
        if (!Tracker.NfConfirm(ct, packet.NowMs, out var confirmed))
            return false;
        packet.Connection = confirmed;
        return true;
    }
}
