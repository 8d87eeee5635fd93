namespace Datapath.Engine.Host;

/// <summary>
/// What became of one frame injected into a <see cref="HostedCluster"/> and of every copy, reply and error it
/// caused: the frames that left the cluster, the drops, and the frames hosts consumed (delivered locally).
/// </summary>
public sealed class HostedResult
{
    public List<HostedOutput> Outputs { get; } = [];
    public List<HostedDrop> Drops { get; } = [];
    /// <summary>
    /// GENEVE frames a node sent through its tunnel port that the peer node then processed: not results
    /// (the peer's outputs and drops are), but what the sending node's uplink carried — a replay writes them
    /// to that tunnel port's capture.
    /// </summary>
    public List<HostedOutput> Transits { get; } = [];
    /// <summary>Frames a host accepted for itself (INPUT): an echo request it answered, an ARP request, a segment to a local socket.</summary>
    public int Delivered { get; internal set; }
    /// <summary>Bridge and host traversals the walk took.</summary>
    public int Hops { get; internal set; }

    /// <summary>Outputs per <c>node/port</c>.</summary>
    public IReadOnlyDictionary<string, int> OutputCounts
        => Outputs.GroupBy(o => o.Node + "/" + o.Port).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>Drops per reason (<c>no-match</c>, <c>no-route</c>, <c>ttl-expired</c>...).</summary>
    public IReadOnlyDictionary<string, int> DropCounts
        => Drops.GroupBy(d => d.Reason).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public IEnumerable<HostedOutput> OutputsOn(string node, string port) => Outputs.Where(o => o.Node == node && o.Port == port);

    public override string ToString()
        => $"{Outputs.Count} output(s) [{string.Join(", ", Outputs)}], {Drops.Count} drop(s) [{string.Join(", ", Drops)}], {Delivered} delivered";
}
