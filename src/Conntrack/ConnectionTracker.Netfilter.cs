using Datapath.Packets;

namespace Datapath.Conntrack;

// Netfilter API: kernel semantics for the host stack's iptables.
//
// The kernel tracks every packet at the first hook (nf_conntrack_in): an existing connection
// is found from either direction and its protocol state updated; a new one is allocated but
// not yet in the table ("unconfirmed"). The nat table's chains run only for a connection's
// first packet: DNAT in PREROUTING/OUTPUT and SNAT/MASQUERADE in POSTROUTING/INPUT set up
// bindings on the unconfirmed connection (nf_nat_setup_info: each picks a tuple no confirmed
// connection uses). Every packet then gets its connection's translation for the hook's half
// (NF_NAT_MANIP_DST before routing, NF_NAT_MANIP_SRC after), reversed on replies. At the last
// hook the connection is confirmed: inserted, unless a connection with either tuple appeared
// meanwhile (then the packet is dropped, as the kernel does on a clash it cannot resolve) or
// the table or zone is full.
//
// The netfilter helper calls, per packet:
//   var ct = tracker.NfLookup(ref key, frame, zone, now);         // --ctstate, --ctorigdst
//   if (ct.State == NfCtState.New && !ct.IsConfirmed)               // nat PREROUTING rules
//       tracker.NfSetupNat(ct, NatSpec.Dnat(backend, 80), now);     //   -j DNAT --to-destination
//   tracker.NfApplyNat(ct, ref key, frame, NatManip.Destination);   // then route, filter
//   if (!ct.IsConfirmed) tracker.NfSetupNat(ct, masqueradeSpec, now); // nat POSTROUTING: MASQUERADE
//   tracker.NfApplyNat(ct, ref key, frame, NatManip.Source);
//   tracker.NfSetMark(ct, mark, mask);                              // -j CONNMARK
//   if (!tracker.NfConfirm(ct, now, out ct)) drop;
// Timeouts follow the zone's policy (give the host zone TimeoutPolicy.KubeProxy or LinuxDefaults).
public sealed partial class ConnectionTracker
{
    /// <summary>
    /// Tracks a packet as nf_conntrack_in does: its connection (existing, or a new unconfirmed one
    /// for a valid first packet), state and direction. Updates the protocol state of existing
    /// connections. Never throws on packet contents.
    /// </summary>
    public NfConntrack NfLookup(ref FlowKey key, ReadOnlySpan<byte> frame, ushort zone, long nowMs)
    {
        var failure = ConnKeyExtractor.TryExtract(key, frame, zone, out var ck, out bool related);
        if (failure != ExtractFailure.None)
        {
            Interlocked.Increment(ref Counters._invalid);
            return default;
        }
        ulong hash = _table.Hash(ck);
        var conn = FindLive(ck, hash, nowMs, out bool reply);
        if (related)
        {
            if (conn is null)
            {
                Interlocked.Increment(ref Counters._invalid);
                return default;
            }
            return new NfConntrack(conn, NfCtState.Related, reply, isConfirmed: true);
        }

        TcpSegment seg = default;
        if (ck.NwProto == IpProtocols.Tcp && !TcpSegment.TryRead(frame, key, out seg))
        {
            Interlocked.Increment(ref Counters._invalid);
            return default;
        }

        if (conn is not null)
        {
            var res = Update(conn, seg, reply, nowMs);
            switch (res)
            {
                case CtUpdate.Invalid:
                    Interlocked.Increment(ref Counters._invalid);
                    return new NfConntrack(conn, NfCtState.Invalid, reply, isConfirmed: true);
                case CtUpdate.New:
                    RemoveConnection(conn);
                    break;
                default:
                    var state = reply || SeenReply(conn) ? NfCtState.Established : NfCtState.New;
                    return new NfConntrack(conn, state, reply, isConfirmed: true);
            }
        }

        if (!ValidNew(ck, seg))
        {
            Interlocked.Increment(ref Counters._invalid);
            return default;
        }
        return new NfConntrack(NewConnection(ck, seg, nowMs), NfCtState.New, isReply: false, isConfirmed: false);
    }

    /// <summary>Did the connection see a packet in the reply direction (IPS_SEEN_REPLY)?</summary>
    private static bool SeenReply(Connection c) => c.NwProto switch
    {
        IpProtocols.Tcp => c.Peer1.State != PeerState.Closed,
        IpProtocols.Icmp or IpProtocols.Icmpv6 => c.L4State == Connection.IcmpReplied,
        _ => c.L4State == Connection.OtherBidir,
    };

    /// <summary>
    /// Binds an unconfirmed connection to a NAT range (DNAT: <see cref="NatKind.Dnat"/>; SNAT and
    /// MASQUERADE: <see cref="NatKind.Snat"/> with the outgoing interface's address), on top of a
    /// binding already made. Picks a tuple no connection uses. Returns false when none is free
    /// (the kernel drops the packet) or when the connection is already confirmed.
    /// </summary>
    public bool NfSetupNat(in NfConntrack ct, NatSpec nat, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(nat);
        if (ct.Connection is not { } c || ct.IsConfirmed || nat.Kind == NatKind.ApplyExisting)
            return false;
        lock (_writeLock)
        {
            if (TrySelectNatUnsynchronized(c, nat, nowMs, linuxSemantics: true))
                return true;
        }
        Interlocked.Increment(ref Counters._natExhausted);
        return false;
    }

    /// <summary>Rewrites the packet's <paramref name="manip"/> half as its connection's bindings say,
    /// reversed for replies (nf_nat_packet). ICMP errors get their embedded header translated too
    /// (at <see cref="NatManip.Destination"/>). Does nothing for connections without NAT.</summary>
    public void NfApplyNat(in NfConntrack ct, ref FlowKey key, Span<byte> frame, NatManip manip)
    {
        if (ct.Connection is not { } c || c.NatAction == 0)
            return;
        if (ct.State == NfCtState.Related)
        {
            if (manip == NatManip.Destination)
            {
                CtStateFlags ignored = 0;
                ApplyNatRelated(c, ct.IsReply, ref key, frame, ref ignored);
            }
            return;
        }
        // The half this hook rewrites changes only if the connection has that translation: a
        // source manip changes an original packet under SNAT and a reply under DNAT, and
        // the reverse for a destination manip (so DNAT-only connections skip POSTROUTING's rewrite).
        var needed = (manip == NatManip.Source) != ct.IsReply ? CtStateFlags.SrcNat : CtStateFlags.DstNat;
        if ((c.NatAction & (byte)needed) == 0)
            return;
        var target = ct.IsReply ? c.Orig.Reverse() : c.Reply.Reverse();
        RewriteTo(target, ref key, frame, source: manip == NatManip.Source, destination: manip == NatManip.Destination);
    }

    /// <summary>Sets the connection mark under a mask (CONNMARK --set-xmark); works before and after confirmation.</summary>
    public static void NfSetMark(in NfConntrack ct, uint mark, uint mask)
    {
        if (ct.Connection is { } c)
            SetMarkAndLabel(c, mark, mask, 0, 0);
    }

    /// <summary>
    /// Inserts an unconfirmed connection (__nf_conntrack_confirm). Returns false — drop the packet —
    /// when the table or zone is full or another connection took one of its tuples meanwhile. A
    /// confirmed connection returns true unchanged. <paramref name="confirmed"/> is the handle to keep.
    /// </summary>
    public bool NfConfirm(in NfConntrack ct, long nowMs, out NfConntrack confirmed)
    {
        confirmed = ct;
        if (ct.Connection is not { } c)
            return false;
        if (ct.IsConfirmed)
            return true;
        var hash = _table.Hash(c.Orig);
        lock (_writeLock)
        {
            var existing = FindLiveUnsynchronized(c.Orig, hash, nowMs, out _);
            if (existing is not null)
            {
                // Same flow confirmed by another packet first: fine if it made the same choices.
                if (existing.Orig == c.Orig && existing.Reply == c.Reply)
                {
                    confirmed = new NfConntrack(existing, ct.State, ct.IsReply, isConfirmed: true);
                    return true;
                }
                Interlocked.Increment(ref Counters._insertConflict);
                return false;
            }
            if (FindLiveUnsynchronized(c.Reply, _table.Hash(c.Reply), nowMs, out _) is not null)
            {
                Interlocked.Increment(ref Counters._insertConflict);
                return false;
            }
            if (!HasRoomUnsynchronized(c.Zone, nowMs))
                return false;
            SetExpiration(c, nowMs + _policies[c.Zone].GetMs(c.TimeoutAttr));
            InsertUnsynchronized(c, hash);
        }
        confirmed = new NfConntrack(c, ct.State, ct.IsReply, isConfirmed: true);
        return true;
    }
}
