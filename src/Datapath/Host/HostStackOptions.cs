using Datapath.Conntrack;

namespace Datapath.Engine.Host;

/// <summary>How a <see cref="HostStack"/> behaves (the sysctls that matter here), read once by its constructor.</summary>
public sealed class HostStackOptions
{
    /// <summary>net.ipv4.ip_forward: Kubernetes nodes forward (kube-proxy and Antrea need it).</summary>
    public bool IpForward { get; init; } = true;

    /// <summary>Send ICMP errors (time exceeded, unreachable, fragmentation needed) about dropped packets.</summary>
    public bool SendIcmpErrors { get; init; } = true;

    /// <summary>The conntrack zone of the host's table (the kernel's default zone 0).</summary>
    public ushort ConntrackZone { get; init; }

    /// <summary>Timeouts of the host's conntrack: Linux's with kube-proxy's settings by default.</summary>
    public TimeoutPolicy ConntrackTimeouts { get; init; } = TimeoutPolicy.KubeProxy;

    /// <summary>nf_conntrack_max; 0 keeps the tracker's default.</summary>
    public int ConntrackMax { get; init; }

    /// <summary>Seed of <c>statistic --mode random</c> and of the conntrack's hash and random NAT picks.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>net.ipv4.conf.*.ignore_routes_with_linkdown: skip routes whose device has no carrier.</summary>
    public bool IgnoreRoutesWithLinkdown { get; init; }

    /// <summary>The neighbour subsystem's sysctls (net.ipv4.neigh.default.*): Linux's defaults.</summary>
    public NeighborParameters Neighbor { get; init; } = new();

    /// <summary>The TTL of packets the host generates (net.ipv4.ip_default_ttl).</summary>
    public byte DefaultTtl { get; init; } = 64;
}
