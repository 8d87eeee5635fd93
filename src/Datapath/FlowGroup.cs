using System.Text;
using Datapath.Packets;

namespace Datapath.Engine;

// Flow group
// ==========
//
// An OpenFlow group loaded like `ovs-ofctl add-group`:
// `group_id=1,type=select,selection_method=hash,fields(ip_src,tcp_src),bucket=weight:100,actions=output:1,...`.
//
// Which bucket runs is decided as ovs-vswitchd 3.1 decides it (ofproto-dpif.c group_set_selection_method and
// ofproto-dpif-xlate.c pick_*_select_group), with OVS's own hash functions (OvsHash), so a frame takes the bucket
// it would take in Open vSwitch:
//   - select, no selection_method: dp_hash when the buckets fit a table of at most 256 hash values
//     (n_hash = max(16, the power of two >= total weight / least non-zero weight)); the table maps each hash value
//     to a bucket by Webster's method over the weights, built once here. The datapath hashes the frame with
//     flow_hash_symmetric_l3l4 (basis 0) and the bucket is the first live one from table[dp_hash & mask] on.
//     Groups whose weights need more than 256 values fall back to the default method.
//   - select, selection_method=dp_hash[,selection_method_param=ALG<<32|BASIS]: the same table with no size cap;
//     ALG 1 (sym_l4) as above, ALG 0 (l4) flow_hash_5tuple of the current headers (what odp-execute computes for
//     a packet without an RSS hash).
//   - select, selection_method=hash with fields(...): highest score among live buckets, score =
//     (hash_int(bucket_id, basis) & 0xffff) * weight, ties to the later bucket, basis = hash_bytes over each field
//     (in meta-flow order, masked, prerequisites met) starting from hash_uint64(selection_method_param).
//   - select, default method (hash without fields, or dp_hash that does not fit): the same score with basis
//     flow_hash_symmetric_l4(flow, 0).
//   - fast_failover: the first live bucket; all and indirect: every bucket.
// A bucket is live unless it watches something: a watched port is live when the bridge has it, a watched group
// when it has a live bucket; select buckets of weight 0 are never live.
// Where OVS recirculates for dp_hash (datapath actions hash(sym_l4(0)),recirc(N), then a pass matching
// dp_hash), the translator computes the same dp_hash inline: the frames and the bucket are OVS's, the megaflow
// is one pass that consults the hashed fields instead of two.
//
// Invariants: the dp_hash table is immutable (a mod-group builds a new FlowGroup); buckets keep their order.

/// <summary>An OpenFlow group and its bucket selection as Open vSwitch 3.1 makes it (see the essay above).</summary>
public sealed class FlowGroup
{
    /// <summary>OVS's MAX_SELECT_GROUP_HASH_VALUES: the largest dp_hash table.</summary>
    public const int MaxHashValues = 256;

    private readonly GroupBucket[]? _hashMap;
    // Arrays for the translator's loops (an interface's foreach would allocate an enumerator per packet).
    private readonly GroupHashField[] _hashFields;
    private readonly GroupBucket[] _buckets;

    public FlowGroup(uint groupId, GroupType type, IReadOnlyList<GroupBucket> buckets, string? selectionMethod = null,
        IReadOnlyList<GroupHashField>? fields = null, ulong selectionMethodParam = 0)
    {
        GroupId = groupId;
        Type = type;
        SelectionMethod = selectionMethod;
        _hashFields = fields is null ? [] : [.. fields.OrderBy(f => f.Order)];
        _buckets = [.. buckets];
        SelectionMethodParam = selectionMethodParam;
        if (type != GroupType.Select)
            return;
        Method = SelectMethod.Default;
        if (selectionMethod is null)
        {
            _hashMap = BuildHashMap(buckets, MaxHashValues);
            if (_hashMap is not null)
            {
                Method = SelectMethod.DpHash;
                HashAlgorithm = DpHashAlgorithm.SymmetricL4;
            }
        }
        else if (selectionMethod == "dp_hash")
        {
            _hashMap = BuildHashMap(buckets, 0);
            if (_hashMap is not null)
            {
                Method = SelectMethod.DpHash;
                uint alg = (uint)(selectionMethodParam >> 32);
                HashAlgorithm = alg == 1 ? DpHashAlgorithm.SymmetricL4 : DpHashAlgorithm.L4;
                HashBasis = (uint)selectionMethodParam;
            }
        }
        else if (selectionMethod == "hash" && HashFields.Count > 0)
            Method = SelectMethod.Hash;
    }

    public uint GroupId { get; }
    public GroupType Type { get; }
    public IReadOnlyList<GroupBucket> Buckets => _buckets;
    /// <summary>The selection_method as written (null: OVS's default).</summary>
    public string? SelectionMethod { get; }
    public ulong SelectionMethodParam { get; }
    /// <summary>The fields(...) a <c>selection_method=hash</c> group hashes, in meta-flow order.</summary>
    public IReadOnlyList<GroupHashField> HashFields => _hashFields;
    /// <summary>How a select group picks its bucket, as ovs-vswitchd settled it.</summary>
    public SelectMethod Method { get; }
    public DpHashAlgorithm HashAlgorithm { get; }
    public uint HashBasis { get; }
    /// <summary>When the group was added, on the bridge's clock; <see cref="Classifier.FlowRule.Never"/> for one loaded with the scenario (its age is the bridge's). mod-group keeps it, as OVS does.</summary>
    public long CreatedMs { get; internal set; } = Classifier.FlowRule.Never;

    /// <summary>
    /// Packets the group ran (dump-group-stats' packet_count): OVS credits the group once per execution and, for an
    /// all group, every bucket with it — so an all group's count is any bucket's, the others' the sum of their buckets'.
    /// </summary>
    public long PacketCount => Type == GroupType.All ? (Buckets.Count > 0 ? Buckets[0].PacketCount : 0) : Buckets.Sum(b => b.PacketCount);

    /// <summary>Bytes the group ran, counted as <see cref="PacketCount"/>.</summary>
    public long ByteCount => Type == GroupType.All ? (Buckets.Count > 0 ? Buckets[0].ByteCount : 0) : Buckets.Sum(b => b.ByteCount);

    /// <summary>The dp_hash table's mask (its size - 1), or 0 when the group does not use dp_hash.</summary>
    public uint HashMask => _hashMap is null ? 0 : (uint)_hashMap.Length - 1;

    /// <summary>
    /// The bucket a select group runs for <paramref name="key"/> (null: no live bucket), the dp_hash or score
    /// basis it used in <paramref name="hash"/>; the fields it hashed are ORed into <paramref name="consulted"/>
    /// when <paramref name="track"/> is set.
    /// </summary>
    public GroupBucket? PickSelect(in FlowKey key, Bridge bridge, ref FlowKey consulted, bool track, out uint hash)
    {
        switch (Method)
        {
            case SelectMethod.DpHash:
                {
                    if (track)
                        ConsultL3L4(in key, ref consulted);
                    hash = HashAlgorithm == DpHashAlgorithm.SymmetricL4 ? OvsHash.SymmetricL3L4(in key, HashBasis) : OvsHash.FiveTuple(in key, HashBasis);
                    var map = _hashMap!;
                    uint mask = (uint)map.Length - 1;
                    for (uint i = 0; i <= mask; i++)
                    {
                        var b = map[(hash + i) & mask];
                        if (IsAlive(b, bridge, 0))
                            return b;
                    }
                    return null;
                }
            case SelectMethod.Hash:
                {
                    uint basis = OvsHash.UInt64(SelectionMethodParam);
                    foreach (var f in _hashFields)
                        if (f.PrerequisitesHold(in key, ref consulted, track))
                            basis = f.Hash(in key, basis, ref consulted, track);
                    hash = basis;
                    return BestLive(basis, bridge);
                }
            default:
                if (track)
                    ConsultL4(in key, ref consulted);
                hash = OvsHash.SymmetricL4(in key, 0);
                return BestLive(hash, bridge);
        }
    }

    /// <summary>The first live bucket (fast_failover), or null.</summary>
    public GroupBucket? FirstLive(Bridge bridge, int depth = 0)
    {
        foreach (var b in _buckets)
            if (IsAlive(b, bridge, depth))
                return b;
        return null;
    }

    private GroupBucket? BestLive(uint basis, Bridge bridge)
    {
        GroupBucket? best = null;
        uint bestScore = 0;
        foreach (var b in _buckets)
        {
            if (!IsAlive(b, bridge, 0))
                continue;
            uint score = (OvsHash.Int(b.BucketId, basis) & 0xffff) * b.Weight;
            if (score >= bestScore)
            {
                best = b;
                bestScore = score;
            }
        }
        return best;
    }

    // bucket_is_alive, MAX_LIVENESS_RECURSION 128.
    private bool IsAlive(GroupBucket b, Bridge bridge, int depth)
    {
        if (depth >= 128 || (Type == GroupType.Select && b.Weight == 0))
            return false;
        if (b.WatchPort is null && b.WatchGroup is null)
            return true;
        if (b.WatchPort is { } p && p != Classifier.OpenFlowPorts.Controller && bridge.TryGetPort(p, out _)) // no controller: CONTROLLER is never live
            return true;
        return b.WatchGroup is { } g && g != OfpgAny && bridge.TryGetGroup(g, out var watched) && watched.FirstLive(bridge, depth + 1) is not null;
    }

    private const uint OfpgAny = 0xffffffff;

    // Webster's method, as group_setup_dp_hash_table: null when there is no bucket, no weight, or more than
    // maxHash values would be needed (maxHash 0: up to MaxHashValues).
    private static GroupBucket[]? BuildHashMap(IReadOnlyList<GroupBucket> buckets, int maxHash)
    {
        if (buckets.Count == 0)
            return null;
        ulong total = 0;
        uint minWeight = ushort.MaxValue;
        foreach (var b in buckets)
        {
            if (b.Weight > 0 && b.Weight < minWeight)
                minWeight = b.Weight;
            total += b.Weight;
        }
        if (total == 0)
            return null;
        ulong minSlots = (total + minWeight - 1) / minWeight;
        ulong nHash = Math.Max(16UL, System.Numerics.BitOperations.RoundUpToPowerOf2(minSlots));
        if (nHash > MaxHashValues || (maxHash != 0 && nHash > (ulong)maxHash))
            return null;
        var divisor = new uint[buckets.Count];
        var value = new double[buckets.Count];
        for (int i = 0; i < buckets.Count; i++)
        {
            divisor[i] = 1;
            value[i] = buckets[i].Weight;
        }
        var map = new GroupBucket[nHash];
        for (int h = 0; h < map.Length; h++)
        {
            int winner = 0;
            for (int i = 1; i < buckets.Count; i++)
                if (value[i] > value[winner])
                    winner = i;
            divisor[winner] += 2;
            value[winner] = (double)buckets[winner].Weight / divisor[winner];
            map[h] = buckets[winner];
        }
        return map;
    }

    // What OVS's megaflow must hold for the symmetric hashes: dl_type, the addresses, nw_proto, nw_frag and the
    // ports (flow_mask_hash_fields for NX_HASH_FIELDS_SYMMETRIC_L3L4 / SYMMETRIC_L4).
    private static void ConsultL3L4(in FlowKey key, ref FlowKey c)
    {
        c.EthType = 0xffff;
        if (!key.IsIp)
        {
            c.EthSrc = c.EthDst = 0xffff_ffff_ffffUL;
            c.VlanTci |= 0x0fff;
            return;
        }
        ConsultIp(in key, ref c);
        c.NwFrag = 0xff;
    }

    private static void ConsultL4(in FlowKey key, ref FlowKey c)
    {
        c.EthType = 0xffff;
        c.EthSrc = c.EthDst = 0xffff_ffff_ffffUL;
        c.VlanTci |= 0x0fff;
        if (key.IsIp)
            ConsultIp(in key, ref c);
    }

    private static void ConsultIp(in FlowKey key, ref FlowKey c)
    {
        if (key.IsIpv4)
            c.NwSrc = c.NwDst = uint.MaxValue;
        else
        {
            c.Ipv6SrcHi = c.Ipv6SrcLo = c.Ipv6DstHi = c.Ipv6DstLo = ulong.MaxValue;
        }
        c.NwProto = 0xff;
        if (key.NwProto is IpProtocols.Tcp or IpProtocols.Sctp)
            c.TpSrc = c.TpDst = 0xffff;
    }

    /// <summary>
    /// The group as <c>ovs-ofctl dump-groups</c> (OVS 3.1, its default OpenFlow 1.0 + NXM form) prints it:
    /// <c>group_id=N,type=select[,selection_method=M[,selection_method_param=P][,fields=F|,fields(F,...)]]</c>,
    /// then each bucket as <c>bucket=bucket_id:I[,weight:W][,watch_port:P][,watch_group:G],actions=A</c> — the
    /// weight only when it is not the type's default (1 for select, 0 otherwise), fields by their meta-flow names in
    /// meta-flow order (<c>tp_src</c> prints <c>tcp_src</c>), the actions as dump-flows prints them.
    /// </summary>
    public string Format(Classifier.IPortMap? ports)
    {
        var sb = new StringBuilder();
        sb.Append("group_id=").Append(GroupId).Append(",type=").Append(Type switch
        {
            GroupType.All => "all",
            GroupType.Select => "select",
            GroupType.Indirect => "indirect",
            _ => "ff",
        });
        if (SelectionMethod is not null)
        {
            sb.Append(",selection_method=").Append(SelectionMethod);
            if (SelectionMethodParam != 0)
                sb.Append(",selection_method_param=").Append(SelectionMethodParam);
            if (HashFields.Count == 1)
                sb.Append(",fields=").Append(HashFields[0].Format());
            else if (HashFields.Count > 1)
                sb.Append(",fields(").AppendJoin(',', HashFields.Select(f => f.Format())).Append(')');
        }
        foreach (var b in Buckets)
        {
            sb.Append(",bucket=bucket_id:").Append(b.BucketId);
            if (b.Weight != GroupBucket.DefaultWeight(Type))
                sb.Append(",weight:").Append(b.Weight);
            if (b.WatchPort is { } w)
                sb.Append(",watch_port:").Append(Classifier.FieldSyntax.FormatPort(w, ports));
            if (b.WatchGroup is { } g)
                sb.Append(",watch_group:").Append(g);
            sb.Append(",actions=").Append(b.Actions.Format(ports));
        }
        return sb.ToString();
    }

    public override string ToString() => Format(null);
}
