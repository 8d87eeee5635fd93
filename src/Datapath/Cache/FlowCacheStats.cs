namespace Datapath.Engine.Cache;

/// <summary>
/// A node's flow cache counters over all its workers: passes that hit (and of those, in the exact-match
/// front or through the previous pass's next-pass hint), passes that missed and ran the slow path, flushes after bridge changes, passes that could
/// not be cached, and the megaflows held now.
/// </summary>
public readonly record struct FlowCacheStats(long Hits, long FrontHits, long Misses, long Flushes, long Uncacheable, long Entries)
{
    /// <summary>Hits over lookups, 0 when there were none.</summary>
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);

    /// <summary>Writes the <c>"flow_cache"</c> object of replay's and ctl stats' JSON.</summary>
    public void WriteJson(System.Text.Json.Utf8JsonWriter w, bool enabled)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject("flow_cache");
        w.WriteBoolean("enabled", enabled);
        w.WriteNumber("hits", Hits);
        w.WriteNumber("front_hits", FrontHits);
        w.WriteNumber("misses", Misses);
        w.WriteNumber("hit_rate", Math.Round(HitRate, 4));
        w.WriteNumber("megaflows", Entries);
        w.WriteNumber("flushes", Flushes);
        w.WriteEndObject();
    }
}
