namespace Datapath.Engine.Host;

/// <summary>
/// A frame leaving the emulated cluster: on a bridge port (a pod, or the tunnel towards a node the cluster does
/// not emulate) or on a host device other than the gateway (the uplink; <see cref="OfPort"/> is 0 then).
/// </summary>
public sealed record HostedOutput(string Node, string Port, uint OfPort, byte[] Frame)
{
    public override string ToString() => $"{Node}/{Port}: {Frame.Length} bytes";
}

/// <summary>A frame the cluster dropped: on which node, where (<c>br-int table 10</c>, <c>br-int</c>, <c>host</c>, <c>cluster</c>), and why.</summary>
public sealed record HostedDrop(string Node, string Where, string Reason)
{
    public override string ToString() => $"{Node} {Where}: {Reason}";
}
