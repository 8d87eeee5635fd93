using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Datapath.Antrea;
using Datapath.Packets;
using YamlDotNet.RepresentationModel;

namespace Datapath.Live;

/// <summary>
/// Reads a lab file (docs/lab.md) through <see cref="YamlInput"/>, so every error is an
/// <see cref="InputException"/> naming the FILE:LINE:COL of the offending key or value. Unknown keys are
/// errors with a did-you-mean hint (a typo must not silently unbind a port); a file that is missing, a
/// directory or empty is a whole-file error.
/// </summary>
public static class LabFileParser
{
    private static readonly string[] s_topKeys = ["scenario", "nodes"];
    private static readonly string[] s_nodeKeys = ["control", "underlay", "peers", "ports", "local", "flows", "flowsText", "addFlows", "host"];
    /// <summary><c>scenario: embedded:calico</c> names an embedded lab (<c>embedded</c> alone is the seed).</summary>
    public const string EmbeddedPrefix = "embedded:";

    private static readonly string[] s_portKeys = ["bind", "ofport", "mac", "mtu", "ring", "filter"];

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    /// <exception cref="InputException">The file is missing, a directory, empty, or not a valid lab file (located).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static LabFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
            throw InputException.InFile(path, "is a directory, not a lab file");
        if (!File.Exists(path))
            throw InputException.InFile(path, "no such file");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses lab text; relative paths in it are taken from <paramref name="path"/>'s directory.</summary>
    internal static LabFile Parse(string text, string path)
    {
        var yaml = YamlInput.Parse(text, path);
        var root = yaml.Root as YamlMappingNode ?? throw yaml.At(yaml.Root, "a lab file is a mapping with 'scenario' and 'nodes'");
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".";
        yaml.CheckKeys(root, "lab file", s_topKeys);

        string scenario = "embedded";
        if (yaml.OptionalText(root, "scenario", "lab file") is { } v)
        {
            if (v.StartsWith(EmbeddedPrefix, StringComparison.Ordinal))
            {
                string lab = v[EmbeddedPrefix.Length..];
                if (!AntreaScenario.EmbeddedLabs.Contains(lab))
                {
                    string? near = DidYouMean.Closest(lab, AntreaScenario.EmbeddedLabs);
                    throw yaml.At(YamlInput.Get(root, "scenario")!, $"lab file: no embedded lab '{lab}'{(near is null ? "" : $" (did you mean '{near}'?)")}",
                        $"embedded labs: {string.Join(", ", AntreaScenario.EmbeddedLabs.Select(l => EmbeddedPrefix + l))}");
                }
                scenario = lab == "seed" ? "embedded" : v;
            }
            else
            {
                scenario = v is "embedded" or "none" ? v : Resolve(dir, v);
            }
            if (!scenario.StartsWith("embedded", StringComparison.Ordinal) && scenario != "none" && !Directory.Exists(scenario))
            {
                throw yaml.At(YamlInput.Get(root, "scenario")!, $"lab file: scenario '{scenario}' {(File.Exists(scenario) ? "is a file, not a scenario directory" : "does not exist")}",
                    "embedded (the seed), embedded:calico, none, or a directory holding cluster.yaml");
            }
        }

        var nodesNode = yaml.Mapping(yaml.Required(root, "nodes", "lab file"), "nodes (a mapping of node name to its settings)");
        var nodes = new List<LabNode>();
        foreach (var (keyNode, value) in nodesNode.Children)
        {
            string name = yaml.Text(keyNode, "node name");
            var map = yaml.Mapping(value, $"node {name}");
            nodes.Add(ParseNode(yaml, name, keyNode, map, dir));
        }
        if (nodes.Count == 0)
            throw yaml.At(nodesNode, "'nodes' is empty");
        return new LabFile(path, scenario, nodes);
    }

    private static LabNode ParseNode(YamlInput yaml, string name, YamlNode keyNode, YamlMappingNode map, string dir)
    {
        string what = $"node {name}";
        yaml.CheckKeys(map, what, s_nodeKeys);
        string control = yaml.OptionalText(map, "control", what) is { } c ? Resolve(dir, c) : System.IO.Path.Combine(dir, name + ".sock");
        IPEndPoint? underlay = null;
        if (YamlInput.Get(map, "underlay") is { } u)
            underlay = Endpoint(yaml, u, $"{what}: underlay", null);
        var peers = new List<LabPeer>();
        if (YamlInput.Get(map, "peers") is { } pn)
        {
            if (pn is not YamlMappingNode pm)
                throw yaml.At(pn, $"{what}: 'peers' maps a node name or node IP to its underlay address");
            if (underlay is null)
                throw yaml.At(pn, $"{what}: 'peers' needs 'underlay' (the local UDP endpoint)");
            foreach (var (k, v) in pm.Children)
            {
                var ep = Endpoint(yaml, v, $"{what}: peer", underlay.Port);
                peers.Add(new LabPeer(yaml.Text(k, $"{what}: peer"), ep, (int)v.Start.Line, (int)v.Start.Column));
            }
        }
        var ports = new List<LabPortBinding>();
        if (YamlInput.Get(map, "ports") is { } portsNode)
        {
            if (portsNode is not YamlMappingNode portsMap)
                throw yaml.At(portsNode, $"{what}: 'ports' maps a bridge port name to a live port (tap:NAME, afpacket:IF, pcap:IF)");
            foreach (var (k, v) in portsMap.Children)
                ports.Add(ParsePort(yaml, name, yaml.Text(k, $"{what}: port name"), v));
            var dup = ports.GroupBy(p => (p.Kind == LabPortKind.Tap, p.Interface)).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null)
            {
                var second = dup.Skip(1).First();
                throw new InputException(yaml.File, second.Line, second.Column, $"{what}: interface '{second.Interface}' is bound twice");
            }
        }
        LabPortBinding? local = null;
        if (YamlInput.Get(map, "local") is { } localNode)
        {
            local = ParsePort(yaml, name, "local", localNode);
            if (local.OfPort is not null)
                throw new InputException(yaml.File, local.Line, local.Column, $"{what}: local: the node's own stack has no ofport (it is no bridge port)");
            if (ports.Any(p => p.Kind == local.Kind && p.Interface == local.Interface))
                throw new InputException(yaml.File, local.Line, local.Column, $"{what}: interface '{local.Interface}' is bound twice");
        }
        string? flowsText = null, flowsSource = null;
        if (yaml.OptionalText(map, "flows", what) is { } flowsName)
        {
            string file = Resolve(dir, flowsName);
            string? problem = Directory.Exists(file) ? "is a directory, not a file" : !File.Exists(file) ? "does not exist" : null;
            flowsText = problem is null ? File.ReadAllText(file) : null;
            if (problem is null && string.IsNullOrWhiteSpace(flowsText))
                problem = "is empty";
            if (problem is not null)
                throw yaml.At(YamlInput.Get(map, "flows")!, $"{what}: flows file '{file}' {problem}");
            flowsSource = file;
        }
        if (yaml.OptionalText(map, "flowsText", what) is { } inline)
        {
            var ft = YamlInput.Get(map, "flowsText")!;
            if (flowsText is not null)
                throw yaml.At(ft, $"{what}: give 'flows' (a file) or 'flowsText' (inline), not both");
            flowsText = inline;
            flowsSource = $"{yaml.File}:{ft.Start.Line}";
        }
        string? addFlowsText = null, addFlowsSource = null;
        if (yaml.OptionalText(map, "addFlows", what) is { } add)
        {
            addFlowsText = add;
            addFlowsSource = $"{yaml.File}:{YamlInput.Get(map, "addFlows")!.Start.Line}";
        }
        bool host = yaml.OptionalText(map, "host", what) switch
        {
            null or "true" or "on" or "yes" => true,
            "false" or "off" or "no" => false,
            var v => throw yaml.At(YamlInput.Get(map, "host")!, $"{what}: host: '{v}' is not true or false"),
        };
        return new LabNode
        {
            Name = name,
            Host = host,
            ControlSocket = control,
            Underlay = underlay,
            Peers = peers,
            Ports = ports,
            Local = local,
            FlowsText = flowsText,
            FlowsSource = flowsSource,
            AddFlowsText = addFlowsText,
            AddFlowsSource = addFlowsSource,
            Line = (int)keyNode.Start.Line,
            Column = (int)keyNode.Start.Column,
        };
    }

    private static LabPortBinding ParsePort(YamlInput yaml, string node, string port, YamlNode value)
    {
        string what = $"node {node}: port {port}";
        YamlNode bindNode = value;
        uint? ofport = null;
        string? mac = null;
        int? mtu = null;
        Io.Live.AfPacketRxRing? ring = null;
        string? filter = null;
        YamlNode? filterNode = null;
        if (value is YamlMappingNode m)
        {
            yaml.CheckKeys(m, what, s_portKeys);
            bindNode = yaml.Required(m, "bind", $"{what} (tap:NAME, afpacket:IF or pcap:IF)");
            ofport = yaml.OptionalOfPort(m, "ofport", what);
            mac = yaml.OptionalChecked(m, "mac", what, YamlInput.Mac);
            mtu = (int?)yaml.OptionalInteger(m, "mtu", what, 68, 65535, "68..65535: IPv4 needs 68");
            ring = yaml.OptionalText(m, "ring", what) switch
            {
                null => null,
                "v3" => Io.Live.AfPacketRxRing.V3,
                "v2" => Io.Live.AfPacketRxRing.V2,
                "none" => Io.Live.AfPacketRxRing.None,
                var t => throw yaml.At(YamlInput.Get(m, "ring")!, $"{what}: ring '{t}' is not v3, v2 or none"),
            };
            filter = yaml.OptionalText(m, "filter", what);
            filterNode = YamlInput.Get(m, "filter");
        }
        string bind = yaml.Text(bindNode, $"{what}: bind");
        int colon = bind.IndexOf(':', StringComparison.Ordinal);
        LabPortKind? kind = colon < 0 ? null : bind[..colon] switch
        {
            "tap" => LabPortKind.Tap,
            "afpacket" => LabPortKind.AfPacket,
            "pcap" => LabPortKind.Pcap,
            _ => null,
        };
        string ifname = colon < 0 ? "" : bind[(colon + 1)..];
        if (kind is null)
            throw yaml.At(bindNode, $"{what}: '{bind}' is not tap:NAME, afpacket:IFNAME or pcap:IFNAME");
        if (YamlInput.InterfaceName(ifname) is { } wrong)
            throw yaml.At(bindNode, $"{what}: '{ifname}' {wrong}");
        if (filter is not null)
            CheckFilter(yaml, filterNode!, what, kind.Value, filter);
        return new LabPortBinding(port, kind.Value, ifname, (int)bindNode.Start.Line, (int)bindNode.Start.Column)
        {
            Filter = filter,
            OfPort = ofport,
            Mac = mac,
            Mtu = mtu,
            Ring = ring,
        };
    }

    /// <summary>A port's BPF <c>filter:</c> is for pcap: and afpacket: ports and must compile (checked when libpcap is installed; else when the port opens).</summary>
    private static void CheckFilter(YamlInput yaml, YamlNode node, string what, LabPortKind kind, string filter)
    {
        if (kind == LabPortKind.Tap)
            throw yaml.At(node, $"{what}: filter: is for pcap: and afpacket: ports (a TAP port has no BPF filter)");
        string? reason;
        try
        {
            reason = Io.Live.PcapPort.CheckFilter(filter);
        }
        catch (Io.Live.LiveIoException)
        {
            return; // libpcap is missing: opening the port says so, with the command that installs it
        }
        if (reason is not null)
            throw yaml.At(node, $"{what}: filter '{filter}' does not compile: {reason}");
    }

    private static IPEndPoint Endpoint(YamlInput yaml, YamlNode node, string what, int? defaultPort)
    {
        string text = yaml.Text(node, what);
        string host = text;
        int port = defaultPort ?? Io.Underlay.UdpGeneveUnderlay.GenevePort;
        int colon = text.LastIndexOf(':');
        if (colon >= 0)
        {
            host = text[..colon];
            if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                throw yaml.At(node, $"{what}: '{text}' has no valid UDP port");
        }
        if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork || !Packets.Ipv4Address.TryParse(host, out _))
            throw yaml.At(node, $"{what}: '{text}' is not IPV4:PORT");
        if (defaultPort is { } local && port != local)
            throw yaml.At(node, $"{what}: '{text}': peers must use the same UDP port as the local underlay ({local})");
        return new IPEndPoint(ip, port);
    }

    private static string Resolve(string dir, string path) => System.IO.Path.GetFullPath(path, dir);
}
