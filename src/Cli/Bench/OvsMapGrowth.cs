namespace Datapath.Cli.Bench;

/// <summary>
/// When one of OVS's concurrent hash maps draws a random number. lib/cmap.c and lib/ccmap.c give each
/// new implementation (the bucket array) a hash basis from <c>random_uint32()</c>, the same per-thread
/// generator the ovstest benchmarks seed; so inserting rules into OVS's classifier consumes numbers
/// between the benchmark's own draws, and a faithful replay must consume them at the same moments.
/// A map draws when it is created with buckets (ccmap_init; cmap starts as the shared empty_cmap and
/// draws at its first insertion) and whenever an insertion finds it at its maximum load
/// (n &gt;= max_n, checked before the insertion) and doubles it.
/// </summary>
/// <remarks>
/// Not modelled: a cuckoo insertion or a rehash that finds no free slot and retries with a new basis
/// (a draw with the same mask). At load 85 % or less with a breadth-first search for a path this is
/// vanishingly rare, and it depends on hash values this replay does not compute.
/// </remarks>
internal struct OvsMapGrowth
{
    /// <summary>CMAP_K on 64-bit with 64-byte cache lines: (64 - 4) / 12 entries per bucket.</summary>
    public const int CmapEntriesPerBucket = 5;

    /// <summary>CCMAP_K: 64 / 8 entries per bucket.</summary>
    public const int CcmapEntriesPerBucket = 8;

    /// <summary>CMAP_MAX_LOAD and CCMAP_MAX_LOAD: 85 % as a fraction of 2^32, truncated as C truncates it.</summary>
    private static readonly uint s_maxLoad = (uint)(uint.MaxValue * .85);

    private readonly int _entriesPerBucket;
    private uint _mask;
    private uint _maxCount;
    private uint _count;

    private OvsMapGrowth(int entriesPerBucket, uint mask, uint maxCount)
    {
        _entriesPerBucket = entriesPerBucket;
        _mask = mask;
        _maxCount = maxCount;
    }

    /// <summary>cmap_init: the shared empty map (mask 0, max_n 0); no draw yet.</summary>
    public static OvsMapGrowth Cmap() => new(CmapEntriesPerBucket, 0, 0);

    /// <summary>ccmap_init: ccmap_impl_create(0), one draw.</summary>
    public static OvsMapGrowth Ccmap(ref OvsRandom random)
    {
        random.NextUInt32();
        return new(CcmapEntriesPerBucket, 0, MaxCount(CcmapEntriesPerBucket, 0));
    }

    /// <summary>
    /// cmap_insert (<paramref name="adds"/> always true) or ccmap_inc (<paramref name="adds"/>: the hash
    /// is new, so n_unique grows): doubles the map, drawing its new basis, when it is at its maximum.
    /// </summary>
    public void Insert(ref OvsRandom random, bool adds = true)
    {
        if (_count >= _maxCount)
        {
            _mask = (_mask << 1) | 1;
            _maxCount = MaxCount(_entriesPerBucket, _mask);
            random.NextUInt32();
        }
        if (adds)
            _count++;
    }

    /// <summary>calc_max_n.</summary>
    private static uint MaxCount(int entriesPerBucket, uint mask)
        => (uint)(((ulong)(mask + 1) * (ulong)entriesPerBucket * s_maxLoad) >> 32);
}
