using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Datapath.Packets;
using YamlDotNet.RepresentationModel;

namespace Datapath.Antrea.Compile;

// The compile
// ===========
//
// cluster.yaml's nodes (and what it already holds: pods, services) plus Kubernetes objects become a scenario the
// rest of the tool loads, for one of two pipelines (CompilePipeline). Antrea v0.10: each node's flows
// (AntreaV010Flows), its iptables as kube-proxy 1.18 and the Antrea agent leave them (KubeProxyIptables,
// AntreaV010Iptables) and the ANTREA-POD-IP ipset. Antrea 2.x with AntreaProxy's proxyAll: each node's flows
// (AntreaV2Flows, AntreaV2PolicyFlows), Service groups (AntreaV2Groups), PacketIn meters (AntreaV2Meters), ANTREA-*
// iptables (AntreaV2Iptables) and ipsets (AntreaV2IpSets), its routes to the service CIDR and the virtual NodePort
// IP through the virtual Service IP; externalTrafficPolicy Local as AntreaProxy's per-node local group. Both:
// cluster.yaml written back with every pod, port and service, its tables: set to the pipeline's. The manifests are
// applied to cluster.yaml as `kubectl apply` to a running cluster: an object that cluster.yaml already has keeps
// what the cluster gave it (a pod its address, ofport and MACs, a Service its clusterIP and nodePorts) and takes the
// manifest's labels, selector and ports; a new one is given what the cluster would give it.
//
// Which nodes get a bridge: those cluster.yaml gives `flows:` (the seed's workers; its master stays a peer whose
// pod CIDR is reached through the tunnel), or every node when none has flows (a cluster.yaml of bare nodes).
// A node with a bridge gets, when cluster.yaml leaves them out: a pod CIDR (the next free /24 of the cluster's, as
// kube-controller-manager's range allocator hands them out in node order), antrea-gw0 (ofport 2, the CIDR's first
// address, MTU 1450) and antrea-tun0 (ofport 1), as the v0.10 agent numbers them; MACs (nodeMAC, the ports', the
// pods') are locally administered addresses derived from the names, so a compile is reproducible; its routes and
// neighbours: the kernel route of its pod CIDR and, per peer, `CIDR via PEER-GATEWAY dev antrea-gw0 onlink` (the
// agent's AddRoutes), and a permanent neighbour per peer node on the uplink (what its ARP would learn; GENEVE
// frames need it) — each only when cluster.yaml has none for that destination.
// A new pod: its node is spec.nodeName (without one: the bridge node with the fewest pods, first in cluster.yaml
// order: a note says so); its address is status.podIP when given, else the first free one after the gateway, as
// host-local allocates a fresh range; its ofport the next after the highest on the bridge (OVS does not reuse port
// numbers at once); its OVS port name Antrea v0.10's GenerateContainerInterfaceName (the pod name's first 8
// characters, '-', 6 hex digits of a SHA-1; Antrea hashes the sandbox's container ID, which no manifest holds, so
// the compile hashes namespace/name). A hostNetwork pod has no port: it is its node's address.
// A new Service: clusterIP the lowest free address of the service CIDR after its first (the API server keeps that
// for default/kubernetes), a NodePort the lowest free in 30000-32767. Endpoints: an Endpoints object's subsets, else
// the EndpointSlices, else the pods the selector selects with the targetPort (a named one resolved in each pod's
// container ports), as the endpoints controller makes them; a Service with neither keeps no endpoints (REJECT).
// Everything the API server or the nodes would refuse (a nodeName no node has, a clusterIP outside the service CIDR
// or taken, a NodePort out of range, a full pod CIDR) is an error at the manifest's or cluster.yaml's key.

/// <summary>Compiles cluster.yaml and Kubernetes objects into a scenario (see the essay above).</summary>
public static class ClusterCompiler
{
    private const string DefaultVirtualMac = "aa:bb:cc:dd:ee:ff"; // Antrea v0.10's globalVMAC
    private const int NodePortMin = 30000, NodePortMax = 32767;
    private const int NodeCidrMaskSize = 24;

    /// <summary>
    /// Compiles the cluster.yaml at <paramref name="clusterYamlPath"/> with the manifest files (errors name each file as
    /// given). The manifests' text goes into the scenario as manifests.yaml, each file after a comment naming it.
    /// </summary>
    /// <exception cref="InputException">A file is missing or wrong, or the compile refuses something (located).</exception>
    public static CompiledScenario Compile(string clusterYamlPath, IReadOnlyList<string> manifestPaths, CompilePipeline pipeline = CompilePipeline.AntreaV010)
    {
        ArgumentNullException.ThrowIfNull(clusterYamlPath);
        ArgumentNullException.ThrowIfNull(manifestPaths);
        var yaml = YamlInput.Parse(ReadInput(clusterYamlPath), clusterYamlPath);
        string dir = Path.GetDirectoryName(Path.GetFullPath(clusterYamlPath))!;
        var cluster = ScenarioReader.Read(yaml, ScenarioFiles.InDirectory(dir), compileInput: true);
        var manifests = new KubeManifests();
        var texts = new StringBuilder();
        foreach (string path in manifestPaths)
        {
            string text = ReadInput(path);
            manifests.Read(text, path);
            texts.Append(texts.Length == 0 ? "" : "---\n").Append("# ").Append(Path.GetFileName(path)).Append('\n').Append(text.TrimEnd('\n')).Append('\n');
        }
        var compiled = Compile(yaml, cluster, manifests, pipeline);
        if (texts.Length == 0)
            return compiled;
        var files = new Dictionary<string, string>(compiled.Files, StringComparer.Ordinal) { ["manifests.yaml"] = texts.ToString() };
        return new CompiledScenario(compiled.Model, files, compiled.Notes) { Ports = compiled.Ports };
    }

    private static string ReadInput(string path)
    {
        if (Directory.Exists(path))
            throw InputException.InFile(path, "is a directory, not a file");
        if (!File.Exists(path))
            throw InputException.InFile(path, "no such file");
        return File.ReadAllText(path);
    }

    /// <summary>Compiles <paramref name="cluster"/> (read from <paramref name="clusterYaml"/> as a compile's input) with <paramref name="manifests"/>.</summary>
    /// <exception cref="InputException">Something the cluster or the API server would refuse, at its key.</exception>
    public static CompiledScenario Compile(YamlInput clusterYaml, ScenarioModel cluster, KubeManifests manifests, CompilePipeline pipeline = CompilePipeline.AntreaV010)
    {
        ArgumentNullException.ThrowIfNull(clusterYaml);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(manifests);
        var at = new KubeSource(clusterYaml, clusterYaml.Mapping(clusterYaml.Root, "cluster.yaml"));
        var notes = new List<string>(manifests.Skipped);
        var c = cluster.Cluster;
        if (c.IsCalico)
            throw at.At("cluster.cni", $"cni: calico: the compile writes Antrea {(pipeline == CompilePipeline.Antrea2 ? "2.x" : "v0.10")}'s pipeline (OVS flows), not Calico's", "drop 'cni: calico'");
        string podCidr = c.PodCidr ?? throw at.At("cluster", "cluster: podCIDR is required to compile (kube-proxy's --cluster-cidr; nodes' pod CIDRs come from it)", "podCIDR: 10.222.0.0/16");
        string serviceCidr = c.ServiceCidr ?? throw at.At("cluster", "cluster: serviceCIDR is required to compile (table 40 sends it to kube-proxy; clusterIPs come from it)", "serviceCIDR: 10.96.0.0/12");
        c.GlobalVirtualMac ??= DefaultVirtualMac;
        bool anyFlows = cluster.Nodes.Any(n => n.Flows is not null);
        var bridges = cluster.Nodes.Where(n => !anyFlows || n.Flows is not null).ToList();
        for (int i = 0; i < cluster.Nodes.Count; i++)
        {
            if (bridges.Contains(cluster.Nodes[i]))
                PrepareNode(cluster, cluster.Nodes[i], i, CidrBlock.Parse(podCidr), at, pipeline);
        }
        foreach (var n in bridges)
        {
            if (!n.Routes.Any(r => r.StartsWith("default ", StringComparison.Ordinal)))
                notes.Add($"node {n.Name} has no default route in cluster.yaml: from its host, addresses outside the pod CIDRs have no route (a Service's REJECT and node-IP endpoints need one); add its `ip route` lines as routes:");
            AddRoutesAndNeighbors(cluster, n);
            if (pipeline == CompilePipeline.Antrea2)
                AddProxyAllRoutes(cluster, n, serviceCidr);
        }

        PlacePods(cluster, bridges, manifests, at, notes);
        var ports = PlaceServices(cluster, manifests, CidrBlock.Parse(serviceCidr), notes);
        if (pipeline == CompilePipeline.Antrea2)
            return new CompiledScenario(cluster, Antrea2Files(cluster, bridges, manifests, ports), notes) { Ports = ports };

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        const string ipsets = "ipsets.save";
        files[ipsets] = AntreaV010Iptables.IpSets(cluster.Nodes.Select(n => n.PodCidr).OfType<string>());
        foreach (var n in bridges)
        {
            var header = new StringBuilder()
                .Append("# ").Append(n.Name).Append(" br-int flows: Antrea v0.10's pipeline, written by datapath compile\n")
                .Append("# requires: ovs-ofctl add-tlv-map br-int \"").Append(AntreaFields.TlvMap).Append("\"\n");
            files[n.Flows!] = header + string.Concat(AntreaV010Flows.For(cluster, n, manifests.Policies).Select(l => l + "\n"));
            var local = new HashSet<string>(n.Pods.Select(p => p.Ip).Append(n.NodeIp), StringComparer.Ordinal);
            var t = new IptablesRestoreText();
            KubeProxyIptables.AddTo(t, ports, podCidr, local.Contains);
            AntreaV010Iptables.AddTo(t, n.PodCidr!, n.Gateway!.Name ?? "antrea-gw0");
            files[n.Iptables!] = $"# {n.Name}: kube-proxy's (Kubernetes 1.18, iptables mode) and the Antrea v0.10 agent's rules, as iptables-save prints them\n" + t.Save();
            n.Ipsets = ipsets;
        }
        return new CompiledScenario(cluster, files, notes) { Ports = ports };
    }

    // ---- nodes

    private static void PrepareNode(ScenarioModel cluster, NodeModel n, int index, CidrBlock clusterPods, KubeSource at, CompilePipeline pipeline)
    {
        if (n.NodeMac.Length == 0)
            n.NodeMac = Mac("node/" + n.Name);
        if (n.PodCidr is null)
        {
            var used = cluster.Nodes.Select(x => x.PodCidr).OfType<string>().Select(CidrBlock.Parse).ToList();
            if (clusterPods.Length > NodeCidrMaskSize)
                throw at.At($"nodes.{index}", $"node {n.Name}: no podCIDR, and the cluster's {clusterPods} is smaller than a /{NodeCidrMaskSize}", "give the node its podCIDR");
            uint step = 1u << (32 - NodeCidrMaskSize);
            CidrBlock? free = null;
            for (ulong net = clusterPods.Network; net + step - 1 <= clusterPods.Last; net += step)
            {
                var candidate = new CidrBlock((uint)net, NodeCidrMaskSize);
                if (!used.Any(u => u.Contains(candidate.Network) || candidate.Contains(u.Network)))
                {
                    free = candidate;
                    break;
                }
            }
            n.PodCidr = (free ?? throw at.At($"nodes.{index}", $"node {n.Name}: no podCIDR, and the cluster's {clusterPods} has no free /{NodeCidrMaskSize} left")).ToString();
        }
        var block = CidrBlock.Parse(n.PodCidr);
        n.Gateway ??= new PortModel();
        n.Gateway.Name ??= "antrea-gw0";
        n.Gateway.Ip ??= $"{new Ipv4Address(block.Network + 1)}/{block.Length}";
        if (!block.Contains(n.Gateway.Ip.Split('/')[0]))
            throw at.At($"nodes.{index}.gateway.ip", $"node {n.Name}: the gateway's {n.Gateway.Ip} is not in the node's podCIDR {n.PodCidr}");
        n.Gateway.Mac ??= Mac("gateway/" + n.Name);
        if (n.Gateway.OfPort == 0)
            n.Gateway.OfPort = 2;
        if (n.Gateway.Mtu == 0)
            n.Gateway.Mtu = 1450;
        n.Tunnel ??= new PortModel();
        n.Tunnel.Name ??= "antrea-tun0";
        n.Tunnel.Mac ??= Mac("tunnel/" + n.Name);
        if (n.Tunnel.OfPort == 0)
            n.Tunnel.OfPort = 1;
        n.Flows = n.Name + ".flows";
        n.Iptables = n.Name + ".iptables";
        bool v2 = pipeline == CompilePipeline.Antrea2;
        n.Groups = v2 ? n.Name + ".groups" : null;
        n.Meters = v2 ? n.Name + ".meters" : null;
        n.Ipsets = v2 ? n.Name + ".ipsets" : null;
        n.Tables = [.. AntreaTables.NameSets[v2 ? "antrea-2" : "antrea-v0.10"]];
    }

    // AntreaProxy's routes with proxyAll: the Service CIDR and the virtual NodePort DNAT IP through the virtual Service
    // IP, that address on the gateway, and its permanent neighbour (the global virtual MAC), each unless cluster.yaml has it.
    private static void AddProxyAllRoutes(ScenarioModel cluster, NodeModel n, string serviceCidr)
    {
        string gw = n.Gateway!.Name!;
        const string virtualIp = AntreaV2Flows.VirtualServiceIp;
        foreach (var (dst, route) in new[]
        {
            (serviceCidr, $"{serviceCidr} via {virtualIp} dev {gw}"),
            (AntreaV2Flows.VirtualNodePortDnatIp, $"{AntreaV2Flows.VirtualNodePortDnatIp} via {virtualIp} dev {gw}"),
            (virtualIp, $"{virtualIp} dev {gw} scope link"),
        })
        {
            if (!n.Routes.Any(r => r.Split(' ', 2)[0] == dst))
                n.Routes.Add(route);
        }
        if (!n.Neighbors.Any(x => x.Ip == virtualIp))
            n.Neighbors.Insert(0, new NeighborModel { Ip = virtualIp, Mac = cluster.Cluster.GlobalVirtualMac!, Dev = gw });
    }

    // The Antrea 2.x scenario's files: per node its flows, groups, meters, iptables and ipsets. AntreaProxy skips a
    // headless Service (clusterIP None): it gets no group, and the next Service's group takes its number.
    private static Dictionary<string, string> Antrea2Files(ScenarioModel cluster, List<NodeModel> bridges, KubeManifests manifests, List<KubeServicePort> allPorts)
    {
        var ports = allPorts.Where(p => p.ClusterIp != "None").ToList();
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var n in bridges)
        {
            files[n.Flows!] = AntreaV2Flows.For(cluster, n, ports, manifests.Policies);
            files[n.Groups!] = AntreaV2Groups.For(cluster, n, ports);
            files[n.Meters!] = AntreaV2Meters.Text();
            files[n.Iptables!] = AntreaV2Iptables.For(n);
            files[n.Ipsets!] = AntreaV2IpSets.For(cluster, n, ports);
        }
        return files;
    }

    private static void AddRoutesAndNeighbors(ScenarioModel cluster, NodeModel n)
    {
        string gw = n.Gateway!.Name!;
        string gwIp = n.Gateway.Ip!.Split('/')[0];
        bool Routed(string cidr) => n.Routes.Any(r => r.Split(' ', 2)[0] == cidr);
        if (!Routed(n.PodCidr!))
            n.Routes.Add($"{n.PodCidr} dev {gw} proto kernel scope link src {gwIp}");
        foreach (var peer in cluster.Nodes.Where(p => p != n && p.PodCidr is not null))
        {
            if (!Routed(peer.PodCidr!))
                n.Routes.Add($"{peer.PodCidr} via {AntreaV010Flows.PeerGateway(peer)} dev {gw} onlink");
            if (peer.NodeMac.Length > 0 && !n.Neighbors.Any(x => x.Ip == peer.NodeIp))
                n.Neighbors.Add(new NeighborModel { Ip = peer.NodeIp, Mac = peer.NodeMac, Dev = n.Uplink ?? "eth0" });
        }
    }

    // ---- pods

    private static void PlacePods(ScenarioModel cluster, List<NodeModel> bridges, KubeManifests manifests, KubeSource at, List<string> notes)
    {
        foreach (var pod in manifests.Pods)
        {
            var src = pod.Source!;
            var existingNode = cluster.Nodes.FirstOrDefault(n => n.Pods.Any(p => p.Pod == pod.Key));
            var existing = existingNode?.Pods.First(p => p.Pod == pod.Key);
            NodeModel node;
            if (pod.NodeName is { } name)
            {
                node = cluster.Nodes.FirstOrDefault(n => n.Name == name)
                    ?? throw src.At("spec.nodeName", $"pod {pod.Key}: node '{name}' is not in cluster.yaml",
                        DidYouMean.Closest(name, cluster.Nodes.Select(n => n.Name)) is { } near ? $"did you mean '{near}'?" : $"the nodes are {string.Join(", ", cluster.Nodes.Select(n => n.Name))}");
                if (!bridges.Contains(node) && !pod.HostNetwork)
                    throw src.At("spec.nodeName", $"pod {pod.Key}: node '{name}' has no bridge in this compile (cluster.yaml gives it no flows:)", $"the nodes with a bridge are {string.Join(", ", bridges.Select(n => n.Name))}");
            }
            else if (existingNode is not null)
            {
                node = existingNode;
            }
            else
            {
                node = bridges.OrderBy(n => n.Pods.Count).First();
                notes.Add($"{src.Location}: pod {pod.Key} has no spec.nodeName: scheduled on {node.Name} (the node with the fewest pods)");
            }
            if (pod.HostNetwork)
            {
                if (existing is not null)
                    existingNode!.Pods.Remove(existing);
                continue;
            }
            if (existing is not null && existingNode == node)
            {
                if (pod.PodIp is { } ip && ip != existing.Ip)
                    throw src.At("status.podIP", $"pod {pod.Key}: status.podIP {ip}, but cluster.yaml gives it {existing.Ip}");
                existing.Labels = new Dictionary<string, string>(pod.Labels, StringComparer.Ordinal);
                continue;
            }
            if (existing is not null)
            {
                existingNode!.Pods.Remove(existing);
                notes.Add($"{src.Location}: pod {pod.Key} moves from {existingNode.Name} to {node.Name}: it gets a new address and port there");
            }
            var added = NewPod(node, pod, src);
            node.Pods.Add(added);
            notes.Add($"{src.Location}: pod {pod.Key} on {node.Name}: ip {added.Ip}, ofport {added.OfPort}, port {added.Port}");
        }
    }

    private static PodModel NewPod(NodeModel node, KubePod pod, KubeSource src)
    {
        var block = CidrBlock.Parse(node.PodCidr!);
        var used = new HashSet<uint>(node.Pods.Select(p => Ipv4Address.Parse(p.Ip).Value)) { Ipv4Address.Parse(node.Gateway!.Ip!.Split('/')[0]).Value };
        string ip;
        if (pod.PodIp is { } given)
        {
            uint v = Ipv4Address.Parse(given).Value;
            if (!block.Contains(v))
                throw src.At("status.podIP", $"pod {pod.Key}: status.podIP {given} is not in {node.Name}'s podCIDR {node.PodCidr}");
            if (used.Contains(v))
                throw src.At("status.podIP", $"pod {pod.Key}: status.podIP {given} is already {node.Name}'s {(node.Pods.FirstOrDefault(p => p.Ip == given)?.Pod ?? "gateway")}");
            ip = given;
        }
        else
        {
            uint gw = Ipv4Address.Parse(node.Gateway.Ip.Split('/')[0]).Value;
            uint next = gw + 1;
            while (next < block.Last && used.Contains(next))
                next++;
            if (next >= block.Last)
                throw src.At("metadata.name", $"pod {pod.Key}: {node.Name}'s podCIDR {node.PodCidr} has no free address left");
            ip = new Ipv4Address(next).ToString();
        }
        var ofports = node.Pods.Select(p => p.OfPort).Append(node.Gateway.OfPort).Append(node.Tunnel!.OfPort).ToHashSet();
        uint ofport = ofports.Max() + 1;
        if (ofport > Classifier.OpenFlowPorts.Max - 1)
            ofport = Enumerable.Range(1, (int)Classifier.OpenFlowPorts.Max - 1).Select(i => (uint)i).First(i => !ofports.Contains(i));
        var names = node.Pods.Select(p => p.Port).Append(node.Gateway.Name!).Append(node.Tunnel.Name!).ToHashSet(StringComparer.Ordinal);
        string port = InterfaceName(pod.Name, pod.Key);
        for (int i = 1; names.Contains(port); i++)
            port = InterfaceName(pod.Name, pod.Key + "/" + i.ToString(CultureInfo.InvariantCulture));
        return new PodModel
        {
            Pod = pod.Key,
            OfPort = ofport,
            Port = port,
            PortMac = Mac("port/" + pod.Key),
            Ip = ip,
            Mac = Mac("pod/" + pod.Key),
            Labels = new Dictionary<string, string>(pod.Labels, StringComparer.Ordinal),
        };
    }

    /// <summary>Antrea v0.10's GenerateContainerInterfaceName: the name's first 8 characters, '-', SHA-1(key)'s first 6 hex digits.</summary>
    internal static string InterfaceName(string podName, string key)
    {
        string prefix = podName.Length > 8 ? podName[..8] : podName;
#pragma warning disable CA5350 // Antrea's name, not a security use: its generateInterfaceName hashes with SHA-1
        return prefix + "-" + Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(key)))[..6];
#pragma warning restore CA5350
    }

    /// <summary>A locally administered unicast MAC derived from <paramref name="key"/>.</summary>
    internal static string Mac(string key)
    {
        byte[] h = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        h[0] = (byte)((h[0] & 0xfc) | 0x02);
        return string.Join(':', h.Take(6).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }

    // ---- services

    private static List<KubeServicePort> PlaceServices(ScenarioModel cluster, KubeManifests manifests, CidrBlock serviceCidr, List<string> notes)
    {
        static string ServiceOf(ServiceModel s) => s.Name.Contains(':', StringComparison.Ordinal) ? s.Name[..s.Name.IndexOf(':', StringComparison.Ordinal)] : s.Name;
        static string PortOf(ServiceModel s) => s.Name.Contains(':', StringComparison.Ordinal) ? s.Name[(s.Name.IndexOf(':', StringComparison.Ordinal) + 1)..] : "";
        var compiled = new HashSet<string>(manifests.Services.Select(s => s.Key), StringComparer.Ordinal);
        var kept = cluster.Services.Where(s => !compiled.Contains(ServiceOf(s))).ToList();
        var before = cluster.Services.ToList();
        var ports = kept.Select(KubeServicePort.From).ToList();
        var usedIps = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in kept.Where(s => s.ClusterIp != "None"))
            usedIps.TryAdd(s.ClusterIp, ServiceOf(s));
        var usedNodePorts = new Dictionary<int, string>();
        foreach (var s in kept.Where(s => s.NodePort != 0))
            usedNodePorts.TryAdd(s.NodePort, ServiceOf(s));
        var result = new List<ServiceModel>(kept);
        var pods = cluster.Nodes.SelectMany(n => n.Pods.Select(p => (Key: p.Pod, p.Ip, p.Labels)))
            .Concat(manifests.Pods.Where(p => p.HostNetwork).Select(p => (p.Key, Ip: cluster.Nodes.FirstOrDefault(n => n.Name == p.NodeName)?.NodeIp ?? "", p.Labels)))
            .Where(p => p.Ip.Length > 0).ToList();

        foreach (var svc in manifests.Services)
        {
            var src = svc.Source!;
            var previous = before.Where(s => ServiceOf(s) == svc.Key).ToList();
            string clusterIp = svc.ClusterIp ?? previous.FirstOrDefault()?.ClusterIp ?? AllocateIp(serviceCidr, usedIps, svc.Key == "default/kubernetes")
                ?? throw src.At("metadata.name", $"service {svc.Key}: the service CIDR {serviceCidr} has no free address left");
            if (clusterIp != "None")
            {
                if (!serviceCidr.Contains(clusterIp))
                    throw src.At("spec.clusterIP", $"service {svc.Key}: clusterIP {clusterIp} is not in the service CIDR {serviceCidr}", "the API server refuses it: provided IP is not in the valid range");
                if (usedIps.TryGetValue(clusterIp, out string? owner) && owner != svc.Key)
                    throw src.At("spec.clusterIP", $"service {svc.Key}: clusterIP {clusterIp} is already {owner}'s", "the API server refuses it: provided IP is already allocated");
                usedIps[clusterIp] = svc.Key;
                if (svc.ClusterIp is null && previous.Count == 0)
                    notes.Add($"{src.Location}: service {svc.Key}: clusterIP {clusterIp}");
            }
            for (int i = 0; i < svc.Ports.Count; i++)
            {
                var spec = svc.Ports[i];
                int nodePort = spec.NodePort;
                if (svc.Type == "NodePort")
                {
                    if (nodePort == 0)
                    {
                        nodePort = previous.FirstOrDefault(p => PortOf(p) == spec.Name && p.NodePort != 0)?.NodePort ?? 0;
                        if (nodePort == 0 || usedNodePorts.ContainsKey(nodePort))
                        {
                            nodePort = Enumerable.Range(NodePortMin, NodePortMax - NodePortMin + 1).FirstOrDefault(p => !usedNodePorts.ContainsKey(p));
                            if (nodePort == 0)
                                throw src.At($"spec.ports.{i}", $"service {svc.Key}: no NodePort is free in {NodePortMin}-{NodePortMax}");
                            notes.Add($"{src.Location}: service {svc.Key} port {spec.Port}: nodePort {nodePort}");
                        }
                    }
                    else if (nodePort is < NodePortMin or > NodePortMax)
                    {
                        throw src.At($"spec.ports.{i}.nodePort", $"service {svc.Key}: nodePort {nodePort} is not in {NodePortMin}-{NodePortMax}", "the API server refuses it: provided port is not in the valid range");
                    }
                    if (usedNodePorts.TryGetValue(nodePort, out string? holder) && holder != svc.Key)
                        throw src.At($"spec.ports.{i}.nodePort", $"service {svc.Key}: nodePort {nodePort} is already {holder}'s", "the API server refuses it: provided port is already allocated");
                    usedNodePorts[nodePort] = svc.Key;
                }
                var endpoints = Endpoints(svc, spec, manifests, pods, notes);
                var model = new ServiceModel
                {
                    Name = spec.Name.Length == 0 ? svc.Key : $"{svc.Key}:{spec.Name}",
                    ClusterIp = clusterIp,
                    Port = spec.Port,
                    NodePort = nodePort,
                    Protocol = spec.Protocol,
                    Endpoints = endpoints,
                };
                result.Add(model);
                ports.Add(KubeServicePort.From(model) with { AffinitySeconds = svc.AffinitySeconds, ExternalLocal = svc.ExternalLocal });
            }
        }
        cluster.Services = result;
        return ports;
    }

    private static string? AllocateIp(CidrBlock cidr, Dictionary<string, string> used, bool kubernetes)
    {
        // The range's first address is the kubernetes Service's (the API server reserves it).
        for (ulong a = cidr.Network + (kubernetes ? 1u : 2u); a < cidr.Last; a++)
        {
            string ip = new Ipv4Address((uint)a).ToString();
            if (!used.ContainsKey(ip))
                return ip;
        }
        return null;
    }

    // The Service port's endpoints as IP:PORT, as kube-proxy reads them.
    private static List<string> Endpoints(KubeService svc, KubeServicePortSpec spec, KubeManifests manifests, List<(string Key, string Ip, Dictionary<string, string> Labels)> pods, List<string> notes)
    {
        var result = new List<string>();
        var sets = manifests.Endpoints.Where(e => e.Namespace == svc.Namespace && e.ServiceName == svc.Name).ToList();
        if (sets.Count == 0)
            sets = [.. manifests.EndpointSlices.Where(e => e.Namespace == svc.Namespace && e.ServiceName == svc.Name)];
        if (sets.Count > 0)
        {
            foreach (var set in sets)
                if (set.Ports.FirstOrDefault(p => p.Name == spec.Name && p.Protocol == spec.Protocol) is { } port)
                    result.AddRange(set.Addresses.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a}:{port.Port}")));
            return [.. result.Distinct(StringComparer.Ordinal)];
        }
        if (svc.Selector is not { } selector)
            return result;
        bool Selected(Dictionary<string, string> labels) => selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);
        var selected = pods.Where(p => p.Key.StartsWith(svc.Namespace + "/", StringComparison.Ordinal) && Selected(p.Labels)).Select(p => (p.Key, p.Ip));
        foreach (var (key, ip) in selected)
        {
            if (TargetPort(spec, manifests.Pods.FirstOrDefault(p => p.Key == key)) is { } port)
                result.Add(string.Create(CultureInfo.InvariantCulture, $"{ip}:{port}"));
            else
                notes.Add($"{svc.Source!.Location}: service {svc.Key} port {spec.Port}: pod {key} has no container port named '{spec.TargetPort}': not an endpoint");
        }
        return [.. result.Distinct(StringComparer.Ordinal)];
    }

    // targetPort: a number, or a container port's name in the pod (absent from a pod that cluster.yaml alone gives).
    private static int? TargetPort(KubeServicePortSpec spec, KubePod? pod)
    {
        if (int.TryParse(spec.TargetPort, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
            return number;
        return pod?.Ports.FirstOrDefault(p => p.Name == spec.TargetPort && p.Protocol == spec.Protocol)?.Port;
    }
}
