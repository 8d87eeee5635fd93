using Datapath.Classifier;
using Datapath.Engine.Host;
using Datapath.Packets;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Datapath.Antrea;

/// <summary>
/// Reads cluster.yaml into a <see cref="ScenarioModel"/>, checking every key and value where it stands
/// (<see cref="YamlInput"/>): an error names cluster.yaml's line and column of the key or value at fault.
///
/// <para>What is checked, beyond the shapes. Addresses: nodeIP, pod and neighbour IPs and clusterIP are
/// IPv4; pod and service CIDRs are networks (no bits after the prefix); the gateway's ip is an interface
/// address. MACs are six hex pairs. Ports are numbered as OVS numbers them: an ofport is 1..65279
/// (0xfeff; OFPP_MAX 0xff00 and above are OpenFlow's reserved ports, 65534 is OFPP_LOCAL, which the
/// bridge owns), and two ports of one bridge never share an ofport or a name. The tunnel is GENEVE (the
/// only encapsulation this datapath runs) on a UDP port 1..65535 with a 24-bit VNI; an MTU is 68 (IPv4's
/// minimum) to 65535. A route is an <c>ip route</c> line as the host's route parser reads it; on a node
/// with a host, a route's and a neighbour's device is one the host has (as Linux refuses <c>ip route
/// add ... dev nosuch</c>: "Cannot find device"). Node names, pod names and node IPs are unique in the
/// cluster.</para>
///
/// <para>What a node needs. A node with <c>flows</c> has a bridge: it needs nodeMAC, a gateway with its
/// ofport and mac, and its ports' ofports; a node without flows (the seed's master) has no bridge and
/// no host behind it, so giving it pods, a tunnel, groups, routes, neighbours, iptables or ipsets is an
/// error (they would be dropped silently). At least one node has a bridge. Every file cluster.yaml
/// names (flows, groups, iptables, ipsets) must be in the scenario, be a file and not be empty: an
/// error at the value that names it.</para>
///
/// <para>Calico (<c>cluster: cni: calico</c>). Every node is a Linux host with no bridge: it needs nodeMAC and
/// its VXLAN device (<c>vxlan:</c> name, ip with prefix, mac, mtu), its pods are routed veths (<c>port</c> is the
/// cali device, <c>portMAC</c> defaults to Calico's ee:ee:ee:ee:ee:ee, no ofport), and <c>fdb:</c> lists the
/// device's forwarding entries (remote VTEP MAC, remote node address); flows, groups, tables, gateway and
/// tunnel are an error there, as vxlan and fdb are on an Antrea node. The cluster's tunnel is then VXLAN on
/// UDP 4789 (what vxlan.calico and this datapath's VXLAN codec use) with a 24-bit VNI, Calico's 4096 by default.</para>
///
/// <para>A compile's input (<see cref="Read(YamlInput, ScenarioFiles, bool)"/> with <c>compileInput</c>, what
/// <c>datapath compile --cluster</c> reads): the same keys and values, but nothing that the compile writes is needed
/// yet: the files a node names need not exist, no node needs flows (when none has them, every node gets a bridge),
/// and a bridge's gateway, its ofport and MAC, the tunnel's and the nodeMAC may be left out (the compile allocates
/// them as Antrea does).</para>
/// </summary>
internal static class ScenarioReader
{
    private static readonly string[] s_topKeys = ["cluster", "nodes", "services", "packets"];
    private static readonly string[] s_clusterKeys = ["cni", "podCIDR", "serviceCIDR", "globalVirtualMAC", "tunnel", "ctZone"];
    private static readonly string[] s_cnis = ["antrea", "calico"];
    private static readonly string[] s_tunnelConfigKeys = ["type", "udpPort", "vni", "csum"];
    private static readonly string[] s_nodeKeys = ["name", "nodeIP", "nodeMAC", "uplink", "podCIDR", "gateway", "tunnel", "pods", "routes", "neighbors", "flows", "groups", "meters", "iptables", "ipsets", "tables", "vlanLimit", "vxlan", "fdb"];
    private static readonly string[] s_fdbKeys = ["mac", "dst"];
    /// <summary>The MAC Calico gives the host side of every pod veth.</summary>
    internal const string CalicoVethMac = "ee:ee:ee:ee:ee:ee";
    private static readonly string[] s_portKeys = ["name", "ofport", "ip", "mac", "mtu"];
    private static readonly string[] s_podKeys = ["pod", "ofport", "port", "portMAC", "ip", "mac", "labels"];
    private static readonly string[] s_neighborKeys = ["ip", "mac", "dev"];
    private static readonly string[] s_serviceKeys = ["name", "clusterIP", "port", "nodePort", "protocol", "endpoints"];

    /// <summary>Reads and checks the cluster.yaml text of <paramref name="files"/>'s scenario.</summary>
    public static ScenarioModel Read(YamlInput yaml, ScenarioFiles files) => Read(yaml, files, compileInput: false);

    /// <summary>Reads cluster.yaml; with <paramref name="compileInput"/>, as a compile's input (see the class comment).</summary>
    public static ScenarioModel Read(YamlInput yaml, ScenarioFiles files, bool compileInput)
    {
        var root = yaml.Mapping(yaml.Root, "cluster.yaml");
        yaml.CheckKeys(root, "cluster.yaml", s_topKeys);
        var model = new ScenarioModel();
        if (YamlInput.Get(root, "cluster") is { } c)
            model.Cluster = ReadCluster(yaml, yaml.Mapping(c, "cluster"));

        var nodesNode = yaml.Required(root, "nodes", "cluster.yaml");
        var nodes = yaml.Sequence(nodesNode, "nodes");
        if (nodes.Children.Count == 0)
            throw yaml.At(nodesNode, "nodes: the list is empty");
        // A compile's input without any flows: every node will have a bridge.
        bool allBridges = compileInput && !nodes.Children.Any(n => n is YamlMappingNode m && YamlInput.Get(m, "flows") is not null);
        foreach (var n in nodes)
            model.Nodes.Add(ReadNode(yaml, yaml.Mapping(n, "nodes: a node"), compileInput ? null : files, model.Cluster.IsCalico, allBridges));
        yaml.Unique(model.Nodes.Zip(nodes, (m, n) => (m.Name, Value(n, "name"))), "nodes: name");
        yaml.Unique(model.Nodes.Zip(nodes, (m, n) => (m.NodeIp, Value(n, "nodeIP"))), "nodes: nodeIP");
        var pods = nodes.Zip(model.Nodes).SelectMany(p => Pods(p.First).Zip(p.Second.Pods, (node, pod) => (pod.Pod, Value(node, "pod")))).ToList();
        yaml.Unique(pods, "pods: pod");
        if (!compileInput && !model.Cluster.IsCalico && model.Nodes.All(m => m.Flows is null))
            throw yaml.At(nodesNode, "nodes: no node has 'flows' (a bridge): there is nothing to run");

        if (YamlInput.Get(root, "services") is { } s)
        {
            foreach (var item in yaml.Sequence(s, "services"))
                model.Services.Add(ReadService(yaml, yaml.Mapping(item, "services: a service")));
        }
        if (YamlInput.Get(root, "packets") is { } p)
        {
            var map = yaml.Mapping(p, "packets");
            foreach (var (k, _) in map.Children)
            {
                string name = yaml.Text(k, "packets: a name");
                model.Packets[name] = yaml.RequiredText(map, name, "packets");
            }
        }
        return model;
    }

    private static ClusterModel ReadCluster(YamlInput yaml, YamlMappingNode map)
    {
        const string what = "cluster";
        yaml.CheckKeys(map, what, s_clusterKeys);
        var cluster = new ClusterModel
        {
            Cni = yaml.OptionalChecked(map, "cni", what, c => s_cnis.Contains(c) ? null
                : DidYouMean.Closest(c, s_cnis) is { } near ? $"is not a CNI this datapath runs (did you mean '{near}'?)" : "is not a CNI this datapath runs (antrea or calico)") ?? "antrea",
            PodCidr = yaml.OptionalChecked(map, "podCIDR", what, YamlInput.Ipv4Prefix),
            ServiceCidr = yaml.OptionalChecked(map, "serviceCIDR", what, YamlInput.Ipv4Prefix),
            GlobalVirtualMac = yaml.OptionalChecked(map, "globalVirtualMAC", what, YamlInput.Mac),
            CtZone = (ushort)(yaml.OptionalInteger(map, "ctZone", what, 0, ushort.MaxValue) ?? AntreaFields.CtZone),
        };
        if (cluster.IsCalico)
            cluster.Tunnel = new TunnelConfigModel { Type = "vxlan", UdpPort = Geneve.VxlanHeader.UdpPort, Vni = 4096, Csum = false };
        if (YamlInput.Get(map, "tunnel") is { } t)
        {
            const string tw = "cluster: tunnel";
            var tm = yaml.Mapping(t, tw);
            yaml.CheckKeys(tm, tw, s_tunnelConfigKeys);
            var tunnel = cluster.Tunnel;
            string want = cluster.IsCalico ? "vxlan" : "geneve";
            if (yaml.OptionalText(tm, "type", tw) is { } type && type != want)
            {
                throw yaml.At(YamlInput.Get(tm, "type")!, $"{tw}: type '{type}' is not run by this datapath for {cluster.Cni}",
                    cluster.IsCalico ? "Calico's overlay here is vxlan (vxlan.calico); type: vxlan"
                    : type is "vxlan" or "gre" or "stt" ? "Antrea also offers vxlan, gre and stt; this datapath encapsulates Antrea's with geneve only (cni: calico runs vxlan)" : "type: geneve");
            }
            tunnel.UdpPort = (int)(yaml.OptionalInteger(tm, "udpPort", tw, 1, 65535) ?? tunnel.UdpPort);
            if (cluster.IsCalico && tunnel.UdpPort != Geneve.VxlanHeader.UdpPort)
                throw yaml.At(YamlInput.Get(tm, "udpPort")!, $"{tw}: udpPort {tunnel.UdpPort}: this datapath's VXLAN runs on {Geneve.VxlanHeader.UdpPort}", "udpPort: 4789 (IANA's, what vxlan.calico uses)");
            tunnel.Vni = (uint)(yaml.OptionalInteger(tm, "vni", tw, 0, 0xffffff, "0..16777215, 24 bits") ?? tunnel.Vni);
            tunnel.Csum = yaml.OptionalBoolean(tm, "csum", tw) ?? tunnel.Csum;
        }
        return cluster;
    }

    // files null: a compile's input (files are not checked, bridge ports may lack what the compile allocates).
    private static NodeModel ReadNode(YamlInput yaml, YamlMappingNode map, ScenarioFiles? files, bool calico, bool allBridges)
    {
        string what = Named(yaml, map, "name", "node", s_nodeKeys);
        string name = yaml.RequiredText(map, "name", "node");
        var node = new NodeModel
        {
            Name = name,
            NodeIp = yaml.RequiredChecked(map, "nodeIP", what, YamlInput.Ipv4),
            Uplink = yaml.OptionalChecked(map, "uplink", what, YamlInput.InterfaceName),
            PodCidr = yaml.OptionalChecked(map, "podCIDR", what, YamlInput.Ipv4Prefix),
            Flows = FileName(yaml, map, "flows", what, files),
            Groups = FileName(yaml, map, "groups", what, files),
            Meters = FileName(yaml, map, "meters", what, files),
            Iptables = FileName(yaml, map, "iptables", what, files),
            Ipsets = FileName(yaml, map, "ipsets", what, files),
        };
        bool bridge = node.Flows is not null || allBridges;
        bool compiling = files is null;
        if (calico)
            return ReadCalicoNode(yaml, map, node, what);
        foreach (string key in new[] { "vxlan", "fdb" })
        {
            if (YamlInput.Get(map, key) is not null)
                throw yaml.At(yaml.Key(map, key), $"{what}: '{key}' is for a Calico node", "set 'cni: calico' under 'cluster' for a cluster of Calico nodes");
        }
        node.NodeMac = (bridge && !compiling ? yaml.RequiredChecked(map, "nodeMAC", what, YamlInput.Mac) : yaml.OptionalChecked(map, "nodeMAC", what, YamlInput.Mac)) ?? "";
        if (!bridge)
        {
            // The bridge's ports and groups, and the host behind its gateway, exist only with flows.
            foreach (string key in new[] { "tunnel", "pods", "groups", "meters", "routes", "neighbors", "iptables", "ipsets", "tables", "vlanLimit" })
            {
                if (YamlInput.Get(map, key) is not null)
                    throw yaml.At(yaml.Key(map, key), $"{what}: '{key}' needs 'flows' (the node's bridge)");
            }
        }
        node.Tables = ReadTables(yaml, map, what);
        // OVS's other_config:vlan-limit: 0 (and anything above the 2 tags a flow holds) is OVS's maximum.
        node.VlanLimit = (int?)yaml.OptionalInteger(map, "vlanLimit", what, 0, int.MaxValue, "0 or more: 0 means the most a flow holds, 2");
        var ports = new List<(uint OfPort, string Name, YamlNode OfPortAt, YamlNode NameAt)>();
        if (YamlInput.Get(map, "gateway") is { } g)
        {
            node.Gateway = ReadPort(yaml, yaml.Mapping(g, $"{what}: gateway"), $"{what}: gateway", bridge && !compiling, withIp: true);
            if (bridge && node.Gateway.OfPort != 0)
                ports.Add((node.Gateway.OfPort, node.Gateway.Name ?? "antrea-gw0", Value(g, "ofport"), Value(g, "name")));
        }
        else if (bridge && !compiling)
        {
            throw yaml.At(map, $"{what}: 'gateway' is required (a node with 'flows' has a bridge, and its gateway port antrea-gw0)");
        }
        if (YamlInput.Get(map, "tunnel") is { } t)
        {
            node.Tunnel = ReadPort(yaml, yaml.Mapping(t, $"{what}: tunnel"), $"{what}: tunnel", bridge: !compiling, withIp: false);
            if (node.Tunnel.OfPort != 0)
                ports.Add((node.Tunnel.OfPort, node.Tunnel.Name ?? "antrea-tun0", Value(t, "ofport"), Value(t, "name")));
        }
        if (YamlInput.Get(map, "pods") is { } pn)
        {
            foreach (var p in yaml.Sequence(pn, $"{what}: pods"))
            {
                var pod = ReadPod(yaml, yaml.Mapping(p, $"{what}: pods: a pod"), what, calico: false);
                node.Pods.Add(pod);
                ports.Add((pod.OfPort, pod.Port, Value(p, "ofport"), Value(p, "port")));
            }
        }
        yaml.Unique(ports.Select(p => (p.OfPort, p.OfPortAt)), $"{what}: ofport");
        yaml.Unique(ports.Select(p => (p.Name, p.NameAt)), $"{what}: port name");
        // The devices of the node's Linux host (built when it has a bridge and a gateway address, as
        // HostStack.Create builds it): lo, the gateway, the uplink, and each device a kernel route gives an address.
        bool host = bridge && (node.Gateway?.Ip is not null || compiling); // a compile gives every bridge its gateway address
        var devices = new HashSet<string>(StringComparer.Ordinal) { "lo", node.Gateway?.Name ?? "antrea-gw0", node.Uplink ?? "eth0" };
        ReadRoutesAndNeighbors(yaml, map, node, what, host, devices);
        return node;
    }

    /// <summary>
    /// A node of a Calico cluster: a host with no bridge, its uplink, its VXLAN device, its pods' cali veths, routes,
    /// neighbours and FDB entries (see the class comment).
    /// </summary>
    private static NodeModel ReadCalicoNode(YamlInput yaml, YamlMappingNode map, NodeModel node, string what)
    {
        foreach (string key in new[] { "flows", "groups", "tables", "gateway", "tunnel" })
        {
            if (YamlInput.Get(map, key) is not null)
                throw yaml.At(yaml.Key(map, key), $"{what}: '{key}' is for an Antrea node (a bridge); a Calico node has none",
                    key is "gateway" or "tunnel" ? "its pods are routed veths and its overlay the 'vxlan' device" : "drop it, or drop 'cni: calico'");
        }
        node.NodeMac = yaml.RequiredChecked(map, "nodeMAC", what, YamlInput.Mac);
        var v = yaml.Required(map, "vxlan", what);
        string vw = $"{what}: vxlan";
        var vm = yaml.Mapping(v, vw);
        yaml.CheckKeys(vm, vw, ["name", "ip", "mac", "mtu"]);
        node.Vxlan = new PortModel
        {
            Name = yaml.OptionalChecked(vm, "name", vw, YamlInput.InterfaceName) ?? "vxlan.calico",
            Ip = yaml.RequiredChecked(vm, "ip", vw, YamlInput.Ipv4Interface),
            Mac = yaml.RequiredChecked(vm, "mac", vw, YamlInput.Mac),
            Mtu = (int)(yaml.OptionalInteger(vm, "mtu", vw, 68, 65535, "68..65535: IPv4 needs 68") ?? 1450),
        };
        string uplink = node.Uplink ?? "eth0";
        var names = new List<(string Name, YamlNode At)> { ("lo", map), (uplink, Value(map, "uplink")), (node.Vxlan.Name!, Value(vm, "name")) };
        if (YamlInput.Get(map, "pods") is { } pn)
        {
            foreach (var p in yaml.Sequence(pn, $"{what}: pods"))
            {
                var pod = ReadPod(yaml, yaml.Mapping(p, $"{what}: pods: a pod"), what, calico: true);
                node.Pods.Add(pod);
                names.Add((pod.Port, Value(p, "port")));
            }
        }
        yaml.Unique(names, $"{what}: device name");
        if (YamlInput.Get(map, "fdb") is { } f)
        {
            var macs = new List<(string, YamlNode)>();
            foreach (var item in yaml.Sequence(f, $"{what}: fdb"))
            {
                const string fw = "fdb entry";
                var m = yaml.Mapping(item, $"{what}: {fw}");
                yaml.CheckKeys(m, $"{what}: {fw}", s_fdbKeys);
                var entry = new FdbModel
                {
                    Mac = yaml.RequiredChecked(m, "mac", $"{what}: {fw}", YamlInput.Mac),
                    Dst = yaml.RequiredChecked(m, "dst", $"{what}: {fw}", YamlInput.Ipv4),
                };
                node.Fdb.Add(entry);
                macs.Add((MacAddress.Parse(entry.Mac).ToString(), Value(item, "mac")));
            }
            yaml.Unique(macs, $"{what}: fdb mac");
        }
        var devices = new HashSet<string>(names.Select(n => n.Name), StringComparer.Ordinal);
        ReadRoutesAndNeighbors(yaml, map, node, what, host: true, devices);
        return node;
    }

    /// <summary><c>routes</c> and <c>neighbors</c>; on a node with a host, their devices must be the host's (<paramref name="devices"/>, to which kernel routes add theirs).</summary>
    private static void ReadRoutesAndNeighbors(YamlInput yaml, YamlMappingNode map, NodeModel node, string what, bool host, HashSet<string> devices)
    {
        var routes = new List<(string Text, RouteEntry Route, YamlNode Node)>();
        if (YamlInput.Get(map, "routes") is { } r)
        {
            foreach (var item in yaml.Sequence(r, $"{what}: routes"))
            {
                var (text, route) = Route(yaml, item, $"{what}: routes: a route");
                node.Routes.Add(text);
                routes.Add((text, route, item));
                if (route is { Device: { } dev, PreferredSource: not 0, Gateway: 0 })
                    devices.Add(dev);
            }
        }
        foreach (var (text, route, item) in routes)
        {
            if (host && route.Device is { } dev && !devices.Contains(dev))
                throw yaml.At(item, $"{what}: route '{text}' is on device '{dev}', which the host does not have", Devices(devices));
        }
        if (YamlInput.Get(map, "neighbors") is { } nb)
        {
            foreach (var item in yaml.Sequence(nb, $"{what}: neighbors"))
            {
                var m = yaml.Mapping(item, $"{what}: neighbors: a neighbour");
                const string nw = "neighbour";
                yaml.CheckKeys(m, $"{what}: {nw}", s_neighborKeys);
                var neighbor = new NeighborModel
                {
                    Ip = yaml.RequiredChecked(m, "ip", $"{what}: {nw}", YamlInput.Ipv4),
                    Mac = yaml.RequiredChecked(m, "mac", $"{what}: {nw}", YamlInput.Mac),
                    Dev = yaml.RequiredChecked(m, "dev", $"{what}: {nw}", YamlInput.InterfaceName),
                };
                if (host && !devices.Contains(neighbor.Dev))
                    throw yaml.At(YamlInput.Get(m, "dev")!, $"{what}: neighbour {neighbor.Ip} is on device '{neighbor.Dev}', which the host does not have", Devices(devices));
                node.Neighbors.Add(neighbor);
            }
        }
    }

    /// <summary>
    /// <c>tables:</c>, the names of the bridge's tables (OVSDB Flow_Table names): a built-in set
    /// (<c>antrea-v0.10</c>) or a mapping of table number (0..254) to name. A name is unique, not empty
    /// and not a number; OVS would make a name given twice unusable (namemap_put), so it is an error here.
    /// </summary>
    private static List<KeyValuePair<byte, string>>? ReadTables(YamlInput yaml, YamlMappingNode map, string what)
    {
        if (YamlInput.Get(map, "tables") is not { } node)
            return null;
        string tw = $"{what}: tables";
        if (node is YamlScalarNode)
        {
            string set = yaml.Text(node, tw);
            if (AntreaTables.NameSets.TryGetValue(set, out var names))
                return [.. names];
            string? near = DidYouMean.Closest(set, AntreaTables.NameSets.Keys);
            throw yaml.At(node, $"{tw}: '{set}' is not a table name set",
                near is not null ? $"did you mean '{near}'?" : $"a set ({string.Join(", ", AntreaTables.NameSets.Keys)}) or a mapping of table numbers to names, {{ 0: PipelineRootClassifier, ... }}");
        }
        var m = yaml.Mapping(node, tw);
        var tables = new List<KeyValuePair<byte, string>>();
        var seen = new Dictionary<string, byte>(StringComparer.Ordinal);
        foreach (var (k, v) in m.Children)
        {
            string number = yaml.Text(k, $"{tw}: a table number");
            if (!byte.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out byte table) || table > 254)
                throw yaml.At(k, $"{tw}: '{number}' is not a table number", "a table is 0..254 (255 means every table)");
            string name = yaml.Text(v, $"{tw}: table {table}");
            if (TableNameMap.Problem(name) is { } problem)
                throw yaml.At(v, $"{tw}: table {table}: the name '{name}' {problem}");
            if (seen.TryGetValue(name, out byte other))
                throw yaml.At(v, $"{tw}: table {table}: '{name}' already names table {other}", "OVS uses no name that two tables share");
            seen[name] = table;
            tables.Add(new(table, name));
        }
        return tables;
    }

    private static string Devices(IEnumerable<string> devices) => $"the host's devices are {string.Join(", ", devices)}";

    /// <summary>A gateway or tunnel port; on a bridge its ofport and mac are required.</summary>
    private static PortModel ReadPort(YamlInput yaml, YamlMappingNode map, string what, bool bridge, bool withIp)
    {
        yaml.CheckKeys(map, what, withIp ? s_portKeys : ["name", "ofport", "mac", "mtu"]);
        uint? ofport = yaml.OptionalOfPort(map, "ofport", what);
        string? mac = yaml.OptionalChecked(map, "mac", what, YamlInput.Mac);
        if (bridge && ofport is null)
            throw yaml.At(map, $"{what}: 'ofport' is required (the port's OpenFlow number)");
        if (bridge && mac is null)
            throw yaml.At(map, $"{what}: 'mac' is required");
        return new PortModel
        {
            Name = yaml.OptionalChecked(map, "name", what, YamlInput.InterfaceName),
            OfPort = ofport ?? 0,
            Ip = withIp ? yaml.OptionalChecked(map, "ip", what, YamlInput.Ipv4Interface) : null,
            Mac = mac,
            Mtu = (int)(yaml.OptionalInteger(map, "mtu", what, 68, 65535, "68..65535: IPv4 needs 68") ?? 0),
        };
    }

    /// <summary>A pod: on an Antrea node an OVS port (ofport, port, portMAC), on a Calico node a cali veth (port; portMAC defaults to ee:ee:ee:ee:ee:ee, no ofport).</summary>
    private static PodModel ReadPod(YamlInput yaml, YamlMappingNode map, string node, bool calico)
    {
        string what = Named(yaml, map, "pod", $"{node}: pod", s_podKeys);
        string name = yaml.RequiredText(map, "pod", $"{node}: pod");
        if (calico && YamlInput.Get(map, "ofport") is not null)
            throw yaml.At(yaml.Key(map, "ofport"), $"{what}: 'ofport' is for a pod on an Antrea bridge; a Calico pod is a routed veth", "port: the cali device");
        var pod = new PodModel
        {
            Pod = name,
            OfPort = calico ? 0 : yaml.OptionalOfPort(map, "ofport", what) ?? throw yaml.At(map, $"{what}: 'ofport' is required"),
            Port = yaml.RequiredChecked(map, "port", what, YamlInput.InterfaceName),
            PortMac = calico ? yaml.OptionalChecked(map, "portMAC", what, YamlInput.Mac) ?? CalicoVethMac : yaml.RequiredChecked(map, "portMAC", what, YamlInput.Mac),
            Ip = yaml.RequiredChecked(map, "ip", what, YamlInput.Ipv4),
            Mac = yaml.RequiredChecked(map, "mac", what, YamlInput.Mac),
        };
        if (YamlInput.Get(map, "labels") is { } l)
        {
            var labels = yaml.Mapping(l, $"{what}: labels");
            foreach (var (k, _) in labels.Children)
            {
                string key = yaml.Text(k, $"{what}: labels: a key");
                // A label's value may be empty, written "" (Kubernetes allows it); a key with no value at all is an error.
                pod.Labels[key] = YamlInput.Get(labels, key) is YamlScalarNode { Value: "", Style: ScalarStyle.DoubleQuoted or ScalarStyle.SingleQuoted }
                    ? "" : yaml.RequiredText(labels, key, $"{what}: labels");
            }
        }
        return pod;
    }

    private static ServiceModel ReadService(YamlInput yaml, YamlMappingNode map)
    {
        string what = Named(yaml, map, "name", "service", s_serviceKeys);
        string name = yaml.RequiredText(map, "name", "service");
        var service = new ServiceModel
        {
            Name = name,
            ClusterIp = yaml.RequiredChecked(map, "clusterIP", what, ip => ip == "None" ? null : YamlInput.Ipv4(ip)),
            Port = (int)(yaml.OptionalInteger(map, "port", what, 1, 65535) ?? throw yaml.At(map, $"{what}: 'port' is required")),
            NodePort = (int)(yaml.OptionalInteger(map, "nodePort", what, 1, 65535) ?? 0),
            Protocol = yaml.OptionalChecked(map, "protocol", what, p => p is "TCP" or "UDP" or "SCTP" ? null : "is not TCP, UDP or SCTP") ?? "TCP",
        };
        if (YamlInput.Get(map, "endpoints") is { } e)
        {
            foreach (var ep in yaml.Sequence(e, $"{what}: endpoints"))
            {
                string text = yaml.Text(ep, $"{what}: endpoints: an endpoint");
                if (Endpoint(text) is { } wrong)
                    throw yaml.At(ep, $"{what}: endpoint '{text}' {wrong}");
                service.Endpoints.Add(text);
            }
        }
        return service;
    }

    /// <summary>
    /// How errors name an entry (<c>node worker1</c>, <c>service default/backendsvc</c>): by its name when
    /// it has one; its keys are checked under that name.
    /// </summary>
    private static string Named(YamlInput yaml, YamlMappingNode map, string nameKey, string kind, IReadOnlyList<string> keys)
    {
        string what = yaml.OptionalText(map, nameKey, kind) is { } name ? $"{kind} {name}" : kind;
        yaml.CheckKeys(map, what, keys);
        return what;
    }

    /// <summary>An <c>ip route</c> line, read by the host's route parser and refused at its column in cluster.yaml.</summary>
    private static (string Text, RouteEntry Route) Route(YamlInput yaml, YamlNode node, string what)
    {
        string text = yaml.Text(node, what);
        int line = (int)node.Start.Line, column = (int)node.Start.Column + (node is YamlScalarNode { Style: ScalarStyle.Plain } ? 0 : 1);
        try
        {
            return (text, RouteParser.Parse(text, yaml.File, line));
        }
        catch (InputException e)
        {
            // The route parser's columns count from the route's first character: re-based to the YAML value's.
            throw new InputException(yaml.File, line, e.Column > 0 ? column + e.Column - 1 : column, $"{what}: {e.What}", e.Hint);
        }
    }

    /// <summary>IP:PORT of an endpoint.</summary>
    private static string? Endpoint(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0 || !Ipv4Address.TryParse(text.AsSpan(0, colon), out _))
            return "is not IPV4:PORT";
        return ushort.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ushort port) && port > 0
            ? null : "has no valid port (1..65535)";
    }

    /// <summary>A file the node names (flows, groups, iptables, ipsets), which must be usable; null when not given.</summary>
    private static string? FileName(YamlInput yaml, YamlMappingNode map, string key, string what, ScenarioFiles? files)
    {
        if (yaml.OptionalText(map, key, what) is not { } name)
            return null;
        return files?.Problem(name) is { } problem ? throw yaml.At(YamlInput.Get(map, key)!, $"{what}: {key} file '{name}' {problem}") : name;
    }

    /// <summary>The pods of a node entry (empty when it has none).</summary>
    private static IEnumerable<YamlNode> Pods(YamlNode node)
        => node is YamlMappingNode m && YamlInput.Get(m, "pods") is { } p
            ? p as YamlSequenceNode ?? throw new InvalidOperationException("pods checked as a list before")
            : [];

    /// <summary>Where to point for a value of an entry: the value of <paramref name="key"/>, else the entry itself.</summary>
    private static YamlNode Value(YamlNode entry, string key)
        => entry is YamlMappingNode m && YamlInput.Get(m, key) is { } v ? v : entry;
}
