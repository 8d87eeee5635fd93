namespace Datapath.Conntrack;

/// <summary>
/// Event counters of a <see cref="ConnectionTracker"/> (OVS's COVERAGE counters conntrack_full,
/// conntrack_zone_full, ...). Incremented with Interlocked; read them any time.
/// </summary>
public sealed class ConntrackCounters
{
    internal long _created;
    internal long _expired;
    internal long _full;
    internal long _zoneFull;
    internal long _invalid;
    internal long _natExhausted;
    internal long _insertConflict;

    /// <summary>Connections committed.</summary>
    public long Created => Volatile.Read(ref _created);
    /// <summary>Connections removed because their timeout passed.</summary>
    public long Expired => Volatile.Read(ref _expired);
    /// <summary>Commits refused because the table was at its limit (OVS conntrack_full).</summary>
    public long Full => Volatile.Read(ref _full);
    /// <summary>Commits refused because the zone was at its limit (OVS conntrack_zone_full).</summary>
    public long ZoneFull => Volatile.Read(ref _zoneFull);
    /// <summary>Packets found +inv.</summary>
    public long Invalid => Volatile.Read(ref _invalid);
    /// <summary>Commits refused because no free NAT tuple was left (OVS nat_res_exhaustion).</summary>
    public long NatExhausted => Volatile.Read(ref _natExhausted);
    /// <summary>Commits refused because the reply tuple belonged to another connection.</summary>
    public long InsertConflict => Volatile.Read(ref _insertConflict);

    public override string ToString()
        => $"created={Created} expired={Expired} full={Full} zone_full={ZoneFull} invalid={Invalid} nat_exhausted={NatExhausted} insert_conflict={InsertConflict}";
}
