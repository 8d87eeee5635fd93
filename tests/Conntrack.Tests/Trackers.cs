namespace Datapath.Conntrack.Tests;

internal static class Trackers
{
    /// <summary>OVS defaults with a fixed seed (reproducible NAT choices).</summary>
    public static ConnectionTracker Ovs(int limit = ConntrackOptions.DefaultConnectionLimit)
        => new(new ConntrackOptions { Seed = 42, ConnectionLimit = limit });

    public static ConnectionTracker Kernel()
        => new(new ConntrackOptions { Seed = 7, DefaultPolicy = TimeoutPolicy.KubeProxy });
}
