using Datapath.Packets;

namespace Datapath.Classifier.Tests;

/// <summary>The seed lab's port maps (from src/Antrea/Scenario/cluster.yaml) and flow files.</summary>
internal static class Scenario
{
    // cluster.yaml, worker1: tunnel antrea-tun0=1, gateway antrea-gw0=2, pods coredns--3e3abf=3,
    // antrea-o-830766=4, backend1-bab86f=48, frontend-a3ba2f=49.
    public static readonly PortMap Worker1Ports = new(new Dictionary<string, uint>
    {
        ["antrea-tun0"] = 1,
        ["antrea-gw0"] = 2,
        ["coredns--3e3abf"] = 3,
        ["antrea-o-830766"] = 4,
        ["backend1-bab86f"] = 48,
        ["frontend-a3ba2f"] = 49,
    });

    // cluster.yaml, worker2: antrea-tun0=1, antrea-gw0=2, coredns--d8f62c=3, backend2-202ff6=35.
    public static readonly PortMap Worker2Ports = new(new Dictionary<string, uint>
    {
        ["antrea-tun0"] = 1,
        ["antrea-gw0"] = 2,
        ["coredns--d8f62c"] = 3,
        ["backend2-202ff6"] = 35,
    });

    /// <summary>
    /// Both workers' port names, for the seed articles' dumps of either node: a syntax-only map in
    /// which worker2's coredns port (also ofport 3 in cluster.yaml) is renumbered 103 so names stay unique.
    /// </summary>
    public static readonly PortMap AllPorts = new(
        Worker1Ports.Pairs.Concat([new("coredns--d8f62c", 103u), new("backend2-202ff6", 35u)]));

    public static string RepoRoot
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Datapath.sln")))
                dir = Path.GetDirectoryName(dir);
            return dir ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static string FlowsPath(string node) => Path.Combine(RepoRoot, "src", "Antrea", "Scenario", node + ".flows");

    public static FlowTableSet Load(string node, PortMap ports)
    {
        var set = new FlowTableSet();
        using var reader = new StreamReader(FlowsPath(node));
        set.LoadFile(reader, ports, node + ".flows");
        return set;
    }

    /// <summary>An IPv4 key with the fields table 50 looks at.</summary>
    public static FlowKey Ipv4(string src, string dst, byte proto, ushort tpDst = 0, ushort tpSrc = 40000)
    {
        var key = new FlowKey
        {
            EthType = EtherTypes.IPv4,
            NwSrc = Ipv4Address.Parse(src).Value,
            NwDst = Ipv4Address.Parse(dst).Value,
            NwProto = proto,
            TpSrc = tpSrc,
            TpDst = tpDst,
            CtState = (uint)(CtStateFlags.New | CtStateFlags.Tracked),
        };
        return key;
    }
}
