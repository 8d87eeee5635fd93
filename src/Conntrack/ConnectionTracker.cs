using System.Diagnostics;
using Datapath.Packets;

namespace Datapath.Conntrack;

// Connection tracker
// ==================
//
// What?
// -----
// The connection table behind OVS's ct() action and the host stack's netfilter: which
// connection does this packet belong to, in which direction, in what state, and how must it
// be translated?  It fills ct_state (new, est, rel, rpl, inv, trk, snat, dnat), ct_zone,
// ct_mark, ct_label and the original-direction tuple (ct_nw_src/dst, ct_tp_src/dst,
// ct_nw_proto) as OVS's userspace datapath does (lib/conntrack.c, ovs-fields(7) "Connection
// Tracking Fields"), and it rewrites frames for NAT.  Two callers use it:
//  - Execute(): the ct() action with OVS semantics (zone 65520 for Antrea): a packet is looked
//    up; without commit a new connection is reported +new and nothing is stored; commit stores
//    it (with exec() mark/label and a nat() binding); force restarts a connection seen from
//    the reply side; nat applies the connection's binding, reversed on replies.
//  - Nf*(): netfilter's kernel semantics (NetfilterApi in ConnectionTracker.Netfilter.cs):
//    look up, set up DNAT and SNAT bindings on a not-yet-confirmed connection while the nat
//    chains run, apply them, confirm at the end of POSTROUTING.
//
// Design
// ------
// A connection (Connection) holds its original key (zone, 5-tuple; ICMP id/type/code, OVS's
// conn_key) and its reply key: the reverse of the original tuple after NAT.  The
// ConnectionTable enters each connection twice, under each key, in open-addressed slots of
// (64-bit hash tagged with the direction, reference): a packet from either direction finds it
// with one probe sequence that compares hashes before it touches a connection, and the table
// holds no node objects.  The table has 64 shards, each one published array; readers never
// lock, and a shard grows by building a new array beside readers (see ConnectionTable).  Every
// insertion and removal takes one writer lock (OVS's ct_lock): commits must check that no
// other connection owns either key, and NAT must pick a free tuple, atomically.  Per-packet
// protocol state (TCP windows, UDP/ICMP pseudo-states, mark, label) changes under the
// connection's own spin lock (Connection.Lock, OVS's conn->lock; one compare-exchange).
// Protocols: TCP is pf's sequence-window tracker as OVS uses it (TcpTracker); UDP and other
// IP protocols move first -> multiple -> bidirectional (conntrack-other.c); ICMP queries
// first -> reply (conntrack-icmp.c); ICMP errors whose embedded header belongs to a tracked
// connection are +rel.  No virtual dispatch: a switch on the protocol.
// Time is a parameter (nowMs, milliseconds on the caller's clock; NowMs() reads the injected
// TimeProvider for callers that have none).  A connection whose expiration passed is treated
// as absent by every lookup at once; Sweep() unlinks expired connections shard by shard under
// the writer lock, beside lock-free lookups.
//
// Invariants
// ----------
//  - A live connection's original and reply keys are unique among the keys of all live,
//    unexpired connections of the table (checked under the writer lock at insertion).
//  - Orig, Reply and NatAction never change after publication (the slot tags hash them).
//  - Count == number of linked connections == sum of the zone counts.
//  - Established connections are never evicted: limits only refuse new commits.
//
// Thread-safety
// -------------
//  - Construction: single-threaded.
//  - Execute, NfLookup, NfApplyNat: any thread; established lookups take no shared lock.
//  - Commits (Execute with commit, NfConfirm), Flush, Sweep: any thread, serialized by the
//    writer lock.
//  - Dump: any thread; a snapshot that may miss connections changed meanwhile.
//
// Cost
// ----
// Lookup: one hash of 40 bytes, one linear probe (load 1/2..3/4: about two cache misses, the
// slot line and the connection), a monitor on the connection only when its state changes.
// ExecuteBatch (ConnectionTracker.Batch.cs) runs a batch of packets sharing one ct() with the
// same per-packet logic after prefetching every packet's slot line, then every candidate
// connection, 8 packets at a time, so their misses overlap instead of serializing.
// Commit: lookup + two O(1) slot insertions (amortized 1.5x rebuild of one shard); NAT adds a
// search of the range, O(1) while it has free tuples.
// Memory: at most 160 bytes per connection object (no references: the GC never scans it) + 2 slots of
// 16 bytes at load 1/2..3/4 (43-64 bytes); no allocation per packet except one Connection per
// commit.
public sealed partial class ConnectionTracker
{
    private const int ZoneCount = 65536;

    private readonly ConnectionTable _table;
    private readonly Lock _writeLock = new();
    private readonly TimeoutPolicy[] _policies = new TimeoutPolicy[ZoneCount];
    private readonly int[] _zoneLimits = new int[ZoneCount];
    private readonly int[] _zoneCounts = new int[ZoneCount];
    private readonly TimeProvider _time;
    private readonly bool _tcpLoose;
    private int _count;
    private int _limit;
    private volatile bool _tcpBeLiberal;
    private ulong _rng; // xorshift state for NAT "random"; writer lock held
    private long _livenessGeneration; // see LivenessGeneration
    private long _lastFullSweepMs = long.MinValue / 2; // writer lock held

    // Construction: single-threaded.

    public ConnectionTracker(ConntrackOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ConnectionLimit <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), "ConnectionLimit must be positive");
        _time = time ?? TimeProvider.System;
        ulong seed = options.Seed ?? (ulong)Random.Shared.NextInt64();
        _table = new ConnectionTable(seed);
        _rng = seed | 1;
        _limit = options.ConnectionLimit;
        _tcpLoose = options.TcpLoose;
        _tcpBeLiberal = options.TcpBeLiberal;
        Array.Fill(_policies, options.DefaultPolicy ?? TimeoutPolicy.OvsDefaults);
        foreach (var (zone, policy) in options.ZonePolicies)
            _policies[zone] = policy;
        Array.Fill(_zoneLimits, Math.Max(0, options.DefaultZoneLimit));
        foreach (var (zone, limit) in options.ZoneLimits)
            _zoneLimits[zone] = Math.Max(0, limit);
    }

    public ConnectionTracker() : this(new ConntrackOptions())
    {
    }

    /// <summary>Event counters (table full, zone full, invalid, ...).</summary>
    public ConntrackCounters Counters { get; } = new();

    /// <summary>Connections in the table (expired ones count until swept).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Connections of one zone in the table.</summary>
    public int CountInZone(ushort zone) => Volatile.Read(ref _zoneCounts[zone]);

    /// <summary>The tracker's clock in milliseconds (the injected TimeProvider); pass it as nowMs.</summary>
    public long NowMs() => (long)(_time.GetTimestamp() * 1000.0 / _time.TimestampFrequency);

    // Modifiers: any thread.

    /// <summary>The table-wide limit (ovs-appctl dpctl/ct-set-maxconns).</summary>
    public int ConnectionLimit
    {
        get => Volatile.Read(ref _limit);
        set => Volatile.Write(ref _limit, value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value)));
    }

    /// <summary>Sets a zone's limit; 0 removes it (ovs-appctl dpctl/ct-set-limits zone=N,limit=M).</summary>
    public void SetZoneLimit(ushort zone, int limit)
        => Volatile.Write(ref _zoneLimits[zone], limit >= 0 ? limit : throw new ArgumentOutOfRangeException(nameof(limit)));

    public int GetZoneLimit(ushort zone) => Volatile.Read(ref _zoneLimits[zone]);

    /// <summary>Sets a zone's timeout policy; applies to the next packet of each connection.</summary>
    public void SetZonePolicy(ushort zone, TimeoutPolicy policy)
        => Volatile.Write(ref _policies[zone], policy ?? throw new ArgumentNullException(nameof(policy)));

    public TimeoutPolicy GetZonePolicy(ushort zone) => Volatile.Read(ref _policies[zone]);

    /// <summary>TCP liberal mode: accept segments outside the windows (OVS dpctl/ct-disable-tcp-seq-chk).</summary>
    public bool TcpBeLiberal
    {
        get => _tcpBeLiberal;
        set => _tcpBeLiberal = value;
    }

    // Lookups and commits: any thread.

    /// <summary>
    /// Runs the ct() action on one packet (OVS conntrack_execute for a batch of one): finds or,
    /// with commit, creates its connection in <paramref name="cmd"/>'s zone, updates the protocol
    /// state, applies exec() mark/label and NAT, and fills the key's ct_* fields. NAT rewrites the
    /// frame and the key's nw/tp fields with incremental checksum updates. Never throws on packet
    /// contents: what cannot be tracked is +inv+trk.
    /// </summary>
    /// <returns>
    /// False when a commit found the table or the zone at its limit: the packet must be dropped, as Linux
    /// ("nf_conntrack: table full, dropping packet") and OVS's kernel datapath ("zone exceeds conntrack
    /// limit") drop it; its key is +inv+trk. True otherwise.
    /// </returns>
    public bool Execute(ref FlowKey key, Span<byte> frame, in CtCommand cmd, long nowMs)
    {
        var failure = ConnKeyExtractor.TryExtract(key, frame, cmd.Zone, out var ck, out bool related);
        if (failure != ExtractFailure.None)
        {
            Interlocked.Increment(ref Counters._invalid);
            WriteMetadata(ref key, cmd.Zone, CtStateFlags.Invalid, null);
            return true;
        }
        return ExecuteKeyed(ref key, frame, cmd, nowMs, ck, _table.Hash(ck), related);
    }

    /// <summary>Execute after a successful key extraction: <paramref name="hash"/> is the table hash
    /// of <paramref name="packetKey"/>. Shared by <see cref="Execute"/> and the batch entry point.</summary>
    private bool ExecuteKeyed(ref FlowKey key, Span<byte> frame, in CtCommand cmd, long nowMs, in ConnKey packetKey, ulong hash, bool related)
    {
        ushort zone = cmd.Zone;
        var ck = packetKey;
        // OVS process_one keeps the packet's ct_state within a zone ("reset ct_state whenever
        // entering a new zone"): a second ct() in the same zone adds to what the first found.
        var prior = key.CtState != 0 && key.CtZone == zone ? (CtStateFlags)key.CtState & ~CtStateFlags.Tracked : 0;
        bool natted = (prior & (CtStateFlags.SrcNat | CtStateFlags.DstNat)) != 0;
        Connection? conn;
        bool reply;
        if (!related && natted)
        {
            // OVS initial_conn_lookup: a packet an earlier ct(nat) in this zone already translated is
            // found by its reverse key (the translated tuple is its connection's reply, reversed), and
            // then stands for the connection's own tuple: a second ct() in the zone tracks the same
            // connection instead of committing the translated tuple as a new one.
            var reverse = ck.Reverse();
            ulong reverseHash = _table.Hash(reverse);
            conn = FindLive(reverse, reverseHash, nowMs, out reply);
            if (conn is not null)
            {
                reply = !reply;
                ck = reply ? conn.Reply : conn.Orig;
                hash = _table.Hash(ck);
            }
            else
            {
                conn = FindLive(ck, hash, nowMs, out reply);
            }
        }
        else
        {
            conn = FindLive(ck, hash, nowMs, out reply);
        }
        if (conn is null && cmd.Commit && !related && cmd.Nat is not { Kind: NatKind.Snat or NatKind.Dnat })
        {
            // A commit will probe the reply key's slot next: start that miss now, beside the
            // validation, the writer lock and the connection's allocation.
            _table.PrefetchHome(_table.Hash(ck.Reverse()));
        }

        if (related)
        {
            if (conn is null)
            {
                Interlocked.Increment(ref Counters._invalid);
                WriteMetadata(ref key, zone, CtStateFlags.Invalid, null);
                return true;
            }
            var rel = prior | CtStateFlags.Related | (reply ? CtStateFlags.Reply : 0);
            if (cmd.Nat is not null && conn.NatAction != 0 && !natted)
                ApplyNatRelated(conn, reply, ref key, frame, ref rel);
            WriteMetadata(ref key, zone, rel, conn);
            return true;
        }

        TcpSegment seg = default;
        bool isTcp = ck.NwProto == IpProtocols.Tcp;
        if (isTcp && !TcpSegment.TryRead(frame, key, out seg))
        {
            Interlocked.Increment(ref Counters._invalid);
            WriteMetadata(ref key, zone, CtStateFlags.Invalid, null);
            return true;
        }

        if (conn is not null && cmd.Force && cmd.Commit && reply)
        {
            RemoveConnection(conn);
            conn = null;
        }

        CtStateFlags state = 0;
        for (int attempt = 0; ; attempt++)
        {
            if (conn is not null)
            {
                var res = Update(conn, seg, reply, nowMs);
                if (res == CtUpdate.New)
                {
                    RemoveConnection(conn);
                    conn = null;
                }
                else
                {
                    // OVS conn_update_state: invalid replaces the state, the others add to it.
                    state = res switch
                    {
                        CtUpdate.Invalid => CtStateFlags.Invalid,
                        CtUpdate.ValidNew => prior | CtStateFlags.New,
                        _ => (prior & ~CtStateFlags.New) | CtStateFlags.Established | (reply ? CtStateFlags.Reply : 0),
                    };
                    break;
                }
            }

            if (!ValidNew(ck, seg))
            {
                Interlocked.Increment(ref Counters._invalid);
                WriteMetadata(ref key, zone, CtStateFlags.Invalid, null);
                return true;
            }
            if (!cmd.Commit)
            {
                WriteMetadata(ref key, zone, CtStateFlags.New, null);
                return true;
            }
            conn = CommitNew(ck, hash, seg, cmd.Nat, nowMs, out bool created, out bool full);
            if (conn is null)
            {
                if (full)
                {
                    Interlocked.Increment(ref Counters._invalid);
                    WriteMetadata(ref key, zone, CtStateFlags.Invalid, null);
                    return false;
                }
                WriteMetadata(ref key, zone, CtStateFlags.New, null);
                return true;
            }
            if (created || attempt > 0)
            {
                state = CtStateFlags.New;
                break;
            }
            // Another thread committed the same connection first: process the packet against it.
            conn = FindLive(ck, hash, nowMs, out reply);
            if (conn is null)
                continue;
        }

        if (state == CtStateFlags.Invalid)
        {
            Interlocked.Increment(ref Counters._invalid);
            WriteMetadata(ref key, zone, CtStateFlags.Invalid, conn);
            return true;
        }
        if (cmd.Commit && (cmd.MarkMask | cmd.LabelMask) != 0)
            SetMarkAndLabel(conn, cmd.Mark, cmd.MarkMask, cmd.Label, cmd.LabelMask);
        // OVS handle_nat: a packet already translated in this zone is not translated again.
        if (cmd.Nat is not null && conn.NatAction != 0 && !natted)
            ApplyNat(conn, reply, ref key, frame, ref state);
        WriteMetadata(ref key, zone, state, conn);
        return true;
    }

    private Connection? FindLive(in ConnKey ck, ulong hash, long nowMs, out bool reply)
    {
        var c = _table.Find(ck, hash, out reply);
        return c is not null && !c.IsExpired(nowMs) ? c : null;
    }

    private bool ValidNew(in ConnKey ck, in TcpSegment seg) => ck.NwProto switch
    {
        IpProtocols.Tcp => TcpTracker.ValidNew(seg.Flags, _tcpLoose),
        IpProtocols.Icmp or IpProtocols.Icmpv6 => ConnKeyExtractor.IsIcmpRequest(ck),
        _ => true,
    };

    /// <summary>The protocol tracker's verdict on a packet of an existing connection; refreshes the timeout.</summary>
    private CtUpdate Update(Connection c, in TcpSegment seg, bool reply, long nowMs)
    {
        var policy = _policies[c.Zone];
        switch (c.NwProto)
        {
            case IpProtocols.Tcp:
                using (c.Lock())
                {
                    var res = TcpTracker.Update(c, seg, reply, _tcpBeLiberal);
                    if (res is CtUpdate.Valid or CtUpdate.ValidNew)
                    {
                        // ValidNew: OVS's CT_TM_TCP_FIRST_PACKET, which conntrack-tp.c maps to tcp_syn_sent.
                        c.TimeoutAttr = res == CtUpdate.ValidNew ? CtTimeoutAttr.TcpSynSent : TcpTracker.TimeoutAttr(c, policy.Mapping);
                        SetExpiration(c, nowMs + policy.GetMs(c.TimeoutAttr));
                    }
                    return res;
                }
            case IpProtocols.Icmp:
            case IpProtocols.Icmpv6:
                if (reply && c.L4State == Connection.IcmpFirst)
                {
                    using (c.Lock())
                    {
                        c.L4State = Connection.IcmpReplied;
                        c.TimeoutAttr = CtTimeoutAttr.IcmpReply;
                    }
                }
                SetExpiration(c, nowMs + policy.GetMs(c.TimeoutAttr));
                return CtUpdate.Valid;
            default:
                var result = CtUpdate.Valid;
                if (c.L4State != Connection.OtherBidir && (reply || c.L4State == Connection.OtherFirst))
                {
                    using (c.Lock())
                    {
                        if (reply && c.L4State != Connection.OtherBidir)
                        {
                            c.L4State = Connection.OtherBidir;
                            c.TimeoutAttr = CtTimeoutAttr.UdpMultiple;
                        }
                        else if (c.L4State == Connection.OtherFirst)
                        {
                            c.L4State = Connection.OtherMultiple;
                            c.TimeoutAttr = CtTimeoutAttr.UdpSingle;
                            result = CtUpdate.ValidNew;
                        }
                    }
                }
                SetExpiration(c, nowMs + policy.GetMs(c.TimeoutAttr));
                return result;
        }
    }

    /// <summary>A new connection for <paramref name="ck"/>, initialized from the first packet but not linked.</summary>
    private Connection NewConnection(in ConnKey ck, in TcpSegment seg, long nowMs)
    {
        var c = new Connection(ck) { Reply = ck.Reverse() };
        switch (ck.NwProto)
        {
            case IpProtocols.Tcp:
                TcpTracker.Init(c, seg);
                c.TimeoutAttr = CtTimeoutAttr.TcpSynSent;
                break;
            case IpProtocols.Icmp:
            case IpProtocols.Icmpv6:
                c.L4State = Connection.IcmpFirst;
                c.TimeoutAttr = CtTimeoutAttr.IcmpFirst;
                break;
            default:
                c.L4State = Connection.OtherFirst;
                c.TimeoutAttr = CtTimeoutAttr.UdpFirst;
                break;
        }
        c.ExpirationMs = nowMs + _policies[ck.Zone].GetMs(c.TimeoutAttr);
        return c;
    }

    /// <summary>
    /// Commits a new connection (OVS conn_not_found with commit): limits, NAT binding, insertion.
    /// Returns null when refused (limits: <paramref name="full"/>; no free NAT tuple; reply key taken), or the existing
    /// connection with <paramref name="created"/> false when another thread committed it first.
    /// </summary>
    private Connection? CommitNew(in ConnKey ck, ulong hash, in TcpSegment seg, NatSpec? nat, long nowMs, out bool created, out bool full)
    {
        created = false;
        full = false;
        lock (_writeLock)
        {
            var existing = FindLiveUnsynchronized(ck, hash, nowMs, out _);
            if (existing is not null)
                return existing;
            if (!HasRoomUnsynchronized(ck.Zone, nowMs))
            {
                full = true;
                return null;
            }

            var c = NewConnection(ck, seg, nowMs);
            if (nat is { Kind: NatKind.Snat or NatKind.Dnat })
            {
                if (!TrySelectNatUnsynchronized(c, nat, nowMs))
                {
                    Interlocked.Increment(ref Counters._natExhausted);
                    return null;
                }
            }
            else
            {
                ulong replyHash = _table.Hash(c.Reply);
                if (FindLiveUnsynchronized(c.Reply, replyHash, nowMs, out _) is not null)
                {
                    Interlocked.Increment(ref Counters._insertConflict);
                    return null;
                }
                InsertUnsynchronized(c, hash, replyHash);
                created = true;
                return c;
            }
            InsertUnsynchronized(c, hash);
            created = true;
            return c;
        }
    }

    private void InsertUnsynchronized(Connection c, ulong origHash) => InsertUnsynchronized(c, origHash, _table.Hash(c.Reply));

    private void InsertUnsynchronized(Connection c, ulong origHash, ulong replyHash)
    {
        _table.InsertUnsynchronized(c, origHash, replyHash);
        Volatile.Write(ref _count, _count + 1);
        Volatile.Write(ref _zoneCounts[c.Zone], _zoneCounts[c.Zone] + 1);
        Interlocked.Increment(ref Counters._created);
    }

    /// <summary>Room for one more connection in the table and the zone? Expired connections are
    /// swept first when the table looks full (that is not eviction: they are already gone).</summary>
    private bool HasRoomUnsynchronized(ushort zone, long nowMs)
    {
        for (int pass = 0; pass < 2; pass++)
        {
            int zoneLimit = Volatile.Read(ref _zoneLimits[zone]);
            bool zoneFull = zoneLimit > 0 && _zoneCounts[zone] >= zoneLimit;
            bool full = _count >= Volatile.Read(ref _limit);
            if (!zoneFull && !full)
                return true;
            // At most one full sweep per second: a table full of live connections must not turn
            // every refused commit into an O(n) scan.
            if (pass == 0 && nowMs - _lastFullSweepMs >= 1000)
            {
                _lastFullSweepMs = nowMs;
                SweepUnsynchronizedAll(nowMs);
                continue;
            }
            if (zoneFull)
                Interlocked.Increment(ref Counters._zoneFull);
            else
                Interlocked.Increment(ref Counters._full);
            return false;
        }
        return false;
    }

    /// <summary>Finds a connection owning <paramref name="key"/>; unlinks expired ones met on the way. Writer lock held.</summary>
    private Connection? FindLiveUnsynchronized(in ConnKey key, ulong hash, long nowMs, out bool reply)
    {
        while (true)
        {
            var c = _table.Find(key, hash, out reply);
            if (c is null || !c.IsExpired(nowMs))
                return c;
            RemoveUnsynchronized(c, expired: true);
        }
    }

    /// <summary>
    /// Sets when <paramref name="c"/> expires; an expiry moved earlier (a shorter timeout after a state change, or a
    /// capture's clock going back) advances <see cref="LivenessGeneration"/>.
    /// </summary>
    private void SetExpiration(Connection c, long expirationMs)
    {
        if (expirationMs < c.ExpirationMs)
            Interlocked.Increment(ref _livenessGeneration);
        Volatile.Write(ref c.ExpirationMs, expirationMs);
    }

    private void RemoveConnection(Connection c)
    {
        lock (_writeLock)
            RemoveUnsynchronized(c, expired: false);
    }

    private bool RemoveUnsynchronized(Connection c, bool expired)
    {
        if (Interlocked.CompareExchange(ref c.Status, Connection.StatusRemoved, Connection.StatusLive) != Connection.StatusLive)
            return false;
        _table.RemoveUnsynchronized(c);
        Interlocked.Increment(ref _livenessGeneration);
        Volatile.Write(ref _count, _count - 1);
        Volatile.Write(ref _zoneCounts[c.Zone], _zoneCounts[c.Zone] - 1);
        if (expired)
            Interlocked.Increment(ref Counters._expired);
        return true;
    }

    private static void SetMarkAndLabel(Connection c, uint mark, uint markMask, UInt128 label, UInt128 labelMask)
    {
        using (c.Lock())
        {
            c.Mark = (c.Mark & ~markMask) | (mark & markMask);
            var l = (c.Label & ~labelMask) | (label & labelMask);
            c.LabelHi = (ulong)(l >> 64);
            c.LabelLo = (ulong)l;
        }
    }

    /// <summary>OVS write_ct_md: ct_state gets +trk; mark, label and the original tuple come from the connection (zero without one).</summary>
    private static void WriteMetadata(ref FlowKey key, ushort zone, CtStateFlags state, Connection? c)
    {
        key.CtState = (uint)(state | CtStateFlags.Tracked);
        key.CtZone = zone;
        if (c is null)
        {
            key.CtMark = 0;
            key.CtLabelLo = key.CtLabelHi = 0;
            key.CtNwProto = 0;
            key.CtNwSrc = key.CtNwDst = 0;
            key.CtTpSrc = key.CtTpDst = 0;
            return;
        }
        key.CtMark = c.Mark;
        key.CtLabelLo = c.LabelLo;
        key.CtLabelHi = c.LabelHi;
        ref readonly var o = ref c.Orig;
        key.CtNwProto = o.NwProto;
        // ct_nw_src/dst are IPv4 only; an IPv6 original tuple is ct_ipv6_src/dst, which FlowKey lacks.
        key.CtNwSrc = o.IsIpv4 ? o.Src4 : 0;
        key.CtNwDst = o.IsIpv4 ? o.Dst4 : 0;
        if (o.IsIcmp)
        {
            // OVS: for ICMP the original tuple's "ports" are the type and code.
            key.CtTpSrc = (ushort)(o.DstPort >> 8);
            key.CtTpDst = (byte)o.DstPort;
        }
        else
        {
            key.CtTpSrc = o.SrcPort;
            key.CtTpDst = o.DstPort;
        }
    }

    // Expiry: any thread, beside lookups.

    /// <summary>Unlinks every connection whose timeout passed at <paramref name="nowMs"/>, one shard
    /// at a time (the writer lock is released between shards). Returns how many.</summary>
    public int Sweep(long nowMs)
    {
        int n = 0;
        var batch = new List<Connection>();
        for (int s = 0; s < ConnectionTable.ShardCount; s++)
        {
            lock (_writeLock)
                n += SweepShardUnsynchronized(s, nowMs, batch);
        }
        return n;
    }

    private int SweepShardUnsynchronized(int shard, long nowMs, List<Connection> batch)
    {
        batch.Clear();
        _table.CollectShardUnsynchronized(shard, batch);
        int n = 0;
        foreach (var c in batch)
        {
            if (c.IsExpired(nowMs) && RemoveUnsynchronized(c, expired: true))
                n++;
        }
        return n;
    }

    private void SweepUnsynchronizedAll(long nowMs)
    {
        var batch = new List<Connection>();
        for (int s = 0; s < ConnectionTable.ShardCount; s++)
            SweepShardUnsynchronized(s, nowMs, batch);
    }

    /// <summary>Sweeps every <paramref name="period"/> on the injected TimeProvider's timer.
    /// Dispose the result to stop.</summary>
    public IDisposable StartSweeper(TimeSpan period)
        => _time.CreateTimer(_ => Sweep(NowMs()), null, period, period);

    [Conditional("DEBUG")]
    internal void AssertCountsUnsynchronized()
    {
        int linked = _table.All().Count();
        Debug.Assert(linked == _count, $"linked {linked} != count {_count}");
    }
}
