using System.Runtime.InteropServices;
using Datapath.Netfilter.Matches;

namespace Datapath.Netfilter;

// Compiled table
// ==============
//
// What?
// -----
// The form of one committed table the engine walks: every rule of every chain as one flat struct in one array
// (the kernel's ipt_entry blob), so a first-packet decision touches a few adjacent cache lines instead of ~25
// scattered objects (Rule, its match list, each match, its target, the target's chain, the chain's arrays).
//
// Design
// ------
//  - Rules[]: one CompiledRule per rule. Each chain's rules are contiguous, [Chain.First, Chain.End). Chains are
//    laid out in depth-first order of their first jump from the built-in chains, so a kube-proxy service's
//    KUBE-SVC-* chain and its KUBE-SEP-* chains sit next to each other whatever order the file declares them in.
//  - A rule carries its header (addresses, protocol, fragment), the matches that can be folded into fields,
//    its target's arguments (jump target's range, mark, NAT range, reject type) and its counters. Folded: a
//    *prefix* of the rule's match list made of at most one tcp/udp and one mark match (pure, so their order
//    among themselves does not matter), optionally followed by one statistic --mode random. The rest of the
//    list (SlowMatches on the Rule object) runs after them, in order, so side effects (random draws, recent
//    lists, nth counters) happen exactly when they would in a linear scan of the original list.
//  - Segments[]: the dispatch segments (ChainCompiler) of all chains, with slots in Rules[] numbering.
//  - Objects[]: the Rule object of each slot (interfaces, slow matches, trace text); Chains[]: the Chain of
//    each chain index (trace only).
//
// Invariants
// ----------
//  - Rules[r.Slot] describes Rule r; Chains[c].First <= slot < Chains[c].End for the rules of chain c.
//  - Only counters (Packets, Bytes) and Segment (ChainCompiler.Linearize, tests only) change after COMMIT.
//  - A rule's Flags has SlowMatches exactly when Objects[slot].SlowMatches is not empty, Interfaces exactly when
//    it has -i or -o.
//
// Cost
// ----
// A rule with only folded matches is tested without leaving its struct (~96 bytes); counters are in the same
// struct, so counting a matched rule costs no further cache miss.
internal sealed class CompiledTable(CompiledRule[] rules, Rule[] objects, Chain[] chains, DispatchSegment[] segments)
{
    public readonly CompiledRule[] Rules = rules;
    public readonly Rule[] Objects = objects;
    public readonly Chain[] Chains = chains;
    public readonly DispatchSegment[] Segments = segments;
}

[Flags]
internal enum CompiledRuleFlags : ushort
{
    None = 0,
    SourceInvert = 1 << 0,
    DestinationInvert = 1 << 1,
    ProtocolInvert = 1 << 2,
    /// <summary>-i or -o given: tested on the Rule object.</summary>
    Interfaces = 1 << 3,
    FragmentLater = 1 << 4,
    FragmentHead = 1 << 5,
    /// <summary>A folded -m tcp/-m udp.</summary>
    Ports = 1 << 6,
    SourcePortInvert = 1 << 7,
    DestinationPortInvert = 1 << 8,
    TcpFlagInvert = 1 << 9,
    /// <summary>A folded -m mark.</summary>
    Mark = 1 << 10,
    MarkInvert = 1 << 11,
    /// <summary>A folded -m statistic --mode random.</summary>
    Random = 1 << 12,
    RandomInvert = 1 << 13,
    /// <summary>Matches that are not folded: Rule.SlowMatches, in order.</summary>
    SlowMatches = 1 << 14,

    /// <summary>Anything beyond addresses and protocol.</summary>
    Extra = Interfaces | FragmentLater | FragmentHead | Ports | Mark | Random | SlowMatches,
}

/// <summary>
/// One rule as the engine walks it (see the design comment of <see cref="CompiledTable"/>): 80 bytes, the
/// target's arguments overlaid (a rule has one target).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 80)]
internal struct CompiledRule
{
    // ---- header (ipt_ip)
    [FieldOffset(0)] public uint Source;
    [FieldOffset(4)] public uint SourceMask;
    [FieldOffset(8)] public uint Destination;
    [FieldOffset(12)] public uint DestinationMask;
    [FieldOffset(16)] public CompiledRuleFlags Flags;
    [FieldOffset(18)] public byte Protocol;
    [FieldOffset(19)] public TargetKind Kind;

    // ---- folded matches
    [FieldOffset(20)] public ushort SourcePortMin;
    [FieldOffset(22)] public ushort SourcePortMax;
    [FieldOffset(24)] public ushort DestinationPortMin;
    [FieldOffset(26)] public ushort DestinationPortMax;
    [FieldOffset(28)] public byte TcpFlagMask;
    [FieldOffset(29)] public byte TcpFlagCompare;
    [FieldOffset(30)] public RejectWith RejectWith;
    [FieldOffset(32)] public uint MarkMatchValue;
    [FieldOffset(36)] public uint MarkMatchMask;
    /// <summary>The kernel's u.random.probability (compared with a 31-bit draw).</summary>
    [FieldOffset(40)] public uint Probability;
    /// <summary>Index into CompiledTable.Segments, or -1 when the rule is scanned.</summary>
    [FieldOffset(44)] public int Segment;

    // ---- target arguments (one of)
    /// <summary>Jump/goto: the target chain's slots [JumpFirst, JumpEnd) ...</summary>
    [FieldOffset(48)] public int JumpFirst;
    [FieldOffset(52)] public int JumpEnd;
    /// <summary>... and the end of the contiguous block of chains laid out under it (prefetched on the jump).</summary>
    [FieldOffset(56)] public int JumpBlockEnd;
    /// <summary>MARK: mark = (mark &amp; ~MarkMask) ^ MarkValue.</summary>
    [FieldOffset(48)] public uint MarkValue;
    [FieldOffset(52)] public uint MarkMask;
    /// <summary>DNAT, SNAT, MASQUERADE.</summary>
    [FieldOffset(48)] public NatRange Nat;

    // ---- counters (Interlocked)
    [FieldOffset(64)] public long Packets;
    [FieldOffset(72)] public long Bytes;
}

/// <summary>
/// The hash index of one dispatch segment: (destination, protocol, destination port) → the slots of the rules
/// requiring exactly that, ascending. Open addressing with linear probing over a power-of-two array at most half
/// full; the first two candidates are stored in the entry itself (kube-proxy has two rules per service port in
/// KUBE-SERVICES), further ones in an overflow array. An entry is 32 bytes, two per cache line.
/// </summary>
internal sealed class DispatchIndex
{
    internal struct Entry
    {
        public ulong Key;
        /// <summary>Number of candidates; 0 marks an empty entry.</summary>
        public int Count;
        public int First;
        public int Second;
        /// <summary>Where candidates 3.. start in the overflow array.</summary>
        public int More;
        /// <summary>The slots [HintFirst, HintEnd) the last candidate jumps into (its chain and the chains laid out
        /// under it), prefetched together with the candidates; empty when it is not a jump.</summary>
        public int HintFirst;
        public int HintEnd;
    }

    private readonly Entry[] _entries;
    private readonly int[] _overflow;
    private readonly int _shift;

    public DispatchIndex(IReadOnlyList<(ulong Key, List<int> Slots)> groups, CompiledRule[] rules)
    {
        int capacity = 4;
        while (capacity < groups.Count * 2)
            capacity <<= 1;
        _entries = new Entry[capacity];
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)capacity);
        var overflow = new List<int>();
        foreach (var (key, slots) in groups)
        {
            int i = Home(key);
            while (_entries[i].Count != 0)
                i = (i + 1) & (capacity - 1);
            ref var e = ref _entries[i];
            e.Key = key;
            e.Count = slots.Count;
            e.First = slots[0];
            e.Second = slots.Count > 1 ? slots[1] : -1;
            e.More = overflow.Count;
            ref readonly var last = ref rules[slots[^1]];
            if (last.Kind is TargetKind.Jump or TargetKind.Goto)
            {
                e.HintFirst = last.JumpFirst;
                e.HintEnd = last.JumpBlockEnd;
            }
            for (int s = 2; s < slots.Count; s++)
                overflow.Add(slots[s]);
        }
        _overflow = [.. overflow];
    }

    public int KeyCount
    {
        get
        {
            int n = 0;
            foreach (ref readonly var e in _entries.AsSpan())
                n += e.Count != 0 ? 1 : 0;
            return n;
        }
    }

    private int Home(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> _shift);

    /// <summary>The entry for <paramref name="key"/>, or a null reference when no rule asks for it.</summary>
    public ref readonly Entry Find(ulong key)
    {
        var entries = _entries;
        int mask = entries.Length - 1;
        int i = Home(key);
        while (true)
        {
            ref readonly var e = ref entries[i];
            if (e.Count == 0)
                return ref System.Runtime.CompilerServices.Unsafe.NullRef<Entry>();
            if (e.Key == key)
                return ref e;
            i = (i + 1) & mask;
        }
    }

    /// <summary>Candidate <paramref name="n"/> (0-based) of an entry.</summary>
    public int Candidate(in Entry e, int n) => n switch
    {
        0 => e.First,
        1 => e.Second,
        _ => _overflow[e.More + n - 2],
    };
}
