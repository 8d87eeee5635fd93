using System.Globalization;
using Datapath.Classifier;
using Datapath.Engine;
using Datapath.Engine.Host;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Antrea.Import;

/// <summary>
/// Builds a scenario from what was collected on each node (<see cref="ImportInput"/>), as an Antrea node is made:
///
/// <list type="bullet">
/// <item>the uplink is the device of the default route (else the first device with a global IPv4 address that is no
/// bridge, docker or OVS device), the node IP its first address, nodeMAC its MAC;</item>
/// <item><c>ovs-ofctl show</c> gives the bridge's ports: antrea-gw0 (or the port that has an address in <c>ip
/// addr</c>) is the gateway, with its address, MAC and MTU from <c>ip addr</c>; antrea-tun0 (or a port with "tun" in
/// its name and no device of its own) the tunnel; every other port a pod's;</item>
/// <item>the flows, groups and meters load into a bridge with those ports exactly as the scenario will load them, so a
/// line the classifier refuses is an error at the dump's FILE:LINE:COL; each pod's IP and MAC are then read from its
/// SpoofGuard flow (<c>in_port=P,dl_src=MAC,nw_src=IP</c>, or the ARP one), else from kubectl's Pod and <c>ip
/// neigh</c>; its name and labels from kubectl's Pod with that IP;</item>
/// <item><c>ip route</c>'s main table gives the routes; <c>ip neigh</c>'s resolved entries the permanent neighbours,
/// except the node's own pods (they answer ARP, so the host learns them as Linux does); iptables-save and ipset save
/// are kept as they are (ip6tables-save's part commented out).</item>
/// </list>
/// Everything that is missing is a note saying what it costs; a dump that does not read is an
/// <see cref="InputException"/> at its line. Table names (<c>--names</c> dumps) are numbered by
/// <see cref="TableNamesDump"/>.
/// </summary>
public static class ScenarioImporter
{
    private static readonly string AntreaTlvMap = AntreaFields.TlvMap;

    public static ImportResult Import(ImportInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var result = new ImportResult();
        result.Notes.AddRange(input.Notes);
        var kube = new KubeInventory();
        foreach (var f in input.ClusterFiles)
            kube.Add(f);
        if (input.ClusterFiles.Count == 0)
            result.Notes.Add("no kubectl YAML (pods, services, endpointslices): pods are named after their OVS ports, and the scenario lists no services (kube-proxy's rules in iptables-save still run them)");
        else if (kube.Services.Count == 0)
            result.Notes.Add("kubectl's YAML has no Services: the scenario lists none (kube-proxy's rules in iptables-save still run them)");
        var nodes = new List<(NodeModel Model, NodeDump Dump, bool RoutesGiven, bool NeighGiven)>();
        var podNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dump in input.Nodes)
        {
            var (model, routes, neigh) = ImportNode(dump, kube, result, podNames);
            nodes.Add((model, dump, routes, neigh));
            result.Model.Nodes.Add(model);
        }
        Complete(nodes, result);
        AddServices(kube, result);
        if (result.Model.Nodes.All(n => n.Flows is null))
            throw InputException.InFile(input.Nodes[0].Location, "no node has an ovs-ofctl dump-flows: there is no bridge to run", "collect `ovs-ofctl dump-flows br-int` on the Antrea nodes");
        return result;
    }

    private static (NodeModel, bool Routes, bool Neigh) ImportNode(NodeDump dump, KubeInventory kube, ImportResult result, HashSet<string> podNames)
    {
        string name = dump.Name;
        void Note(string what) => result.Notes.Add($"{name}: {what}");

        var addr = dump[DumpKind.IpAddr] is { } a ? IpAddrDump.Parse(a) : null;
        var link = dump[DumpKind.IpLink] is { } l ? IpAddrDump.Parse(l) : null;
        var devices = addr ?? link ?? [];
        if (addr is not null && link is not null)
        {
            foreach (var d in link)
            {
                if (addr.FirstOrDefault(x => x.Name == d.Name) is { } known)
                {
                    known.Mac ??= d.Mac;
                    known.Mtu = known.Mtu > 0 ? known.Mtu : d.Mtu;
                }
            }
        }
        if (addr is null)
            Note(link is null ? "no ip addr or ip link: the devices' addresses, MACs and MTUs are unknown (taken from the routes, ovs-ofctl show and kubectl where they tell)" : "no ip addr: the devices' addresses are taken from the kernel routes");
        var routeDump = dump[DumpKind.IpRoute] is { } r ? IpRouteDump.Parse(r) : null;
        if (routeDump is not null && routeDump.LeftOut.Count > 0)
            Note($"ip route: {string.Join(", ", routeDump.LeftOut.Select(x => $"{x.Value} of {x.Key}"))} left out (the host routes by its main table, IPv4)");
        var routes = routeDump?.Routes ?? [];
        var show = dump[DumpKind.Show];
        var ports = show is not null ? OfctlShow.Parse(show) : null;
        var kubeNode = kube.Nodes.FirstOrDefault(k => k.Name == name);

        // The uplink and the node's address.
        string? uplink = routes.FirstOrDefault(x => x.Route.PrefixLength == 0 && x.Route.Device is not null && x.Route.Type == RouteType.Unicast)?.Route.Device;
        string? gatewayName = ports?.FirstOrDefault(p => p.Name == "antrea-gw0")?.Name
            ?? ports?.FirstOrDefault(p => devices.Any(d => d.Name == p.Name && d.Addresses.Count > 0))?.Name
            ?? (devices.Any(d => d.Name == "antrea-gw0") || ports is null ? "antrea-gw0" : null);
        uplink ??= devices.FirstOrDefault(d => d.Addresses.Any(x => !x.StartsWith("127.", StringComparison.Ordinal)) && d.Name != gatewayName && !IsVirtual(d.Name))?.Name;
        var uplinkDevice = devices.FirstOrDefault(d => d.Name == uplink);
        string? nodeIp = uplinkDevice?.Addresses.FirstOrDefault()?.Split('/')[0];
        if (nodeIp is null && routes.FirstOrDefault(x => x.Route.Device == uplink && x.Route.PreferredSource != 0 && x.Route.Gateway == 0) is { } kernel)
            nodeIp = new Ipv4Address(kernel.Route.PreferredSource).ToString();
        nodeIp ??= kubeNode?.InternalIp;
        if (nodeIp is null)
            throw InputException.InFile(dump.Location, $"node {name}: its IP is unknown", "collect `ip addr` (and `ip route`) on the node, or give kubectl's Nodes");
        var node = new NodeModel { Name = name, NodeIp = nodeIp, Uplink = uplink };
        if (uplinkDevice?.Mac is { } umac)
        {
            node.NodeMac = umac;
        }
        else
        {
            node.NodeMac = OfctlReplies.DefaultLocalMac(name, uplink ?? "eth0").ToString();
            Note($"the uplink's MAC is unknown (no ip addr or ip link): {node.NodeMac} is made up; the GENEVE frames it sends carry it");
        }

        // The gateway: its address from ip addr, else from its kernel route.
        var gwDevice = devices.FirstOrDefault(d => d.Name == gatewayName);
        string? gwIp = gwDevice?.Addresses.FirstOrDefault();
        var gwRoute = routes.FirstOrDefault(x => x.Route.Device == gatewayName && x.Route.PreferredSource != 0 && x.Route.Gateway == 0 && x.Route.Protocol == "kernel");
        if (gwIp is null && gwRoute is not null)
            gwIp = $"{new Ipv4Address(gwRoute.Route.PreferredSource)}/{gwRoute.Route.PrefixLength}";
        node.PodCidr = gwRoute is not null ? $"{new Ipv4Address(gwRoute.Route.Destination)}/{gwRoute.Route.PrefixLength}"
            : gwIp is not null ? Network(gwIp) : kubeNode?.PodCidr;

        if (dump[DumpKind.Flows] is not { } flows)
        {
            Note("no ovs-ofctl dump-flows: the node has no bridge here, so nothing runs on it (packets to it leave the other nodes' tunnels)");
            var left = new[] { DumpKind.Groups, DumpKind.Meters, DumpKind.Iptables, DumpKind.Ipsets, DumpKind.IpNeigh }.Where(k => dump[k] is not null).ToList();
            if (left.Count > 0 || routes.Count > 0)
                Note($"its {string.Join(", ", left.Select(k => k.ToString()).Concat(routes.Count > 0 ? ["routes"] : []))} are left out (a node without a bridge has no host here)");
            if (gwIp is not null)
                node.Gateway = new PortModel { Ip = gwIp };
            return (node, routeDump is not null, dump[DumpKind.IpNeigh] is not null);
        }
        if (ports is null)
            throw InputException.InFile(dump.Location, $"node {name}: no ovs-ofctl show (or dump-ports-desc): the bridge's ports and ofports are unknown, so its flows cannot load", "collect `ovs-ofctl show br-int` on the node");

        var gwPort = ports.FirstOrDefault(p => p.Name == gatewayName)
            ?? throw InputException.InFile(show!.Path, $"node {name}: no port is the gateway (antrea-gw0, or a port with an address in ip addr)", "the bridge's ports are " + string.Join(", ", ports.Select(p => p.Name)));
        node.Gateway = new PortModel { Name = gwPort.Name, OfPort = gwPort.OfPort, Ip = gwIp, Mac = gwDevice?.Mac ?? gwPort.Mac, Mtu = gwDevice?.Mtu ?? 0 };
        if (gwIp is null)
            Note($"{gwPort.Name} has no address (no ip addr, no kernel route on it): the node has no host stack, and frames to {gwPort.Name} leave the bridge");
        if (gwDevice is null || gwDevice.Mtu == 0)
            Note($"no ip link for {gwPort.Name}: its MTU is taken as 1500");
        var tunPort = ports.FirstOrDefault(p => p.Name == "antrea-tun0")
            ?? ports.FirstOrDefault(p => p.Name.Contains("tun", StringComparison.Ordinal) && devices.All(d => d.Name != p.Name));
        if (tunPort is not null)
            node.Tunnel = new PortModel { Name = tunPort.Name, OfPort = tunPort.OfPort, Mac = tunPort.Mac };
        else
            Note("no tunnel port (antrea-tun0) in ovs-ofctl show: the node has no tunnel to the others");
        var podPorts = ports.Where(p => p != gwPort && p != tunPort && p.Name != uplink && p.Name != "br-int").ToList();

        // The bridge as the scenario will build it: a refused line is an error in the dump.
        var tableDump = dump[DumpKind.Tables] is { } td ? TableNamesDump.ParseDumpTables(td) : null;
        string flowsText = DumpText.CommentReplyHeaders(flows.Text);
        node.Tables = TableNamesDump.Number(flowsText, flows.Path, tableDump, out bool guessed);
        if (guessed)
            Note(tableDump is null
                ? "the flows name their tables and no ovs-ofctl dump-tables gives their numbers: they are numbered in the order the dump lists them (traces show these numbers, not the node's)"
                : "dump-tables does not name every table the flows name: the others are numbered in the order the dump lists them");
        if (tableDump?.FirstOrDefault(t => t.Value.Length == 31 && node.Tables!.Any(n => n.Key == t.Key && n.Value == t.Value)) is { Value: not null } cut)
            Note($"dump-tables carries 31 characters of a table name (OpenFlow 1.0): table {cut.Key}'s '{cut.Value}' may be longer on the node (the flows name it nowhere)");
        var bridge = new Bridge("br-int")
        {
            TlvMap = TlvMap.Parse(AntreaTlvMap),
            TableNames = node.Tables is { } tn ? new TableNameMap(tn) : null,
        };
        if (tunPort is not null)
            bridge.AddPort(tunPort.OfPort, tunPort.Name, MacAddress.Parse(tunPort.Mac), PortKind.Tunnel);
        bridge.AddPort(gwPort.OfPort, gwPort.Name, MacAddress.Parse(node.Gateway.Mac!), PortKind.Gateway);
        foreach (var p in podPorts)
            bridge.AddPort(p.OfPort, p.Name, MacAddress.Parse(p.Mac), PortKind.Pod);

        if (dump[DumpKind.Meters] is { } meters)
        {
            var lines = DumpText.Meters(meters.Text);
            foreach (var (line, at) in lines)
                bridge.AddMeter(line, meters.Path, at);
            if (lines.Count > 0)
                Add(result, node, $"{name}.meters", string.Join('\n', lines.Select(x => x.Line)) + "\n", meters.Path, m => node.Meters = m);
        }
        else if (flowsText.Contains("meter:", StringComparison.Ordinal))
        {
            Note("no ovs-ofctl dump-meters, and the flows use meters: they cannot load (collect `ovs-ofctl -O OpenFlow13 dump-meters br-int`)");
        }
        if (dump[DumpKind.Groups] is { } groups)
        {
            string text = DumpText.CommentReplyHeaders(groups.Text);
            using (var gr = new StringReader(text))
                bridge.LoadGroups(gr, groups.Path);
            if (bridge.Groups.Any())
                Add(result, node, $"{name}.groups", text, groups.Path, g => node.Groups = g);
        }
        else if (flowsText.Contains("group:", StringComparison.Ordinal))
        {
            Note("no ovs-ofctl dump-groups, and the flows use groups: OVS refuses a flow whose group it lacks (OFPBAC_BAD_OUT_GROUP), so those flows are errors; collect ovs-ofctl dump-groups br-int");
        }
        using (var fr = new StringReader(flowsText))
            bridge.LoadFlows(fr, flows.Path);
        Add(result, node, $"{name}.flows", flowsText, flows.Path, f => node.Flows = f);

        if (dump[DumpKind.TlvMap] is { } tlv)
        {
            var map = TlvMapDump.Parse(tlv);
            if (map != TlvMap.Parse(AntreaTlvMap))
                Note($"dump-tlv-map maps {(map.Count == 0 ? "nothing" : map.ToString())}; the scenario maps {AntreaTlvMap} as Antrea does (flows reading other tun_metadata fields see them unset)");
        }
        else
        {
            Note($"no dump-tlv-map: tun_metadata0 is assumed mapped as Antrea maps it ({AntreaTlvMap})");
        }

        // Pods: each pod port's IP and MAC from its SpoofGuard flow, else kubectl's Pod and ip neigh.
        var neigh = dump[DumpKind.IpNeigh] is { } nf ? IpNeighDump.Parse(nf) : null;
        var spoofGuard = SpoofGuard(bridge);
        bool namedByPort = false;
        foreach (var p in podPorts)
        {
            string? ip = null, mac = null;
            if (spoofGuard.TryGetValue(p.OfPort, out var sg))
                (mac, ip) = sg;
            var kp = ip is not null ? kube.Pods.FirstOrDefault(k => k.Ip == ip && (k.Node is null || k.Node == name))
                : kube.Pods.FirstOrDefault(k => k.Node == name && k.Ip is not null && p.Name.StartsWith(PortNameOf(k.Name), StringComparison.Ordinal));
            ip ??= kp?.Ip;
            mac ??= ip is null ? null : neigh?.FirstOrDefault(x => x.Ip == ip && x.Mac is not null)?.Mac;
            if (ip is null || mac is null)
            {
                Note($"port {p.Name} (ofport {p.OfPort}): no SpoofGuard flow gives its pod's IP and MAC{(ip is null ? "" : $" (kubectl gives {ip}, ip neigh no MAC)")}: it is left out, and flows naming it will not load");
                continue;
            }
            namedByPort |= kp is null;
            // A pod named after its port keeps the name unless another node has a port of that name.
            string podName = kp?.Name ?? (podNames.Contains(p.Name) ? $"{p.Name}@{name}" : p.Name);
            podNames.Add(podName);
            var pod = new PodModel { Pod = podName, OfPort = p.OfPort, Port = p.Name, PortMac = p.Mac, Ip = ip, Mac = mac };
            foreach (var (k, v) in kp?.Labels ?? [])
                pod.Labels[k] = v;
            node.Pods.Add(pod);
        }
        if (namedByPort && kube.Pods.Count > 0)
            Note("kubectl has no Pod for some pod ports: those pods are named after their OVS ports");

        // The host: routes, neighbours, iptables and ipsets.
        var hostDevices = new HashSet<string>(StringComparer.Ordinal) { "lo", gwPort.Name, uplink ?? "eth0" };
        foreach (var x in routes)
        {
            if (x.Route is { Device: { } dev, PreferredSource: not 0, Gateway: 0 })
                hostDevices.Add(dev);
        }
        foreach (var x in routes)
        {
            if (x.Route.Device is { } dev && !hostDevices.Contains(dev))
            {
                Note($"ip route line {x.Line}: '{x.Text}' is left out: the host has no device {dev} (it has {string.Join(", ", hostDevices)})");
                continue;
            }
            node.Routes.Add(x.Text);
        }
        if (routeDump is null)
            Note("no ip route: the routes are made as Linux and Antrea make them (kernel routes for the addresses, a route per other node's pod CIDR via its gateway); no default route");
        if (neigh is not null)
        {
            var podIps = node.Pods.Select(p => p.Ip).ToHashSet(StringComparer.Ordinal);
            int learned = 0;
            foreach (var e in neigh)
            {
                if (e.Mac is null || e.State is "FAILED" or "INCOMPLETE" or "NOARP" or "NONE")
                    continue;
                if (podIps.Contains(e.Ip) || e.Dev == gwPort.Name && node.Pods.Count > 0 && InCidr(e.Ip, gwIp))
                {
                    learned++;
                    continue;
                }
                if (!hostDevices.Contains(e.Dev))
                {
                    Note($"ip neigh line {e.Line}: {e.Ip} on {e.Dev} is left out: the host has no device {e.Dev}");
                    continue;
                }
                if (node.Neighbors.Any(nb => nb.Ip == e.Ip && nb.Dev == e.Dev))
                    continue;
                node.Neighbors.Add(new NeighborModel { Ip = e.Ip, Mac = e.Mac, Dev = e.Dev });
            }
            if (learned > 0)
                Note($"ip neigh: {learned} entr{(learned == 1 ? "y" : "ies")} for the node's own pods left out: the host resolves its pods by ARP, as Linux does");
        }
        if (dump[DumpKind.Iptables] is { } ipt)
        {
            string text = DumpText.Ipv4Tables(ipt.Text, out bool v6);
            if (v6)
                Note("iptables: ip6tables-save's tables are left out (the host stack is IPv4)");
            if (text.Split('\n').Any(x => x.StartsWith('*')))
                Add(result, node, $"{name}.iptables", text, ipt.Path, i => node.Iptables = i);
        }
        else
        {
            Note("no iptables-save: the host has no rules (no kube-proxy DNAT: a ClusterIP is routed as it is, and nothing is tracked)");
        }
        if (dump[DumpKind.Ipsets] is { } ips && ips.Text.Trim().Length > 0)
            Add(result, node, $"{name}.ipsets", ips.Text, ips.Path, s => node.Ipsets = s);
        else if (node.Iptables is { } iptName && result.Files[iptName].Contains("--match-set", StringComparison.Ordinal))
            Note("no ipset save, and iptables-save's rules name sets: those rules cannot load (collect `ipset save`)");
        return (node, routeDump is not null, neigh is not null);
    }

    /// <summary>What needs every node: routes and neighbours made where their dumps were missing.</summary>
    private static void Complete(List<(NodeModel Model, NodeDump Dump, bool RoutesGiven, bool NeighGiven)> nodes, ImportResult result)
    {
        foreach (var (node, _, routesGiven, neighGiven) in nodes)
        {
            if (node.Flows is null || node.Gateway?.Ip is not { } gwIp)
                continue;
            string gw = node.Gateway.Name ?? "antrea-gw0";
            if (!routesGiven)
            {
                node.Routes.Add($"{Network(gwIp)} dev {gw} proto kernel scope link src {gwIp.Split('/')[0]}");
                foreach (var (peer, _, _, _) in nodes)
                {
                    if (peer != node && peer.PodCidr is { } cidr && peer.Gateway?.Ip is { } peerGw)
                        node.Routes.Add($"{cidr} via {peerGw.Split('/')[0]} dev {gw} onlink");
                }
            }
            if (!neighGiven)
            {
                string uplink = node.Uplink ?? "eth0";
                var others = nodes.Where(o => o.Model != node && o.Model.NodeMac.Length > 0 && o.Dump[DumpKind.IpAddr] is not null).ToList();
                foreach (var (peer, _, _, _) in others)
                    node.Neighbors.Add(new NeighborModel { Ip = peer.NodeIp, Mac = peer.NodeMac, Dev = uplink });
                result.Notes.Add($"{node.Name}: no ip neigh: neighbours will be resolved by ARP; the other nodes' uplink MACs ({others.Count}) are taken from their own ip addr, and other hosts on {uplink} (its default gateway) are unknown: frames to them fail as no-neighbor");
            }
        }
    }

    private static void AddServices(KubeInventory kube, ImportResult result)
    {
        foreach (var s in kube.Services)
        {
            if (s.ClusterIp != "None" && !Ipv4Address.TryParse(s.ClusterIp, out _))
                continue; // IPv6 ClusterIPs: the host stack is IPv4
            foreach (var p in s.Ports)
            {
                var endpoints = kube.Slices.Where(e => e.Service == s.Name)
                    .SelectMany(e => e.Addresses.Where(x => Ipv4Address.TryParse(x, out _)).Select(x => (x, e.Ports.TryGetValue(p.Name, out int port) ? port : p.TargetPort)))
                    .Where(x => x.Item2 is not null).Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Item1}:{x.Item2}")).Distinct().ToList();
                result.Model.Services.Add(new ServiceModel
                {
                    Name = s.Ports.Count == 1 && p.Name.Length == 0 ? s.Name : $"{s.Name}:{p.Name}",
                    ClusterIp = s.ClusterIp,
                    Port = p.Port,
                    NodePort = p.NodePort,
                    Protocol = p.Protocol is "TCP" or "UDP" or "SCTP" ? p.Protocol : "TCP",
                    Endpoints = endpoints,
                });
            }
        }
    }

    /// <summary>Each port's pod MAC and IP from SpoofGuard's flows: <c>ip,in_port=P,dl_src=MAC,nw_src=IP</c>, else <c>arp,in_port=P,arp_spa=IP,arp_sha=MAC</c>.</summary>
    private static Dictionary<uint, (string Mac, string Ip)> SpoofGuard(Bridge bridge)
    {
        var ip = new Dictionary<uint, (string, string)>();
        var arp = new Dictionary<uint, (string, string)>();
        foreach (var rule in bridge.Tables.Rules())
        {
            ref readonly var v = ref rule.Match.Value;
            ref readonly var m = ref rule.Match.Mask;
            if (m.InPort != uint.MaxValue || m.EthType != ushort.MaxValue || m.NwSrc != uint.MaxValue)
                continue;
            if (v.EthType == EtherTypes.IPv4 && m.EthSrc == 0xffff_ffff_ffffUL)
                ip.TryAdd(v.InPort, (new MacAddress(v.EthSrc).ToString(), new Ipv4Address(v.NwSrc).ToString()));
            else if (v.EthType == EtherTypes.Arp && m.ArpSha == 0xffff_ffff_ffffUL)
                arp.TryAdd(v.InPort, (new MacAddress(v.ArpSha).ToString(), new Ipv4Address(v.NwSrc).ToString()));
        }
        foreach (var (port, value) in arp)
            ip.TryAdd(port, value);
        return ip;
    }

    private static void Add(ImportResult result, NodeModel node, string file, string text, string origin, Action<string> set)
    {
        result.Files[file] = text;
        result.Origins[file] = origin;
        set(file);
    }

    /// <summary>Antrea's OVS port name for a pod: the pod's name cut to 8 characters, then '-' and a hash (the prefix is what can be matched).</summary>
    private static string PortNameOf(string pod)
    {
        string name = pod[(pod.IndexOf('/', StringComparison.Ordinal) + 1)..];
        return (name.Length > 8 ? name[..8] : name) + "-";
    }

    private static bool IsVirtual(string device)
        => device is "lo" or "br-int" or "ovs-system" || device.StartsWith("docker", StringComparison.Ordinal) || device.StartsWith("genev_sys", StringComparison.Ordinal)
            || device.StartsWith("antrea-", StringComparison.Ordinal) || device.StartsWith("veth", StringComparison.Ordinal) || device.StartsWith("cni", StringComparison.Ordinal);

    /// <summary>The network of an interface address (10.222.1.1/24 → 10.222.1.0/24).</summary>
    private static string Network(string cidr)
    {
        string[] parts = cidr.Split('/');
        int len = int.Parse(parts[1], CultureInfo.InvariantCulture);
        uint a = Ipv4Address.Parse(parts[0]).Value;
        uint mask = len == 0 ? 0 : uint.MaxValue << (32 - len);
        return $"{new Ipv4Address(a & mask)}/{len}";
    }

    private static bool InCidr(string ip, string? cidr)
    {
        if (cidr is null)
            return false;
        return Network($"{ip}/{cidr.Split('/')[1]}") == Network(cidr);
    }
}
