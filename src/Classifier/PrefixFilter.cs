using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Datapath.Classifier;

/// <summary>
/// For one 32-bit prefix field (nw_src or nw_dst, OVS's default "prefixes"), which prefix
/// lengths could match a key: OVS's prefix tries (classifier.c) reduced to what a lookup needs.
/// </summary>
/// <remarks>
/// <para>Data structure.  Writer side: per prefix length L (1..32) in use by some rule whose mask
/// on the field is the CIDR prefix /L, a count of rules per distinct L-bit prefix.  Reader side,
/// a published <see cref="Snapshot"/>: per such L a bitmap (all levels in one <c>ulong[]</c>)
/// with a bit set for every prefix present.  A level is direct (2^L bits, bit = prefix, exact)
/// when that is no larger than 16 bits per distinct prefix, else hashed (a multiplicative hash of
/// the prefix, 16 to 32 bits per distinct prefix, about 1 in 16 false positives).
/// <see cref="Alive(PlanLevel[], ulong[], ulong, uint)"/> answers with the union of the plan's
/// subtable sets of the lengths at which some rule could have the key's top L bits (and of length
/// 0, "no prefix constraint", always).</para>
/// <para>Invariants: no false negatives for any rule physically present (its bit is set before
/// the rule becomes visible); a hashed bit is cleared only when its count of prefixes is zero;
/// a resize or a new level builds a whole new Snapshot from the counts and publishes it at once.
/// Lookups read the snapshot through the classifier's plan, after the version they look up in
/// (see <see cref="FlowClassifier"/>): Add and Remove say when they replaced the snapshot, and
/// the classifier then publishes a new plan before any version that needs it; bits are set only
/// in the current snapshot.  Bits are cleared only while purging, when
/// overlapping lookups run again.</para>
/// </remarks>
internal sealed class PrefixFilter
{
    private const uint HashMultiplier = 0x9E3779B1u;

    /// <summary>One prefix length's bitmap in <see cref="Snapshot.Bits"/>.</summary>
    internal struct Level
    {
        /// <summary>The prefix length L (1..32).</summary>
        public int Length;
        /// <summary>32 - L: the key value shifted right by it is the prefix.</summary>
        public int PrefixShift;
        /// <summary>1 for a direct level, <see cref="HashMultiplier"/> for a hashed one.</summary>
        public uint Multiplier;
        /// <summary>Right shift of the (multiplied) prefix giving the bit index: 0 direct, 32 - log2(bits) hashed.</summary>
        public int IndexShift;
        /// <summary>First word of this level's bitmap.</summary>
        public int Offset;
    }

    /// <summary>A published, immutable-shaped view: the levels in use and their bitmaps (bits may be set or cleared in place by the writer).</summary>
    internal sealed class Snapshot
    {
        public static readonly Snapshot Empty = new([], []);

        public readonly Level[] Levels;
        public readonly ulong[] Bits;

        public Snapshot(Level[] levels, ulong[] bits)
        {
            Levels = levels;
            Bits = bits;
        }
    }

    /// <summary>Writer-side state of one prefix length.</summary>
    private sealed class LevelState
    {
        public readonly Dictionary<uint, int> Prefixes = [];
        public int Rules;
        /// <summary>Per bit: how many distinct prefixes hash to it (hashed levels only).</summary>
        public int[]? BitCounts;
        public int SizeLog2;
        public int Offset;

        public bool Direct(int length) => SizeLog2 == length;
    }

    private readonly LevelState?[] _levels = new LevelState?[33];
    private Snapshot _snapshot = Snapshot.Empty;

    /// <summary>The current snapshot (read it after the lookup's version).</summary>
    public Snapshot Current => Volatile.Read(ref _snapshot);

    /// <summary>Prefix lengths with at least one rule.</summary>
    public int LevelCount => Current.Levels.Length;

    /// <summary>
    /// The prefix length of a mask on the field: L for a CIDR mask /L (L &gt;= 1), 0 for no mask or
    /// a mask that is not a prefix (such a subtable is never skipped by this filter).
    /// </summary>
    public static int PrefixLength(uint mask)
    {
        int ones = BitOperations.PopCount(mask);
        return ones > 0 && BitOperations.LeadingZeroCount(~mask) == ones ? ones : 0;
    }

    /// <summary>A level as a lookup of a plan of at most 64 subtables reads it: with the set of plan positions whose mask has this length.</summary>
    internal struct PlanLevel
    {
        public ulong Set;
        public int PrefixShift;
        public uint Multiplier;
        public int IndexShift;
        public int Offset;
    }

    /// <summary>The snapshot's levels with the plan's position sets (sets: one word per length 0..32).</summary>
    public static PlanLevel[] PlanLevels(Snapshot s, ulong[] sets)
    {
        var levels = new PlanLevel[s.Levels.Length];
        for (int i = 0; i < levels.Length; i++)
        {
            Level l = s.Levels[i];
            levels[i] = new PlanLevel
            {
                Set = sets[l.Length],
                PrefixShift = l.PrefixShift,
                Multiplier = l.Multiplier,
                IndexShift = l.IndexShift,
                Offset = l.Offset,
            };
        }
        return levels;
    }

    /// <summary>
    /// <paramref name="alive"/> (the positions without a prefix on the field) ORed with the set of
    /// every level at which some rule may have <paramref name="value"/>'s top bits (no false
    /// negatives).  <paramref name="bits"/> is the snapshot's Bits the levels were made from.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Alive(PlanLevel[] levels, ulong[] bits, ulong alive, uint value)
    {
        ref ulong b0 = ref MemoryMarshal.GetArrayDataReference(bits);
        ref PlanLevel l0 = ref MemoryMarshal.GetArrayDataReference(levels);
        for (int i = 0; i < levels.Length; i++)
        {
            ref PlanLevel l = ref Unsafe.Add(ref l0, i);
            uint index = ((value >> l.PrefixShift) * l.Multiplier) >> l.IndexShift;
            // Index < 2^SizeLog2 and the level's words are in bits by construction.
            ulong pass = (Unsafe.Add(ref b0, l.Offset + (int)(index >> 6)) >> (int)(index & 63)) & 1;
            alive |= l.Set & (0 - pass);
        }
        return alive;
    }

    /// <summary><see cref="Alive(PlanLevel[], ulong[], ulong, uint)"/> for plans of more than 64 subtables: sets of several words (<paramref name="alive"/>.Length per length).</summary>
    public static void Alive(Snapshot s, uint value, ulong[] sets, Span<ulong> alive)
    {
        int words = alive.Length;
        sets.AsSpan(0, words).CopyTo(alive);
        foreach (ref readonly Level l in s.Levels.AsSpan())
        {
            if (Pass(ref MemoryMarshal.GetArrayDataReference(s.Bits), in l, value) == 0)
                continue;
            ReadOnlySpan<ulong> set = sets.AsSpan(l.Length * words, words);
            for (int w = 0; w < words; w++)
                alive[w] |= set[w];
        }
    }

    /// <summary>1 when level <paramref name="l"/>'s bit for the value's prefix is set, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Pass(ref ulong bits, in Level l, uint value)
    {
        uint index = ((value >> l.PrefixShift) * l.Multiplier) >> l.IndexShift;
        // Index < 2^SizeLog2 and the level's words are in Bits by construction.
        ulong word = Unsafe.Add(ref bits, l.Offset + (int)(index >> 6));
        return (word >> (int)(index & 63)) & 1;
    }

    /// <summary>
    /// Records a rule with prefix <paramref name="value"/>/<paramref name="length"/> (writer; before
    /// the rule is visible).  True when a new snapshot replaced the current one (the caller must
    /// publish lookups' view of it before the rule's version).
    /// </summary>
    public bool Add(int length, uint value)
    {
        if (length == 0)
            return false;
        uint prefix = Prefix(value, length);
        LevelState? l = _levels[length];
        if (l is null)
        {
            l = _levels[length] = new LevelState();
            l.Prefixes[prefix] = 1;
            l.Rules = 1;
            Rebuild();
            return true;
        }
        l.Rules++;
        ref int count = ref CollectionsMarshal.GetValueRefOrAddDefault(l.Prefixes, prefix, out bool existed);
        count++;
        if (existed)
            return false;
        if (!l.Direct(length) && l.Prefixes.Count * 16 > (1 << l.SizeLog2))
        {
            Rebuild();
            return true;
        }
        uint index = IndexOf(l, length, prefix);
        if (l.BitCounts is not null)
            l.BitCounts[index]++;
        ulong[] bits = _snapshot.Bits;
        int at = l.Offset + (int)(index >> 6);
        Volatile.Write(ref bits[at], bits[at] | (1UL << (int)(index & 63)));
        return false;
    }

    /// <summary>
    /// Forgets a rule recorded by <see cref="Add"/> (writer; only while no lookup can still see it,
    /// i.e. purging).  True when a new snapshot replaced the current one.
    /// </summary>
    public bool Remove(int length, uint value)
    {
        if (length == 0)
            return false;
        uint prefix = Prefix(value, length);
        LevelState? l = _levels[length];
        if (l is null || !l.Prefixes.TryGetValue(prefix, out int count))
            return false;
        l.Rules--;
        if (count > 1)
        {
            l.Prefixes[prefix] = count - 1;
            return false;
        }
        l.Prefixes.Remove(prefix);
        if (l.Rules == 0)
        {
            _levels[length] = null;
            Rebuild();
            return true;
        }
        uint index = IndexOf(l, length, prefix);
        if (l.BitCounts is not null && --l.BitCounts[index] > 0)
            return false;
        ulong[] bits = _snapshot.Bits;
        int at = l.Offset + (int)(index >> 6);
        Volatile.Write(ref bits[at], bits[at] & ~(1UL << (int)(index & 63)));
        return false;
    }

    private static uint Prefix(uint value, int length) => value >> (32 - length);

    private static uint IndexOf(LevelState l, int length, uint prefix)
        => l.Direct(length) ? prefix : (prefix * HashMultiplier) >> (32 - l.SizeLog2);

    /// <summary>Lays out every level afresh (sizes from the prefix counts) and publishes the new snapshot.</summary>
    private void Rebuild()
    {
        var levels = new List<Level>();
        int words = 0;
        for (int length = 1; length <= 32; length++)
        {
            if (_levels[length] is not { } l)
                continue;
            // 32 bits per distinct prefix (at least 64 bits), direct when 2^L is no more.
            int wanted = (int)BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)Math.Max(64, l.Prefixes.Count * 32)));
            l.SizeLog2 = Math.Min(length, wanted);
            l.Offset = words;
            words += Math.Max(1, (1 << l.SizeLog2) >> 6);
            levels.Add(new Level
            {
                Length = length,
                PrefixShift = 32 - length,
                Multiplier = l.Direct(length) ? 1u : HashMultiplier,
                IndexShift = l.Direct(length) ? 0 : 32 - l.SizeLog2,
                Offset = l.Offset,
            });
        }
        var bits = new ulong[Math.Max(1, words)];
        for (int length = 1; length <= 32; length++)
        {
            if (_levels[length] is not { } l)
                continue;
            l.BitCounts = l.Direct(length) ? null : new int[1 << l.SizeLog2];
            foreach (uint prefix in l.Prefixes.Keys)
            {
                uint index = IndexOf(l, length, prefix);
                if (l.BitCounts is not null)
                    l.BitCounts[index]++;
                bits[l.Offset + (int)(index >> 6)] |= 1UL << (int)(index & 63);
            }
        }
        Volatile.Write(ref _snapshot, new Snapshot([.. levels], bits));
    }
}
