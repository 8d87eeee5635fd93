namespace Datapath.Conntrack;

/// <summary>
/// Connection limits a user sets on every connection table of a run (<c>replay</c>/<c>run --ct-limit N
/// --ct-zone-limit ZONE=N</c>, as <c>ovs-appctl dpctl/ct-set-limits [default=N] zone=Z,limit=N</c> and Linux's
/// nf_conntrack_max): the table's limit, and limits per zone. A commit beyond a limit is refused and its
/// packet dropped (<see cref="ConnectionTracker.Execute"/> returns false); established connections stay.
/// </summary>
public sealed record ConntrackLimits(int? Table, IReadOnlyDictionary<ushort, int> Zones)
{
    public static readonly ConntrackLimits None = new(null, new Dictionary<ushort, int>());

    public bool IsNone => Table is null && Zones.Count == 0;

    /// <summary>Sets the limits on <paramref name="tracker"/> (zones not named keep theirs).</summary>
    public void ApplyTo(ConnectionTracker tracker)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        if (Table is { } n)
            tracker.ConnectionLimit = n;
        foreach (var (zone, limit) in Zones)
            tracker.SetZoneLimit(zone, limit);
    }
}
