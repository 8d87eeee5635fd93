namespace Datapath.Netfilter;

/// <summary>
/// A chain of one table: built-in (with a policy and policy counters) or user-defined. After COMMIT its
/// rules are frozen, split into dispatch segments and laid out in the table's <see cref="CompiledTable"/> as the
/// slots [First, End) (see <see cref="NetfilterEngine"/>).
/// </summary>
public sealed class Chain
{
    private long _policyPackets;
    private long _policyBytes;
    internal readonly List<Rule> PendingRules = [];
    internal Rule[] RuleArray = [];
    /// <summary>For each rule, the index of its segment in <see cref="Segments"/>, or -1 when scanned linearly.</summary>
    internal int[] SegmentOf = [];
    internal DispatchSegment[] Segments = [];
    /// <summary>The compiled table holding this chain's rules as slots [First, End), and this chain's index in it.</summary>
    internal CompiledTable? Program;
    internal int First;
    internal int End;
    internal int Index;
    /// <summary>The chains laid out depth-first under this one end at chain index BlockEndIndex, slot BlockEnd.</summary>
    internal int BlockEndIndex;
    internal int BlockEnd;

    internal Chain(NetfilterTable table, string name, bool builtin, NetfilterVerdict policy)
    {
        Table = table;
        Name = name;
        IsBuiltin = builtin;
        Policy = policy;
    }

    public NetfilterTable Table { get; }

    public string Name { get; }

    public bool IsBuiltin { get; }

    /// <summary>The chain's nf_tables handle (its declaration order in the table, from 1).</summary>
    public ulong Handle { get; internal set; }

    /// <summary>ACCEPT or DROP for built-in chains; ignored for user chains (<c>-</c> in iptables-save).</summary>
    public NetfilterVerdict Policy { get; internal set; }

    public IReadOnlyList<Rule> Rules => RuleArray;

    public long PolicyPackets => Volatile.Read(ref _policyPackets);

    public long PolicyBytes => Volatile.Read(ref _policyBytes);

    /// <summary>How many indexed segments this chain has (0: scanned linearly).</summary>
    public int IndexedSegmentCount => Segments.Length;

    internal void AddPolicyStats(int bytes)
    {
        Interlocked.Increment(ref _policyPackets);
        Interlocked.Add(ref _policyBytes, bytes);
    }

    internal void SetPolicyCounters(long packets, long bytes)
    {
        _policyPackets = packets;
        _policyBytes = bytes;
    }

    public override string ToString() => $"{Table.Name}:{Name}";
}
