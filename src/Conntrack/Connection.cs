using System.Runtime.InteropServices;
using Datapath.Packets;

namespace Datapath.Conntrack;

/// <summary>
/// One tracked connection (OVS's struct conn). Entered twice in the <see cref="ConnectionTable"/>:
/// under <see cref="Orig"/> and under <see cref="Reply"/>; the table's slots hold the hashes, so the
/// connection carries no links and no GC references.
/// </summary>
/// <remarks>
/// Invariants: <see cref="Orig"/>, <see cref="Reply"/> and <see cref="NatAction"/> are
/// written before the connection is published and never change after. <see cref="Reply"/> is the
/// reverse of the original tuple after NAT: the translated packet of the original direction has
/// tuple <c>Reply.Reverse()</c>. Mutable protocol state, mark and label change under the
/// connection's own spin lock (<see cref="Lock"/>, OVS's conn->lock: held for a
/// few field updates, never across a call that can block; an uncontended enter is one
/// compare-exchange, a third of a Monitor's); <see cref="ExpirationMs"/> and <see cref="Status"/>
/// are read without it.
/// Layout (explicit): the fields a packet of the connection writes — expiry, the TCP peers, the lock, the timeout
/// attribute — sit in the middle, between the original key and the reply key, so that two connections allocated
/// side by side never have their written fields on one 64-byte cache line (the written span starts 56 bytes into the
/// object and ends 94 in; the next object's starts 216 bytes after this one begins): connections of different
/// worker threads do not falsely share lines (measured in bench/README.md).
/// Memory: 40 + 40 (keys) + 8 (expiry) + 24 (TCP peers) + 4 (lock) + 3 (small state) + 4 + 16 (mark, label)
/// + 4 (status) + 16 (object header) = 159 bytes, 160 allocated; no field holds a GC reference
/// (ConnectionTableTests checks both).
/// </remarks>
[StructLayout(LayoutKind.Explicit)]
internal sealed class Connection
{
    [FieldOffset(0)]
    public readonly ConnKey Orig;
    // ---- written by the connection's packets
    [FieldOffset(40)]
    public long ExpirationMs;
    [FieldOffset(48)]
    public TcpPeer Peer0;
    [FieldOffset(60)]
    public TcpPeer Peer1;
    [FieldOffset(72)]
    private int _lock;
    [FieldOffset(76)]
    public CtTimeoutAttr TimeoutAttr;
    /// <summary>UDP/other: <see cref="OtherFirst"/>..<see cref="OtherBidir"/>; ICMP: <see cref="IcmpFirst"/>/<see cref="IcmpReplied"/>;
    /// TCP: bit <see cref="TcpResetSeen"/>.</summary>
    [FieldOffset(77)]
    public byte L4State;
    // ---- written before the connection is published, or rarely (commits with mark or label, removal)
    /// <summary><see cref="CtStateFlags.SrcNat"/> and/or <see cref="CtStateFlags.DstNat"/>.</summary>
    [FieldOffset(78)]
    public byte NatAction;
    [FieldOffset(80)]
    public ConnKey Reply;
    [FieldOffset(120)]
    public uint Mark;
    /// <summary><see cref="StatusLive"/>, <see cref="StatusRemoved"/>.</summary>
    [FieldOffset(124)]
    public int Status;
    [FieldOffset(128)]
    public ulong LabelLo;
    [FieldOffset(136)]
    public ulong LabelHi;

    public const byte OtherFirst = 0;
    public const byte OtherMultiple = 1;
    public const byte OtherBidir = 2;
    public const byte IcmpFirst = 0;
    public const byte IcmpReplied = 1;
    public const byte TcpResetSeen = 1;

    /// <summary>Bytes from the object reference to the end of its fields, for prefetching
    /// (ConnectionTableTests checks the object is no larger).</summary>
    internal const int ApproxSize = 152;

    public const int StatusLive = 0;
    public const int StatusRemoved = 1;

    public Connection(in ConnKey orig) => Orig = orig;

    /// <summary>Takes the connection's lock (spins, then yields, while another thread holds it) until the scope is disposed:
    /// <c>using (c.Lock()) { ... }</c>.</summary>
    public LockScope Lock()
    {
        if (Interlocked.CompareExchange(ref _lock, 1, 0) != 0)
            EnterContended();
        return new LockScope(this);
    }

    private void EnterContended()
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref _lock) != 0 || Interlocked.CompareExchange(ref _lock, 1, 0) != 0)
            spin.SpinOnce();
    }

    /// <summary>A held <see cref="Lock"/>; Dispose releases it.</summary>
    public readonly ref struct LockScope(Connection owner)
    {
        public void Dispose() => Volatile.Write(ref owner._lock, 0);
    }

    public ushort Zone => Orig.Zone;
    public byte NwProto => Orig.NwProto;
    public bool IsRemoved => Volatile.Read(ref Status) != StatusLive;

    public bool IsExpired(long nowMs) => Volatile.Read(ref ExpirationMs) <= nowMs;

    public UInt128 Label => new(LabelHi, LabelLo);

    /// <summary>The connection's TCP state in Linux terms, derived from the pf peers.</summary>
    public TcpState GetTcpState()
    {
        if (NwProto != IpProtocols.Tcp)
            return TcpState.None;
        return DeriveTcpState(Peer0.State, Peer1.State, (L4State & TcpResetSeen) != 0);
    }

    /// <summary>
    /// Linux's single TCP state from pf's two peer states: RST → CLOSE; both FINs acknowledged →
    /// TIME_WAIT; both sides sent FIN → LAST_ACK; one FIN acknowledged → CLOSE_WAIT; one FIN
    /// unacknowledged → FIN_WAIT; an end still opening → SYN_SENT (no reply yet) or SYN_RECV.
    /// </summary>
    public static TcpState DeriveTcpState(PeerState orig, PeerState reply, bool resetSeen)
    {
        if (resetSeen)
            return TcpState.Close;
        if (orig >= PeerState.FinWait2 && reply >= PeerState.FinWait2)
            return TcpState.TimeWait;
        if (orig >= PeerState.Closing && reply >= PeerState.Closing)
            return TcpState.LastAck;
        if (orig >= PeerState.Closing || reply >= PeerState.Closing)
        {
            var closer = orig >= PeerState.Closing ? orig : reply;
            return closer >= PeerState.FinWait2 ? TcpState.CloseWait : TcpState.FinWait;
        }
        if (orig < PeerState.Established || reply < PeerState.Established)
            return reply == PeerState.Closed ? TcpState.SynSent : TcpState.SynRecv;
        return TcpState.Established;
    }
}
