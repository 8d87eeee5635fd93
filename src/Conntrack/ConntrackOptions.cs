namespace Datapath.Conntrack;

/// <summary>Configuration of a <see cref="ConnectionTracker"/>, read once by its constructor.</summary>
public sealed class ConntrackOptions
{
    /// <summary>OVS's default table-wide limit (ovs-appctl dpctl/ct-set-maxconns).</summary>
    public const int DefaultConnectionLimit = 3_000_000;

    /// <summary>Timeouts for zones without an entry in <see cref="ZonePolicies"/>.</summary>
    public TimeoutPolicy DefaultPolicy { get; init; } = TimeoutPolicy.OvsDefaults;

    /// <summary>Per-zone timeout policies (OVS's zone timeout policies; the host stack's zone uses Linux's).</summary>
    public Dictionary<ushort, TimeoutPolicy> ZonePolicies { get; init; } = [];

    /// <summary>Most connections in the whole table; a commit beyond it creates nothing (OVS: conntrack_full).</summary>
    public int ConnectionLimit { get; init; } = DefaultConnectionLimit;

    /// <summary>Limit for zones without an entry in <see cref="ZoneLimits"/>; 0 means none (OVS's default zone limit).</summary>
    public int DefaultZoneLimit { get; init; }

    /// <summary>Per-zone limits (ovs-appctl dpctl/ct-set-limits zone=N,limit=M).</summary>
    public Dictionary<ushort, int> ZoneLimits { get; init; } = [];

    /// <summary>Accept TCP segments outside the sequence windows (OVS dpctl/ct-disable-tcp-seq-chk,
    /// Linux nf_conntrack_tcp_be_liberal); flag checks still apply. Changeable at run time on the tracker.</summary>
    public bool TcpBeLiberal { get; init; }

    /// <summary>Let a non-SYN segment create a connection mid-stream (Linux nf_conntrack_tcp_loose, OVS always).</summary>
    public bool TcpLoose { get; init; } = true;

    /// <summary>Seed of the connection hash; null picks a random one (hash flooding resistance).
    /// Also seeds the NAT "random" selection so replays can be reproduced.</summary>
    public ulong? Seed { get; init; }
}
