namespace Datapath.Engine;

/// <summary>
/// One frame a journey dropped: on which node, where (<see cref="Place"/> and, in the bridge, the table), and why.
/// <see cref="Where"/> and <see cref="ReasonName"/> are the words reports print (<c>br-int table 10</c>, <c>host</c>,
/// <c>host (generated)</c>, <c>cluster</c>; <c>no-match</c>, <c>no-route</c>, <c>hop-limit</c>).
/// </summary>
/// <param name="Node">The node it was dropped on.</param>
/// <param name="Place">The bridge, the host, or the journey between them.</param>
/// <param name="Table">The OpenFlow table of a bridge drop, or <see cref="DropCounters.NoTable"/>.</param>
/// <param name="Reason">Why, in the one vocabulary of <see cref="DropReasonNames"/>.</param>
public readonly record struct JourneyDrop(JourneyNode Node, JourneyDropPlace Place, byte Table, DropReason Reason)
{
    public string ReasonName => DropReasonNames.Name(Reason);

    /// <summary>The place as reports print it; a bridge drop names the bridge and its table.</summary>
    public string Where => Place switch
    {
        JourneyDropPlace.Bridge when Table == DropCounters.NoTable => Node.Bridged.Bridge.Name,
        JourneyDropPlace.Bridge => $"{Node.Bridged.Bridge.Name} table {Table}",
        JourneyDropPlace.Host => "host",
        JourneyDropPlace.HostGenerated => "host (generated)",
        JourneyDropPlace.HostQueued => "host (neighbour queue)",
        _ => "cluster",
    };

    public override string ToString() => $"{Node.Name} {Where}: {ReasonName}";
}
