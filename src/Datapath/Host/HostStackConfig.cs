namespace Datapath.Engine.Host;

/// <summary>
/// A host described as text, the way a scenario gives it: interfaces (antrea-gw0 with its /24 and the gateway
/// MAC; the uplink with the node IP and MAC, prefix 0 = take it from the kernel route), <c>ip route</c> lines,
/// permanent neighbour entries (the others are resolved by ARP), an <c>iptables-save</c> and an <c>ipset save</c> document. <see cref="HostStack.Create"/> builds it.
/// </summary>
public sealed class HostStackConfig
{
    public required string Name { get; init; }
    public List<HostInterface> Interfaces { get; init; } = [];
    /// <summary><c>ip route</c> lines.</summary>
    public List<string> Routes { get; init; } = [];
    /// <summary>Where the route lines come from, for error messages (FILE:LINE:COL).</summary>
    public string RoutesFile { get; init; } = "<routes>";
    /// <summary>The line number of the first route line in <see cref="RoutesFile"/>.</summary>
    public int RoutesFirstLine { get; init; } = 1;
    public List<NeighborEntry> Neighbors { get; init; } = [];
    /// <summary>The iptables-save document, or null for a host without rules.</summary>
    public string? Iptables { get; init; }
    public string IptablesFile { get; init; } = "<iptables>";
    /// <summary>The ipset save document, or null.</summary>
    public string? Ipsets { get; init; }
    public string IpsetsFile { get; init; } = "<ipsets>";
    public HostStackOptions Options { get; init; } = new();

    /// <summary>
    /// The config of an Antrea node as a scenario describes it: the gateway interface (<c>antrea-gw0</c>,
    /// <c>10.222.1.1/24</c>, the gateway MAC, its MTU), the uplink (<c>ens160</c> with the node IP and MAC; its
    /// prefix comes from the kernel route), <c>ip route</c> lines, permanent neighbour entries as (ip, mac, dev),
    /// and the iptables-save / ipset save texts (null when the node has none).
    /// </summary>
    /// <exception cref="Packets.InputException">An address, prefix or MAC does not parse (named in the message).</exception>
    public static HostStackConfig ForNode(string name, string gatewayName, string gatewayMac, string gatewayCidr, int gatewayMtu,
        string uplinkName, string nodeMac, string nodeIp, IEnumerable<string> routes, IEnumerable<(string Ip, string Mac, string Dev)> neighbors,
        string? iptables, string iptablesFile, string? ipsets, string ipsetsFile, HostStackOptions? options = null, string routesFile = "cluster.yaml")
    {
        ArgumentNullException.ThrowIfNull(gatewayCidr);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(neighbors);
        int slash = gatewayCidr.IndexOf('/', StringComparison.Ordinal);
        string gwAddress = slash < 0 ? gatewayCidr : gatewayCidr[..slash];
        if (!RouteParser.TryParsePrefix(gwAddress, out uint gw, out _, out string? why))
            throw Packets.InputException.InFile(routesFile, $"node {name}: gateway address: {why}");
        int prefix = 32;
        if (slash >= 0 && (!int.TryParse(gatewayCidr.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefix) || prefix > 32))
            throw Packets.InputException.InFile(routesFile, $"node {name}: gateway '{gatewayCidr}' has no valid prefix length");
        return Node(name,
            [
                new HostInterface(gatewayName, ParseMac(gatewayMac, name, routesFile), new Packets.Ipv4Address(gw), prefix, gatewayMtu > 0 ? gatewayMtu : 1500),
                new HostInterface(uplinkName, ParseMac(nodeMac, name, routesFile), ParseIp(nodeIp, name, routesFile), 0),
            ], routes, neighbors, iptables, iptablesFile, ipsets, ipsetsFile, options, routesFile);
    }

    /// <summary>A node's config from its interfaces and its texts (routes, neighbours as text, iptables, ipsets).</summary>
    private static HostStackConfig Node(string name, List<HostInterface> interfaces, IEnumerable<string> routes, IEnumerable<(string Ip, string Mac, string Dev)> neighbors,
        string? iptables, string iptablesFile, string? ipsets, string ipsetsFile, HostStackOptions? options, string routesFile)
        => new()
        {
            Name = name,
            Interfaces = interfaces,
            Routes = [.. routes],
            RoutesFile = routesFile,
            Neighbors = [.. neighbors.Select(n => new NeighborEntry(ParseIp(n.Ip, name, routesFile), ParseMac(n.Mac, name, routesFile), n.Dev))],
            Iptables = iptables,
            IptablesFile = iptablesFile,
            Ipsets = ipsets,
            IpsetsFile = ipsetsFile,
            Options = options ?? new HostStackOptions(),
        };

    /// <summary>
    /// The config of a Calico node (no bridge): the uplink with the node IP and MAC (its prefix from the kernel route),
    /// the VXLAN device (<c>vxlan.calico</c>: its /32, MAC, MTU, VNI, <c>local</c> = the node IP, UDP 4789, and its FDB
    /// entries), one veth per pod (its cali name and host-side MAC, no address, proxy ARP on), <c>ip route</c> lines,
    /// neighbours as (ip, mac, dev), and the iptables-save / ipset save texts.
    /// </summary>
    /// <exception cref="Packets.InputException">An address, prefix or MAC does not parse (named in the message).</exception>
    public static HostStackConfig ForCalicoNode(string name, string uplinkName, string nodeMac, string nodeIp,
        (string Name, string Mac, string Cidr, int Mtu, uint Vni) vxlan, IEnumerable<(string Mac, string Dst)> fdb,
        IEnumerable<(string Name, string Mac)> veths, IEnumerable<string> routes, IEnumerable<(string Ip, string Mac, string Dev)> neighbors,
        string? iptables, string iptablesFile, string? ipsets, string ipsetsFile, HostStackOptions? options = null, string routesFile = "cluster.yaml")
    {
        ArgumentNullException.ThrowIfNull(fdb);
        ArgumentNullException.ThrowIfNull(veths);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(neighbors);
        var local = ParseIp(nodeIp, name, routesFile);
        int slash = vxlan.Cidr.IndexOf('/', StringComparison.Ordinal);
        var vxlanIp = ParseIp(slash < 0 ? vxlan.Cidr : vxlan.Cidr[..slash], name, routesFile);
        int prefix = slash < 0 ? 32 : int.Parse(vxlan.Cidr.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture);
        var device = new VxlanDevice(vxlan.Vni, local);
        foreach (var (mac, dst) in fdb)
            device.AddFdb(ParseMac(mac, name, routesFile), ParseIp(dst, name, routesFile));
        var interfaces = new List<HostInterface>
        {
            new(uplinkName, ParseMac(nodeMac, name, routesFile), local, 0),
            new(vxlan.Name, ParseMac(vxlan.Mac, name, routesFile), vxlanIp, prefix, vxlan.Mtu) { Kind = HostInterfaceKind.Vxlan, Vxlan = device },
        };
        foreach (var (veth, mac) in veths)
            interfaces.Add(new HostInterface(veth, ParseMac(mac, name, routesFile), default, 0) { Kind = HostInterfaceKind.Veth, ProxyArp = true });
        return Node(name, interfaces, routes, neighbors, iptables, iptablesFile, ipsets, ipsetsFile, options, routesFile);
    }

    private static Packets.MacAddress ParseMac(string text, string node, string file)
        => Packets.MacAddress.TryParse(text, out var mac) ? mac : throw Packets.InputException.InFile(file, $"node {node}: '{text}' is not a MAC address");

    private static Packets.Ipv4Address ParseIp(string text, string node, string file)
        => Packets.Ipv4Address.TryParse(text, out var ip) ? ip : throw Packets.InputException.InFile(file, $"node {node}: '{text}' is not an IPv4 address");
}
