namespace Datapath.Antrea.Compile;

/// <summary>
/// The group ids AntreaProxy gives one Service port: its cluster group (every ready endpoint) and, for a NodePort
/// Service with externalTrafficPolicy Local, its local group (this node's endpoints only; 0: none). AntreaProxy's
/// groupCounter hands ids out 1, 2, ... as installService meets the ports, and installService allocates a port's local
/// group before its cluster group; the compile meets the ports in its own order (<see cref="Number"/>).
/// </summary>
internal readonly record struct AntreaV2ServiceGroupIds(uint Local, uint Cluster)
{
    /// <summary>The external (NodePort) flow's group: the local one under externalTrafficPolicy Local (TrafficPolicyGroupID).</summary>
    public uint External => Local != 0 ? Local : Cluster;

    /// <summary>
    /// The ids of <paramref name="ports"/> in their order: a port with a local group takes the next id for it and the
    /// one after for its cluster group, any other port the next id for its cluster group.
    /// </summary>
    public static AntreaV2ServiceGroupIds[] Number(IReadOnlyList<KubeServicePort> ports)
    {
        var ids = new AntreaV2ServiceGroupIds[ports.Count];
        uint next = 1;
        for (int i = 0; i < ports.Count; i++)
        {
            uint local = HasLocalGroup(ports[i]) ? next++ : 0;
            ids[i] = new AntreaV2ServiceGroupIds(local, next++);
        }
        return ids;
    }

    /// <summary>UsesLocalEndpoints for a Service with internalTrafficPolicy Cluster: externalTrafficPolicy Local and a NodePort.</summary>
    public static bool HasLocalGroup(KubeServicePort port) => port.ExternalLocal && port.NodePort != 0;
}
