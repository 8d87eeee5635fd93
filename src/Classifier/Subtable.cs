using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>
/// All rules of one classifier that share one mask (OVS's cls_subtable): a hash table from the
/// masked key to the <see cref="MatchList"/> of rules with that identical match.
/// </summary>
/// <remarks>
/// <para>Layout (chosen so that a probe touches as few cache lines as possible).  Only the words the
/// mask touches are hashed and compared (<see cref="_words"/> is precomputed).  A published
/// <see cref="Table"/> holds struct arrays indexed two ways:</para>
/// <list type="bullet">
/// <item><c>Slots</c>, open addressing with linear probing, one <c>ulong</c> per slot:
/// <c>fingerprint &lt;&lt; 32 | (list index + 1)</c>, 0 = empty.  A miss, the common case, reads one
/// or two adjacent slots and nothing else.</item>
/// <item>Dense per-list arrays: the masked values (<c>Values</c>, stride = mask word count), the
/// head rule (<c>Heads</c>: the list's first rule, the answer unless it is not yet or no longer
/// visible) and the <see cref="MatchList"/> itself (consulted only when the head is not visible).
/// A hit reads the slot, the values, the head and the head rule.</item>
/// <item><c>Filter</c>, read before any of the above (the classifier's plan holds it): blocks of
/// two words, a Bloom word (3 bits per list, 8 lists of capacity per block) and four 16-bit
/// priority lanes, each the highest priority of the lists hashed to it.  No false negatives, and
/// a lane never understates (it only grows; removals leave it stale until the next rebuild).  Bits
/// and lane are written before the slot is published.</item>
/// </list>
/// <para>Lock-free readers: a list index is written (values, list, head) before the slot that
/// points at it is published with a release write, and is never reused within one Table.  An
/// emptied MatchList stays as a tombstone (head null) until the next rebuild; rebuilds (growth,
/// tombstone sweep) make a whole new Table and publish it at once, so a reader sees either the old
/// or the new one, both valid.  Heads are rewritten after the list's Rules array and before the
/// version clock is published, so a head a reader sees is either right or a rule it cannot see
/// (then it falls back to <see cref="MatchList.FirstVisible"/>).</para>
/// </remarks>
internal sealed class Subtable
{
    private readonly int[] _words;
    private readonly ulong[] _maskWords;
    private Table _table;
    private int _live;      // lists with at least one rule
    private int _tombstones;
    private readonly Dictionary<ushort, int> _priorities = [];   // rules per priority
    private int _maxPriority = -1;

    /// <summary>One published generation of the hash table (see the type remarks).</summary>
    internal sealed class Table
    {
        public readonly ulong[] Slots;
        public readonly ulong[] Values;
        public readonly MatchList?[] Lists;
        public readonly FlowRule?[] Heads;
        public readonly ulong[] Filter;
        public int Count;   // list indices handed out (writer side)

        public Table(int slotCount, int wordCount)
        {
            Slots = new ulong[slotCount];
            int capacity = slotCount / 2;
            Filter = new ulong[2 * Math.Max(1, capacity / FilterEntriesPerBlock)];
            Values = new ulong[capacity * Math.Max(1, wordCount)];
            Lists = new MatchList?[capacity];
            Heads = new FlowRule?[capacity];
        }

        public int Capacity => Lists.Length;
    }

    public Subtable(ReadOnlySpan<ulong> mask, long order)
    {
        var words = new List<int>();
        var masks = new List<ulong>();
        for (int i = 0; i < mask.Length; i++)
        {
            if (mask[i] != 0)
            {
                words.Add(i);
                masks.Add(mask[i]);
            }
        }
        _words = [.. words];
        _maskWords = [.. masks];
        Order = order;
        ulong nw = mask[KeyWords.Nw];
        SrcPrefixLength = PrefixFilter.PrefixLength((uint)nw);
        DstPrefixLength = PrefixFilter.PrefixLength((uint)(nw >> 32));
        _table = new Table(8, _words.Length);
    }

    /// <summary>Indices of the FlowKey words the mask touches.</summary>
    public int[] Words => _words;

    /// <summary>The mask's non-zero words, parallel to <see cref="Words"/>.</summary>
    public ulong[] MaskWords => _maskWords;

    /// <summary>The mask's nw_src CIDR prefix length (0: none, or not a prefix; see <see cref="PrefixFilter"/>).</summary>
    public int SrcPrefixLength { get; }

    /// <summary>The mask's nw_dst CIDR prefix length.</summary>
    public int DstPrefixLength { get; }

    /// <summary>Creation order (ties between equal MaxPriority subtables are broken by it).</summary>
    public long Order { get; }

    public int RuleCount { get; private set; }

    /// <summary>Highest priority of any rule physically present (an upper bound for visible ones).</summary>
    public int MaxPriority => _maxPriority;

    // ---- hashing: one independent multiply per masked word (they overlap in the pipeline; the
    // classifier may compute them as the lanes of one vector multiply), summed, then one
    // xor-shift-multiply round.  Bits 32..63 are the slot fingerprint, the low bits the home
    // slot, bits 40.. the filter word and bits 0..17 the three filter bits.

    /// <summary>Capacity entries per filter block (16 filter bits per list the table can hold).</summary>
    private const int FilterEntriesPerBlock = 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Term(ulong v, int word) => v * Multiplier(word);

    /// <summary>The odd multiplier of FlowKey word <paramref name="word"/> (the same in every subtable, so the classifier's vector lanes have one multiplier each).</summary>
    internal static ulong Multiplier(int word) => 0x9E3779B97F4A7C15UL + ((ulong)word << 33) + ((ulong)word << 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Finish(ulong h)
    {
        // One xor-shift-multiply round: the terms are products already (their high bits mixed).
        h ^= h >> 32;
        h *= 0xd6e8feb86659fd93UL;
        h ^= h >> 32;
        return h;
    }

    /// <summary>The hash of masked values: the sum of <see cref="Term"/> over the mask's words, finished.</summary>
    private ulong HashValues(ReadOnlySpan<ulong> values)
    {
        ulong h = 0;
        for (int j = 0; j < values.Length && j < _words.Length; j++)
            h += Term(values[j], _words[j]);
        return Finish(h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Fingerprint(ulong h) => (h >> 32) << 32;

    // ---- the filter (see the type remarks): blocks of two words, [Bloom bits, 4 x 16-bit priority lanes].

    /// <summary>The three bits of the block's Bloom word that a hash sets (k = 3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong FilterBits(ulong h) => (1UL << (int)h) | (1UL << (int)(h >> 6)) | (1UL << (int)(h >> 12));

    /// <summary>Index of the block's first word in a filter of <paramref name="filterLength"/> words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int FilterBlock(ulong h, int filterLength) => ((int)(h >> 40) & ((filterLength >> 1) - 1)) << 1;

    /// <summary>Bit offset of the hash's 16-bit priority lane in the block's second word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int FilterLane(ulong h) => (int)(h >> 14) & 0x30;

    /// <summary>
    /// An upper bound of the priority of any rule of this subtable whose match the key (hashing to
    /// <paramref name="h"/>) can equal, or -1 when there is none (no false negatives).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int FilterBound(ulong[] filter, ulong h) => FilterBound(filter, (filter.Length >> 1) - 1, h);

    /// <summary><see cref="FilterBound(ulong[], ulong)"/> with the block mask (filter.Length / 2 - 1) known.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int FilterBound(ulong[] filter, int blockMask, ulong h)
    {
        // filter.Length is a power of two >= 2 (see Table), so the block is in range.
        ref ulong block = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(filter), ((int)(h >> 40) & blockMask) << 1);
        ulong bits = FilterBits(h);
        // Branch-free, so that the filter loads of a batch overlap instead of waiting on
        // mispredicted branches: absent = all ones when a bit is missing, else zero.
        ulong missing = (block & bits) ^ bits;
        int absent = (int)((missing | (0 - missing)) >> 63) * -1;
        return (int)(ushort)(Unsafe.Add(ref block, 1) >> FilterLane(h)) | absent;
    }

    /// <summary>Records a list hashing to <paramref name="h"/> whose rules reach <paramref name="priority"/>.</summary>
    private static void FilterAdd(ulong[] filter, ulong h, ushort priority)
    {
        int at = FilterBlock(h, filter.Length);
        int lane = FilterLane(h);
        ulong p = filter[at + 1];
        if ((ushort)(p >> lane) < priority)
            Volatile.Write(ref filter[at + 1], (p & ~(0xFFFFUL << lane)) | ((ulong)priority << lane));
        Volatile.Write(ref filter[at], filter[at] | FilterBits(h));
    }

    /// <summary>The current table (the classifier's plan holds it and its filter; see <see cref="Rebuilt"/>).</summary>
    public Table Current => _table;

    /// <summary>Set when a rebuild replaced the table (and its filter); the classifier republishes its plan and clears it.</summary>
    public bool Rebuilt { get; set; }

    /// <summary>
    /// The first rule visible in <paramref name="version"/> whose match equals the key under this
    /// mask (the head of the identical-match list, as OVS's find_match_wc), or null.
    /// <paramref name="t"/> is a table of the subtable (the plan's), <paramref name="k"/> the key's
    /// first word, <paramref name="words"/> the first of the mask's <paramref name="n"/> words in
    /// value order, and <paramref name="h"/> the hash of the key's masked words.
    /// </summary>
    public static FlowRule? FindVisible(Table t, ref ulong k, ref HashWord words, int n, ulong h, long version)
    {
        ulong[] slots = t.Slots;
        ulong fp = Fingerprint(h);
        int slotMask = slots.Length - 1;
        for (int i = (int)h & slotMask; ; i = (i + 1) & slotMask)
        {
            ulong s = Volatile.Read(ref slots[i]);
            if (s == 0)
                return null;
            if ((s & 0xFFFF_FFFF_0000_0000UL) != fp)
                continue;
            int index = (int)(uint)s - 1;
            ulong[] values = t.Values;
            int at = index * n;
            if ((uint)(at + n) > (uint)values.Length)
                return null;
            ref ulong v = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(values), at);
            int j = 0;
            while (j < n)
            {
                ref HashWord w = ref Unsafe.Add(ref words, j);
                if ((Unsafe.Add(ref k, w.Word) & w.Mask) != Unsafe.Add(ref v, j))
                    break;
                j++;
            }
            if (j != n)
                continue;
            FlowRule? head = t.Heads[index];
            if (head is not null && head.IsVisibleIn(version))
                return head;
            return t.Lists[index]?.FirstVisible(version);
        }
    }

    // ---- modifiers (single writer)

    private ulong[] MaskedValues(Match match)
    {
        ReadOnlySpan<ulong> v = KeyWords.Of(in match.Value);
        var values = new ulong[_words.Length];
        for (int j = 0; j < _words.Length; j++)
            values[j] = v[_words[j]] & _maskWords[j];
        return values;
    }

    private int FindIndex(Table t, ReadOnlySpan<ulong> values, ulong h)
    {
        ulong[] slots = t.Slots;
        int n = _words.Length;
        ulong fp = Fingerprint(h);
        int slotMask = slots.Length - 1;
        for (int i = (int)h & slotMask; ; i = (i + 1) & slotMask)
        {
            ulong s = slots[i];
            if (s == 0)
                return -1;
            if ((s & 0xFFFF_FFFF_0000_0000UL) != fp)
                continue;
            int index = (int)(uint)s - 1;
            if (t.Values.AsSpan(index * n, n).SequenceEqual(values))
                return index;
        }
    }

    /// <summary>The current filter's bound for <paramref name="match"/>'s masked value (writer side).</summary>
    public int FilterBoundOf(Match match) => FilterBound(_table.Filter, HashValues(MaskedValues(match)));

    /// <summary>The list for an identical match, or null.</summary>
    public MatchList? FindList(Match match)
    {
        ulong[] values = MaskedValues(match);
        Table t = _table;
        int index = FindIndex(t, values, HashValues(values));
        return index < 0 ? null : t.Lists[index];
    }

    public void Insert(FlowRule rule)
    {
        ulong[] values = MaskedValues(rule.Match);
        ulong h = HashValues(values);
        Table t = _table;
        int index = FindIndex(t, values, h);
        MatchList list;
        if (index < 0)
        {
            if (t.Count == t.Capacity)
            {
                Rebuild(Math.Max(8, (int)BitOperations.RoundUpToPowerOf2((uint)((_live + 1) * 4))));
                t = _table;
            }
            list = new MatchList(values, h);
            list.Add(rule);
            index = t.Count++;
            list.Index = index;
            values.CopyTo(t.Values.AsSpan(index * _words.Length));
            t.Lists[index] = list;
            t.Heads[index] = rule;
            PublishSlot(t, h, index, release: true);
            _live++;
        }
        else
        {
            list = t.Lists[index]!;
            if (list.Rules.Length == 0)
            {
                _tombstones--;
                _live++;
            }
            list.Add(rule);
            FilterAdd(t.Filter, h, list.Rules[0].Priority);
            Volatile.Write(ref t.Heads[index], list.Rules[0]);
        }
        rule.List = list;
        RuleCount++;
        ref int count = ref CollectionsMarshal.GetValueRefOrAddDefault(_priorities, rule.Priority, out _);
        count++;
        if (rule.Priority > _maxPriority)
            _maxPriority = rule.Priority;
    }

    private static void PublishSlot(Table t, ulong h, int index, bool release)
    {
        // The filter first: a reader that finds the slot must also pass the filter.
        FilterAdd(t.Filter, h, t.Lists[index]!.Rules[0].Priority);
        ulong[] slots = t.Slots;
        int slotMask = slots.Length - 1;
        int i = (int)h & slotMask;
        while (slots[i] != 0)
            i = (i + 1) & slotMask;
        ulong s = Fingerprint(h) | (uint)(index + 1);
        if (release)
            Volatile.Write(ref slots[i], s);
        else
            slots[i] = s;
    }

    public void Remove(FlowRule rule)
    {
        MatchList? list = rule.List;
        if (list is null || !list.Remove(rule))
            return;
        Table t = _table;
        FlowRule[] rules = list.Rules;
        if ((uint)list.Index < (uint)t.Count && ReferenceEquals(t.Lists[list.Index], list))
            Volatile.Write(ref t.Heads[list.Index], rules.Length == 0 ? null : rules[0]);
        RuleCount--;
        int n = _priorities[rule.Priority] - 1;
        if (n == 0)
        {
            _priorities.Remove(rule.Priority);
            // As OVS: when the last rule of the max priority goes, find the next one by a scan
            // (rare; the max is an upper bound that lookups order and stop by).
            if (rule.Priority == _maxPriority)
            {
                _maxPriority = -1;
                foreach (ushort p in _priorities.Keys)
                    _maxPriority = Math.Max(_maxPriority, p);
            }
        }
        else
        {
            _priorities[rule.Priority] = n;
        }
        if (rules.Length == 0)
        {
            _tombstones++;
            _live--;
            if (_tombstones > 16 && _tombstones * 2 > t.Count)
                Rebuild(Math.Max(8, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, _live * 4))));
        }
    }

    /// <summary>Builds a new table of <paramref name="slotCount"/> slots holding the live lists, and publishes it.</summary>
    private void Rebuild(int slotCount)
    {
        Table old = _table;
        var t = new Table(slotCount, _words.Length);
        int n = _words.Length;
        for (int i = 0; i < old.Count; i++)
        {
            MatchList? l = old.Lists[i];
            if (l is null || l.Rules.Length == 0)
                continue;
            int index = t.Count++;
            l.Index = index;
            old.Values.AsSpan(i * n, n).CopyTo(t.Values.AsSpan(index * n));
            t.Lists[index] = l;
            t.Heads[index] = l.Rules[0];
            PublishSlot(t, l.Hash, index, release: false);
        }
        Volatile.Write(ref _table, t);
        Rebuilt = true;
        _tombstones = 0;
        _live = t.Count;
    }

    /// <summary>Every rule physically present (writer side).</summary>
    public IEnumerable<FlowRule> AllRules()
    {
        Table t = _table;
        for (int i = 0; i < t.Count; i++)
        {
            if (t.Lists[i] is not { } l)
                continue;
            foreach (FlowRule r in l.Rules)
                yield return r;
        }
    }
}
