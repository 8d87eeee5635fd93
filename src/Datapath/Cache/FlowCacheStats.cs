namespace Datapath.Engine.Cache;

/// <summary>
/// A node's flow cache counters over all its workers: passes that hit (and of those, in the exact-match
/// front), passes that missed and ran the slow path, flushes after bridge changes, passes that could
/// not be cached, and the megaflows held now.
/// </summary>
public readonly record struct FlowCacheStats(long Hits, long FrontHits, long Misses, long Flushes, long Uncacheable, long Entries)
{
    /// <summary>Hits over lookups, 0 when there were none.</summary>
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}
