using Datapath.Conntrack;
namespace Datapath.Netfilter;

/// <summary>
/// The seam between the netfilter engine and a connection tracker (the kernel's default zone, not OVS's
/// 65520). The engine calls it at the kernel's places: <see cref="Track"/> at the conntrack hook
/// (PREROUTING and OUTPUT, priority -200), the NAT methods at the nat hooks (DNAT -100 at PREROUTING/OUTPUT,
/// SNAT +100 at POSTROUTING/INPUT), <see cref="Confirm"/> last at POSTROUTING and INPUT.
/// <see cref="ConntrackNatBinding"/> implements it over Datapath.Conntrack's ConnectionTracker.
/// </summary>
public interface INatConntrack
{
    /// <summary>
    /// Finds the packet's connection or starts an unconfirmed one; sets <see cref="NetfilterPacket.Connection"/>,
    /// <see cref="NetfilterPacket.CtStatus"/> and the key's CtState (trk plus new/est/rel/inv, rpl, snat/dnat),
    /// CtNwSrc/CtNwDst/CtTpSrc/CtTpDst/CtNwProto (the original direction) and CtMark.
    /// </summary>
    void Track(ref NetfilterPacket packet);

    /// <summary>True when the nat table must decide <paramref name="manip"/> for this packet: the first packet
    /// of a connection whose binding for that manip is not set up yet (nf_nat_initialized is false).</summary>
    bool NeedsNatDecision(ref NetfilterPacket packet, NatManip manip);

    /// <summary>Records the nat table's decision on the (unconfirmed) connection: a range, or null for the
    /// identity ("null binding") when no NAT rule matched. Chooses a unique tuple (nf_nat_setup_info).</summary>
    /// <returns>False when no tuple is free (the kernel drops the packet).</returns>
    bool SetupNat(ref NetfilterPacket packet, NatManip manip, NatRange? range);

    /// <summary>Rewrites the packet (key and frame, checksums fixed) by the connection's binding for
    /// <paramref name="manip"/> in the packet's direction: a reply has the inverse applied (nf_nat_packet).</summary>
    void ApplyNat(ref NetfilterPacket packet, NatManip manip);

    /// <summary>Inserts a new connection with its bindings into the table (__nf_conntrack_confirm).</summary>
    /// <returns>False — drop the packet — when the table is full or another connection took its tuples.</returns>
    bool Confirm(ref NetfilterPacket packet);
}
