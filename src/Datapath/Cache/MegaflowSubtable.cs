using System.Runtime.CompilerServices;
using Datapath.Packets;

namespace Datapath.Engine.Cache;

/// <summary>
/// The megaflows of one partition that share one mask (dpif-netdev's dpcls subtable): an
/// open-addressing table of entries keyed by the hash of the masked key, probed linearly.
/// Only the mask's non-zero words are hashed and compared (<see cref="Words"/>).
/// </summary>
/// <remarks>Owned by one worker. Entries are only added; the whole cache is flushed to remove them.</remarks>
internal sealed class MegaflowSubtable
{
    private MegaflowEntry?[] _slots = new MegaflowEntry?[16];
    private ulong[] _hashes = new ulong[16];

    public MegaflowSubtable(in FlowKey mask)
    {
        Mask = mask;
        var words = new List<int>();
        ReadOnlySpan<ulong> m = MegaflowEntry.MemoryMarshalWords(in mask);
        for (int w = 0; w < FlowKey.WordCount - 1; w++)
        {
            if (m[w] != 0)
                words.Add(w);
        }
        Words = [.. words];
    }

    public FlowKey Mask;
    /// <summary>The words the mask touches, ascending.</summary>
    public int[] Words { get; }
    public int Count { get; private set; }
    /// <summary>Hits, for ordering the partition's subtables (most hit first, as dpcls ranks them).</summary>
    public long Hits;

    /// <summary>The hash of <paramref name="key"/> under <paramref name="mask"/> over <paramref name="words"/> (independent multiplies, then a mix).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(in FlowKey key, in FlowKey mask, ReadOnlySpan<int> words)
    {
        ReadOnlySpan<ulong> k = MegaflowEntry.MemoryMarshalWords(in key), m = MegaflowEntry.MemoryMarshalWords(in mask);
        ulong h = 0;
        foreach (int w in words)
            h += Term(k[w] & m[w], w);
        return Finish(h);
    }

    /// <summary>One word's share of a key hash (independent multiplies, so the loop pipelines).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Term(ulong value, int word) => (value ^ (ulong)word) * 0x9E3779B97F4A7C15UL + (ulong)word;

    /// <summary>The final mix of a sum of <see cref="Term"/>s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Finish(ulong h)
    {
        h ^= h >> 32;
        h *= 0xD6E8FEB86659FD93UL;
        return h ^ (h >> 29);
    }

    public MegaflowEntry? Find(in FlowKey key)
    {
        ulong h = Hash(in key, in Mask, Words);
        int mask = _slots.Length - 1;
        for (int i = (int)h & mask; ; i = (i + 1) & mask)
        {
            var e = _slots[i];
            if (e is null)
                return null;
            if (_hashes[i] == h && e.Matches(in key, Words))
                return e;
        }
    }

    /// <summary>Adds <paramref name="entry"/> (its Value and Hash set for this mask), replacing an equal one.</summary>
    public void Add(MegaflowEntry entry)
    {
        if ((Count + 1) * 2 > _slots.Length)
            Grow();
        Insert(entry);
    }

    private void Insert(MegaflowEntry entry)
    {
        int mask = _slots.Length - 1;
        for (int i = (int)entry.Hash & mask; ; i = (i + 1) & mask)
        {
            var e = _slots[i];
            if (e is null)
            {
                _slots[i] = entry;
                _hashes[i] = entry.Hash;
                Count++;
                return;
            }
            if (_hashes[i] == entry.Hash && e.Matches(in entry.Value, Words))
            {
                _slots[i] = entry;
                return;
            }
        }
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new MegaflowEntry?[old.Length * 2];
        _hashes = new ulong[old.Length * 2];
        Count = 0;
        foreach (var e in old)
        {
            if (e is not null)
                Insert(e);
        }
    }

    public IEnumerable<MegaflowEntry> Entries => _slots.Where(e => e is not null)!;
}
