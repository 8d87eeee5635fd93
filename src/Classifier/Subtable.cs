using System.Numerics;
using System.Runtime.CompilerServices;
using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>
/// All rules of one classifier that share one mask (OVS's cls_subtable): a hash table from the
/// masked key to the <see cref="MatchList"/> of rules with that identical match.
/// </summary>
/// <remarks>
/// Only the words the mask touches are hashed and compared (<see cref="Words"/> is precomputed).
/// Open addressing with linear probing; slots are only ever filled or replaced wholesale (resize,
/// tombstone sweep), so a lock-free reader sees either the old or the new array, both valid.
/// An emptied MatchList stays in its slot as a tombstone until the next sweep.
/// </remarks>
internal sealed class Subtable
{
    private MatchList?[] _slots = new MatchList?[8];
    private int _used;      // slots holding a list (live or tombstone)
    private int _tombstones;
    private readonly Dictionary<ushort, int> _priorities = [];
    private readonly SortedSet<ushort> _priorityOrder = [];
    private int _maxPriority = -1;

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
        Words = [.. words];
        MaskWords = [.. masks];
        Order = order;
    }

    /// <summary>Indices of the FlowKey words the mask touches.</summary>
    public int[] Words { get; }

    /// <summary>The mask's non-zero words, parallel to <see cref="Words"/>.</summary>
    public ulong[] MaskWords { get; }

    /// <summary>Creation order (ties between equal MaxPriority subtables are broken by it).</summary>
    public long Order { get; }

    public int RuleCount { get; private set; }

    /// <summary>Highest priority of any rule physically present (an upper bound for visible ones).</summary>
    public int MaxPriority => _maxPriority;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong h, ulong w)
    {
        w *= 0x87c37b91114253d5UL;
        w = BitOperations.RotateLeft(w, 31);
        w *= 0x4cf5ad432745937fUL;
        h ^= w;
        return (BitOperations.RotateLeft(h, 27) * 5) + 0x52dce729;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Finish(ulong h)
    {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong HashKey(in FlowKey key)
    {
        ref ulong k = ref KeyWords.Ref(in key, 0);
        int[] words = Words;
        ulong[] masks = MaskWords;
        ulong h = (ulong)words.Length;
        for (int j = 0; j < words.Length; j++)
            h = Mix(h, Unsafe.Add(ref k, words[j]) & masks[j]);
        return Finish(h);
    }

    private static ulong HashValues(ulong[] values)
    {
        ulong h = (ulong)values.Length;
        foreach (ulong v in values)
            h = Mix(h, v);
        return Finish(h);
    }

    /// <summary>ORs this subtable's mask into <paramref name="consulted"/> (the bits a lookup looked at).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Unwildcard(ref FlowKey consulted)
    {
        ref ulong c = ref Unsafe.As<FlowKey, ulong>(ref consulted);
        int[] words = Words;
        ulong[] masks = MaskWords;
        for (int j = 0; j < words.Length; j++)
            Unsafe.Add(ref c, words[j]) |= masks[j];
    }

    /// <summary>The list of rules whose match equals the key under this mask, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public MatchList? Find(in FlowKey key)
    {
        ulong h = HashKey(in key);
        MatchList?[] slots = Volatile.Read(ref _slots);
        int mask = slots.Length - 1;
        ref ulong k = ref KeyWords.Ref(in key, 0);
        int[] words = Words;
        ulong[] masks = MaskWords;
        for (int i = (int)h & mask; ; i = (i + 1) & mask)
        {
            MatchList? l = Volatile.Read(ref slots[i]);
            if (l is null)
                return null;
            if (l.Hash == h)
            {
                ulong[] values = l.Values;
                int j = 0;
                while (j < words.Length && (Unsafe.Add(ref k, words[j]) & masks[j]) == values[j])
                    j++;
                if (j == words.Length)
                    return l;
            }
        }
    }

    // ---- modifiers (single writer)

    private ulong[] MaskedValues(Match match)
    {
        ReadOnlySpan<ulong> v = KeyWords.Of(in match.Value);
        var values = new ulong[Words.Length];
        for (int j = 0; j < Words.Length; j++)
            values[j] = v[Words[j]] & MaskWords[j];
        return values;
    }

    /// <summary>The list for an identical match, or null.</summary>
    public MatchList? FindList(Match match)
    {
        ulong[] values = MaskedValues(match);
        ulong h = HashValues(values);
        MatchList?[] slots = _slots;
        int mask = slots.Length - 1;
        for (int i = (int)h & mask; ; i = (i + 1) & mask)
        {
            MatchList? l = slots[i];
            if (l is null)
                return null;
            if (l.Hash == h && l.Values.AsSpan().SequenceEqual(values))
                return l;
        }
    }

    public void Insert(FlowRule rule)
    {
        MatchList? list = FindList(rule.Match);
        if (list is null)
        {
            if ((_used + 1) * 2 > _slots.Length)
                Rehash(Math.Max(8, (int)BitOperations.RoundUpToPowerOf2((uint)((_used - _tombstones + 1) * 4))));
            ulong[] values = MaskedValues(rule.Match);
            list = new MatchList(values, HashValues(values));
            MatchList?[] slots = _slots;
            int mask = slots.Length - 1;
            int i = (int)list.Hash & mask;
            while (slots[i] is not null)
                i = (i + 1) & mask;
            list.Add(rule);
            Volatile.Write(ref slots[i], list);
            _used++;
        }
        else
        {
            if (list.Rules.Length == 0)
                _tombstones--;
            list.Add(rule);
        }
        rule.List = list;
        RuleCount++;
        int count = _priorities.GetValueOrDefault(rule.Priority);
        _priorities[rule.Priority] = count + 1;
        if (count == 0)
            _priorityOrder.Add(rule.Priority);
        if (rule.Priority > _maxPriority)
            _maxPriority = rule.Priority;
    }

    public void Remove(FlowRule rule)
    {
        MatchList? list = rule.List;
        if (list is null || !list.Remove(rule))
            return;
        RuleCount--;
        int n = _priorities[rule.Priority] - 1;
        if (n == 0)
        {
            _priorities.Remove(rule.Priority);
            _priorityOrder.Remove(rule.Priority);
            if (rule.Priority == _maxPriority)
                _maxPriority = _priorityOrder.Count == 0 ? -1 : _priorityOrder.Max;
        }
        else
        {
            _priorities[rule.Priority] = n;
        }
        if (list.Rules.Length == 0)
        {
            _tombstones++;
            if (_tombstones > 16 && _tombstones * 2 > _used)
                Rehash(Math.Max(8, (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, (_used - _tombstones) * 4))));
        }
    }

    private void Rehash(int size)
    {
        var slots = new MatchList?[size];
        int mask = size - 1;
        int used = 0;
        foreach (MatchList? l in _slots)
        {
            if (l is null || l.Rules.Length == 0)
                continue;
            int i = (int)l.Hash & mask;
            while (slots[i] is not null)
                i = (i + 1) & mask;
            slots[i] = l;
            used++;
        }
        Volatile.Write(ref _slots, slots);
        _used = used;
        _tombstones = 0;
    }

    /// <summary>Every rule physically present (writer side).</summary>
    public IEnumerable<FlowRule> AllRules()
    {
        foreach (MatchList? l in _slots)
        {
            if (l is null)
                continue;
            foreach (FlowRule r in l.Rules)
                yield return r;
        }
    }
}
