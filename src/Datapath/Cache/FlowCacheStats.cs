namespace Datapath.Engine.Cache;

/// <summary>
/// A node's flow cache counters over all its workers: passes that hit (and of those, in the exact-match
/// front or through the previous pass's next-pass hint), passes that missed and ran the slow path, flushes after bridge changes, passes that could
/// not be cached, the megaflows held now, and the frames Node.Prepare prepared ahead of their turn.
/// </summary>
public readonly record struct FlowCacheStats(long Hits, long FrontHits, long Misses, long Flushes, long Uncacheable, long Entries, long Prepared)
{
    /// <summary>The counters of two caches together (a cluster's nodes).</summary>
    public static FlowCacheStats operator +(FlowCacheStats a, FlowCacheStats b)
        => new(a.Hits + b.Hits, a.FrontHits + b.FrontHits, a.Misses + b.Misses, a.Flushes + b.Flushes, a.Uncacheable + b.Uncacheable, a.Entries + b.Entries, a.Prepared + b.Prepared);

    /// <summary>The same counters (the operator's named form).</summary>
    public static FlowCacheStats Add(FlowCacheStats a, FlowCacheStats b) => a + b;

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
        w.WriteNumber("prepared_frames", Prepared);
        w.WriteEndObject();
    }
}
