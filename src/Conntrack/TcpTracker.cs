using Datapath.Packets;

namespace Datapath.Conntrack;

/// <summary>What a protocol tracker concluded about a packet of an existing connection (OVS's ct_update_res).</summary>
internal enum CtUpdate : byte
{
    /// <summary>Fits the connection; refresh its timeout.</summary>
    Valid,
    /// <summary>Accepted by pf's loose branch (shotgun SYNs, pickups, funky closes): no timeout refresh.</summary>
    ValidNoRefresh,
    /// <summary>Still "new" in OVS's sense (a second packet one way before any reply, for UDP/other).</summary>
    ValidNew,
    /// <summary>Does not fit: +inv.</summary>
    Invalid,
    /// <summary>A SYN on a fully closed connection: the old one ends and a new one starts.</summary>
    New,
}

/// <summary>
/// TCP tracking as OVS's userspace conntrack does it (lib/conntrack-tcp.c), which is OpenBSD pf's
/// sequence-window algorithm (Guido van Rooij, "Real Stateful TCP Packet Filtering in IP Filter"):
/// each peer keeps the lowest and highest sequence numbers it may send and its largest window;
/// a segment is accepted if it lies within the receiver's window, does not acknowledge data not
/// yet sent (ack skew), and a RST hits the expected sequence number.
/// </summary>
/// <remarks>Our own implementation of the documented algorithm; caller holds the connection's lock (Connection.Lock).</remarks>
internal static class TcpTracker
{
    private const ushort Fin = (ushort)TcpFlags.Fin;
    private const ushort Syn = (ushort)TcpFlags.Syn;
    private const ushort Rst = (ushort)TcpFlags.Rst;
    private const ushort Psh = (ushort)TcpFlags.Psh;
    private const ushort Ack = (ushort)TcpFlags.Ack;
    private const ushort Urg = (ushort)TcpFlags.Urg;

    /// <summary>"1500 is an arbitrary fudge factor" on top of the largest unscaled window (pf).</summary>
    private const int MaxAckWindow = 0xffff + 1500;

    /// <summary>SYN with FIN or RST; neither SYN, ACK nor RST; FIN, PSH or URG without ACK (pf_normalize_tcp).</summary>
    public static bool InvalidFlags(ushort flags)
    {
        if ((flags & Syn) != 0)
        {
            if ((flags & (Rst | Fin)) != 0)
                return true;
        }
        else if ((flags & (Ack | Rst)) == 0)
        {
            return true;
        }
        return (flags & Ack) == 0 && (flags & (Fin | Psh | Urg)) != 0;
    }

    /// <summary>May this segment create a connection? Not with invalid flags, never a SYN+ACK
    /// (only new connections or established ones picked up mid-stream, never half-open ones);
    /// a non-SYN only when <paramref name="loose"/>.</summary>
    public static bool ValidNew(ushort flags, bool loose)
    {
        if (InvalidFlags(flags))
            return false;
        if ((flags & (Syn | Ack)) == (Syn | Ack))
            return false;
        return loose || (flags & Syn) != 0;
    }

    /// <summary>Initializes the peers from the first segment (pf's tcp_new_conn).</summary>
    public static void Init(Connection c, in TcpSegment seg)
    {
        ref var src = ref c.Peer0;
        ref var dst = ref c.Peer1;
        src.SeqLo = seg.Seq;
        src.SeqHi = seg.Seq + seg.PayloadLength + 1;
        if ((seg.Flags & Syn) != 0)
        {
            src.SeqHi++;
            src.Wscale = seg.GetWscale();
        }
        else
        {
            src.Wscale = TcpPeer.WscaleUnknown;
            dst.Wscale = TcpPeer.WscaleUnknown;
        }
        uint maxWin = Math.Max(seg.Window, (ushort)1);
        if ((src.Wscale & TcpPeer.WscaleMask) != 0)
        {
            int sws = src.Wscale & TcpPeer.WscaleMask;
            maxWin = (maxWin + (1u << sws) - 1) >> sws;
        }
        src.MaxWindow = (ushort)maxWin;
        if ((seg.Flags & Fin) != 0)
            src.SeqHi++;
        dst.SeqHi = 1;
        dst.MaxWindow = 1;
        src.State = PeerState.SynSent;
        dst.State = PeerState.Closed;
    }

    /// <summary>Checks a segment of an existing connection against the windows and moves the states (pf's tcp_conn_update).</summary>
    public static CtUpdate Update(Connection c, in TcpSegment seg, bool reply, bool beLiberal)
    {
        ref var src = ref reply ? ref c.Peer1 : ref c.Peer0;
        ref var dst = ref reply ? ref c.Peer0 : ref c.Peer1;
        ushort flags = seg.Flags;

        if (InvalidFlags(flags))
            return CtUpdate.Invalid;

        if ((flags & (Syn | Ack)) == Syn)
        {
            if (dst.State >= PeerState.FinWait2 && src.State >= PeerState.FinWait2)
            {
                src.State = dst.State = PeerState.Closed;
                return CtUpdate.New;
            }
            if (src.State <= PeerState.SynSent)
            {
                // A SYN again from an end that has sent only SYNs (a retransmission, or the same SYN in a
                // second ct() of the pipeline): still a new connection (conntrack-tcp.c, CT_UPDATE_VALID_NEW).
                src.State = PeerState.SynSent;
                return CtUpdate.ValidNew;
            }
        }

        int sws = 0, dws = 0;
        if ((src.Wscale & TcpPeer.WscaleFlag) != 0 && (dst.Wscale & TcpPeer.WscaleFlag) != 0 && (flags & Syn) == 0)
        {
            sws = src.Wscale & TcpPeer.WscaleMask;
            dws = dst.Wscale & TcpPeer.WscaleMask;
        }
        else if ((src.Wscale & TcpPeer.WscaleUnknown) != 0 && (dst.Wscale & TcpPeer.WscaleUnknown) != 0 && (flags & Syn) == 0)
        {
            sws = dws = TcpPeer.MaxWscale;
        }

        uint win = seg.Window;
        uint seq = seg.Seq, origSeq = seg.Seq;
        uint ack = seg.Ack;
        uint end;
        bool checkAckSkew = true;

        if (src.State < PeerState.SynSent)
        {
            // First segment from this end.
            end = seq + seg.PayloadLength;
            if ((flags & Syn) != 0)
            {
                end++;
                if ((dst.Wscale & TcpPeer.WscaleFlag) != 0)
                {
                    src.Wscale = seg.GetWscale();
                    if ((src.Wscale & TcpPeer.WscaleFlag) != 0)
                    {
                        sws = src.Wscale & TcpPeer.WscaleMask;
                        win = (win + (1u << sws) - 1) >> sws;
                        dws = dst.Wscale & TcpPeer.WscaleMask;
                    }
                    else
                    {
                        // The other end offered scaling and this one declined: undo it.
                        dst.MaxWindow = (ushort)Math.Min(0xffff, dst.MaxWindow << (dst.Wscale & TcpPeer.WscaleMask));
                        dst.Wscale = 0;
                    }
                }
            }
            if ((flags & Fin) != 0)
                end++;

            src.SeqLo = seq;
            src.State = PeerState.SynSent;
            uint room = Math.Max(1u, (uint)dst.MaxWindow << dws);
            if (src.SeqHi == 1 || SeqGeq(end + room, src.SeqHi))
            {
                src.SeqHi = end + room;
                // A pickup or a new connection: be lenient with the ack skew.
                checkAckSkew = false;
            }
            if (win > src.MaxWindow)
                src.MaxWindow = (ushort)Math.Min(win, 0xffffu);
        }
        else
        {
            end = seq + seg.PayloadLength;
            if ((flags & Syn) != 0)
                end++;
            if ((flags & Fin) != 0)
                end++;
        }

        if ((flags & Ack) == 0)
            ack = dst.SeqLo; // let it pass the ack skew check
        else if (ack == 0 && (flags & (Ack | Rst)) == (Ack | Rst))
            ack = dst.SeqLo; // broken stacks send RST|ACK with ack 0

        if (seq == end)
        {
            // No data: ease the sequencing restrictions.
            seq = src.SeqLo;
            end = seq;
        }

        int ackSkew = checkAckSkew ? (int)(dst.SeqLo - ack) : 0;
        uint dstWindow = (uint)dst.MaxWindow << dws;
        bool inWindow =
            SeqGeq(src.SeqHi, end)                                   // last octet inside the other's window
            && SeqGeq(seq, src.SeqLo - dstWindow)                    // retransmission: at most one window back
            && ackSkew >= -MaxAckWindow                              // acking at most one fragment backwards
            && ackSkew <= (MaxAckWindow << sws)                      // acking at most one window forward
            && ((flags & Rst) == 0 || origSeq == src.SeqLo || origSeq == src.SeqLo + 1 || origSeq + 1 == src.SeqLo);

        if (inWindow || beLiberal)
        {
            Advance(ref src, ref dst, win, sws, end, ack);
            if ((flags & Syn) != 0 && src.State < PeerState.SynSent)
                src.State = PeerState.SynSent;
            if ((flags & Fin) != 0 && src.State < PeerState.Closing)
                src.State = PeerState.Closing;
            if ((flags & Ack) != 0)
            {
                if (dst.State == PeerState.SynSent)
                    dst.State = PeerState.Established;
                else if (dst.State == PeerState.Closing)
                    dst.State = PeerState.FinWait2;
            }
            if ((flags & Rst) != 0)
            {
                src.State = dst.State = PeerState.TimeWait;
                c.L4State |= Connection.TcpResetSeen;
            }
            return CtUpdate.Valid;
        }

        if ((dst.State < PeerState.SynSent || dst.State >= PeerState.FinWait2 || src.State >= PeerState.FinWait2)
            && SeqGeq(src.SeqHi + MaxAckWindow, end)    // within a window forward of the originating packet
            && SeqGeq(seq, src.SeqLo - MaxAckWindow))   // within a window backward
        {
            // pf: shotgunned SYNs before the peer replies, a connection picked up after the state was
            // lost, funky packets right after a close. Accept, but do not refresh the timeout.
            Advance(ref src, ref dst, win, sws, end, ack);
            if ((flags & Fin) != 0 && src.State < PeerState.Closing)
                src.State = PeerState.Closing;
            if ((flags & Rst) != 0)
            {
                src.State = dst.State = PeerState.TimeWait;
                c.L4State |= Connection.TcpResetSeen;
            }
            return CtUpdate.ValidNoRefresh;
        }

        return CtUpdate.Invalid;
    }

    private static void Advance(ref TcpPeer src, ref TcpPeer dst, uint win, int sws, uint end, uint ack)
    {
        if (src.MaxWindow < win)
            src.MaxWindow = (ushort)Math.Min(win, 0xffffu);
        if (SeqGt(end, src.SeqLo))
            src.SeqLo = end;
        uint scaled = win << sws;
        if (SeqGeq(ack + scaled, dst.SeqHi))
            dst.SeqHi = ack + Math.Max(scaled, 1u);
    }

    /// <summary>The timeout attribute for the connection's current state under <paramref name="mapping"/>.</summary>
    public static CtTimeoutAttr TimeoutAttr(Connection c, TimeoutMapping mapping)
    {
        if (mapping == TimeoutMapping.LinuxKernel)
        {
            return c.GetTcpState() switch
            {
                TcpState.SynSent => CtTimeoutAttr.TcpSynSent,
                TcpState.SynRecv => CtTimeoutAttr.TcpSynRecv,
                TcpState.Established => CtTimeoutAttr.TcpEstablished,
                TcpState.FinWait => CtTimeoutAttr.TcpFinWait,
                TcpState.CloseWait => CtTimeoutAttr.TcpCloseWait,
                TcpState.LastAck => CtTimeoutAttr.TcpLastAck,
                TcpState.TimeWait => CtTimeoutAttr.TcpTimeWait,
                _ => CtTimeoutAttr.TcpClose,
            };
        }
        // OVS userspace (conntrack-tcp.c classes mapped by conntrack-tp.c).
        var a = c.Peer0.State;
        var b = c.Peer1.State;
        if (a >= PeerState.FinWait2 && b >= PeerState.FinWait2)
            return CtTimeoutAttr.TcpClose;
        if (a >= PeerState.Closing && b >= PeerState.Closing)
            return CtTimeoutAttr.TcpTimeWait;
        if (a < PeerState.Established || b < PeerState.Established)
            return CtTimeoutAttr.TcpSynRecv;
        if (a >= PeerState.Closing || b >= PeerState.Closing)
            return CtTimeoutAttr.TcpFinWait;
        return CtTimeoutAttr.TcpEstablished;
    }

    private static bool SeqGeq(uint a, uint b) => (int)(a - b) >= 0;
    private static bool SeqGt(uint a, uint b) => (int)(a - b) > 0;
}
