using System.Text;

namespace Datapath.Engine;

/// <summary>
/// An OpenFlow group loaded like <c>ovs-ofctl add-group</c>:
/// <c>group_id=1,type=select,selection_method=hash,bucket=weight:100,actions=output:1,bucket=...</c>.
/// Select groups pick a bucket by highest-random-weight over a symmetric 5-tuple hash, so one
/// connection always takes one bucket and removing a bucket moves only its own flows.
/// </summary>
public sealed class FlowGroup
{
    public FlowGroup(uint groupId, GroupType type, IReadOnlyList<GroupBucket> buckets, string? selectionMethod = null, string? fields = null)
    {
        GroupId = groupId;
        Type = type;
        Buckets = buckets;
        SelectionMethod = selectionMethod;
        Fields = fields;
    }

    public uint GroupId { get; }
    public GroupType Type { get; }
    public IReadOnlyList<GroupBucket> Buckets { get; }
    public string? SelectionMethod { get; }
    /// <summary>The fields(...) argument as written, if any (the hash always covers the 5-tuple here).</summary>
    public string? Fields { get; }

    /// <summary>The bucket a select group takes for a flow hash; null when no bucket has weight.</summary>
    public GroupBucket? Select(uint flowHash)
    {
        GroupBucket? best = null;
        ulong bestScore = 0;
        for (int i = 0; i < Buckets.Count; i++)
        {
            var b = Buckets[i];
            if (b.Weight == 0)
                continue;
            // Highest random weight: hash(flow, bucket) scaled by the weight.
            uint h = Mix(flowHash ^ (b.BucketId * 0x9E3779B9u));
            ulong score = (ulong)h * b.Weight;
            if (best is null || score > bestScore)
            {
                best = b;
                bestScore = score;
            }
        }
        return best;
    }

    private static uint Mix(uint x)
    {
        x ^= x >> 16;
        x *= 0x7feb352d;
        x ^= x >> 15;
        x *= 0x846ca68b;
        x ^= x >> 16;
        return x;
    }

    /// <summary>
    /// The group as <c>ovs-ofctl dump-groups</c> (OVS 3.1, its default OpenFlow 1.0 + NXM form) prints it:
    /// <c>group_id=N,type=select[,selection_method=M][,fields(...)]</c>, then each bucket as
    /// <c>bucket=bucket_id:I[,weight:W][,watch_port:P],actions=A</c> — the weight of a select bucket only when it
    /// is not 1 (OVS's default), fields by their canonical names (<c>tp_src</c> prints <c>tcp_src</c>), the actions
    /// as dump-flows prints them.
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
            sb.Append(",selection_method=").Append(SelectionMethod);
        if (Fields is not null)
            sb.Append(",fields(").AppendJoin(',', Fields.Split(',', StringSplitOptions.TrimEntries).Select(CanonicalField)).Append(')');
        foreach (var b in Buckets)
        {
            sb.Append(",bucket=bucket_id:").Append(b.BucketId);
            if (Type == GroupType.Select && b.Weight != 1)
                sb.Append(",weight:").Append(b.Weight);
            if (b.WatchPort is { } w)
                sb.Append(",watch_port:").Append(Classifier.FieldSyntax.FormatPort(w, ports));
            sb.Append(",actions=").Append(b.Actions.Format(ports));
        }
        return sb.ToString();
    }

    public override string ToString() => Format(null);

    // meta-flow's names for the aliases a fields(...) list may use (ovs-fields(7)).
    private static string CanonicalField(string name) => name switch
    {
        "tp_src" => "tcp_src",
        "tp_dst" => "tcp_dst",
        "nw_src" => "ip_src",
        "nw_dst" => "ip_dst",
        "dl_src" => "eth_src",
        "dl_dst" => "eth_dst",
        "dl_type" => "eth_type",
        _ => name,
    };
}
