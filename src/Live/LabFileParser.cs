using System.Globalization;
using System.Net;
using System.Net.Sockets;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Datapath.Live;

/// <summary>
/// Reads a lab file (docs/lab.md) with YamlDotNet's representation model, so every error names the
/// FILE:LINE:COL of the offending value. Unknown keys are errors (a typo must not silently unbind a port).
/// </summary>
public static class LabFileParser
{
    private static readonly string[] s_topKeys = ["scenario", "nodes"];
    private static readonly string[] s_nodeKeys = ["control", "underlay", "peers", "ports", "flows", "flowsText", "addFlows", "host"];
    private static readonly string[] s_portKeys = ["bind", "ofport", "mac", "mtu", "ring"];

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    /// <exception cref="LabFileException">The file is not a valid lab file.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static LabFile Load(string path)
    {
        string text = File.ReadAllText(path);
        return Parse(text, path);
    }

    /// <summary>Parses lab text; relative paths in it are taken from <paramref name="path"/>'s directory.</summary>
    internal static LabFile Parse(string text, string path)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new LabFileException(path, (int)e.Start.Line, (int)e.Start.Column, e.InnerException?.Message ?? e.Message);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new LabFileException(path, 1, 1, "a lab file is a mapping with 'scenario' and 'nodes'");
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".";
        CheckKeys(root, s_topKeys, path, "lab file");

        string scenario = "embedded";
        if (Get(root, "scenario") is { } sc)
        {
            string v = Scalar(sc, path, "scenario");
            scenario = v is "embedded" or "none" ? v : Resolve(dir, v);
        }

        var nodesNode = Get(root, "nodes") as YamlMappingNode
            ?? throw new LabFileException(path, (int)root.Start.Line, (int)root.Start.Column, "'nodes' (a mapping of node name to its settings) is required");
        var nodes = new List<LabNode>();
        foreach (var (keyNode, value) in nodesNode.Children)
        {
            string name = Scalar(keyNode, path, "node name");
            if (value is not YamlMappingNode map)
                throw At(value, path, $"node {name}: expected a mapping (control, underlay, peers, ports)");
            nodes.Add(ParseNode(name, keyNode, map, path, dir));
        }
        if (nodes.Count == 0)
            throw At(nodesNode, path, "'nodes' is empty");
        return new LabFile(path, scenario, nodes);
    }

    private static LabNode ParseNode(string name, YamlNode keyNode, YamlMappingNode map, string path, string dir)
    {
        CheckKeys(map, s_nodeKeys, path, $"node {name}");
        string control = Get(map, "control") is { } c ? Resolve(dir, Scalar(c, path, "control")) : System.IO.Path.Combine(dir, name + ".sock");
        IPEndPoint? underlay = null;
        if (Get(map, "underlay") is { } u)
            underlay = Endpoint(u, path, $"node {name}: underlay", null);
        var peers = new List<LabPeer>();
        if (Get(map, "peers") is { } pn)
        {
            if (pn is not YamlMappingNode pm)
                throw At(pn, path, $"node {name}: 'peers' maps a node name or node IP to its underlay address");
            if (underlay is null)
                throw At(pn, path, $"node {name}: 'peers' needs 'underlay' (the local UDP endpoint)");
            foreach (var (k, v) in pm.Children)
            {
                var ep = Endpoint(v, path, $"node {name}: peer", underlay.Port);
                peers.Add(new LabPeer(Scalar(k, path, "peer"), ep, (int)v.Start.Line, (int)v.Start.Column));
            }
        }
        var ports = new List<LabPortBinding>();
        if (Get(map, "ports") is { } portsNode)
        {
            if (portsNode is not YamlMappingNode portsMap)
                throw At(portsNode, path, $"node {name}: 'ports' maps a bridge port name to a live port (tap:NAME, afpacket:IF, pcap:IF)");
            foreach (var (k, v) in portsMap.Children)
                ports.Add(ParsePort(name, Scalar(k, path, "port name"), v, path));
            var dup = ports.GroupBy(p => (p.Kind == LabPortKind.Tap, p.Interface)).FirstOrDefault(g => g.Count() > 1);
            if (dup is not null)
            {
                var second = dup.Skip(1).First();
                throw new LabFileException(path, second.Line, second.Column, $"node {name}: interface '{second.Interface}' is bound twice");
            }
        }
        string? flowsText = null, flowsSource = null;
        if (Get(map, "flows") is { } fl)
        {
            string file = Resolve(dir, Scalar(fl, path, "flows"));
            if (!File.Exists(file))
                throw At(fl, path, $"node {name}: flows file '{file}' does not exist");
            flowsText = File.ReadAllText(file);
            flowsSource = file;
        }
        if (Get(map, "flowsText") is { } ft)
        {
            if (flowsText is not null)
                throw At(ft, path, $"node {name}: give 'flows' (a file) or 'flowsText' (inline), not both");
            flowsText = Scalar(ft, path, "flowsText");
            flowsSource = $"{path}:{ft.Start.Line}";
        }
        string? addFlowsText = null, addFlowsSource = null;
        if (Get(map, "addFlows") is { } af)
        {
            addFlowsText = Scalar(af, path, "addFlows");
            addFlowsSource = $"{path}:{af.Start.Line}";
        }
        bool host = true;
        if (Get(map, "host") is { } hn)
        {
            string v = Scalar(hn, path, "host");
            host = v switch
            {
                "true" or "on" or "yes" => true,
                "false" or "off" or "no" => false,
                _ => throw At(hn, path, $"node {name}: host: '{v}' is not true or false"),
            };
        }
        return new LabNode
        {
            Name = name,
            Host = host,
            ControlSocket = control,
            Underlay = underlay,
            Peers = peers,
            Ports = ports,
            FlowsText = flowsText,
            FlowsSource = flowsSource,
            AddFlowsText = addFlowsText,
            AddFlowsSource = addFlowsSource,
            Line = (int)keyNode.Start.Line,
            Column = (int)keyNode.Start.Column,
        };
    }

    private static LabPortBinding ParsePort(string node, string port, YamlNode value, string path)
    {
        YamlNode bindNode = value;
        uint? ofport = null;
        string? mac = null;
        int? mtu = null;
        Io.Live.AfPacketRxRing? ring = null;
        if (value is YamlMappingNode m)
        {
            CheckKeys(m, s_portKeys, path, $"node {node}: port {port}");
            bindNode = Get(m, "bind") ?? throw At(m, path, $"node {node}: port {port}: 'bind' (tap:NAME, afpacket:IF or pcap:IF) is required");
            if (Get(m, "ofport") is { } o)
            {
                string t = Scalar(o, path, "ofport");
                if (!uint.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) || n is 0 or > 0xfeff)
                    throw At(o, path, $"node {node}: port {port}: ofport '{t}' is not a port number (1..65279)");
                ofport = n;
            }
            if (Get(m, "mac") is { } mc)
            {
                mac = Scalar(mc, path, "mac");
                if (!Packets.MacAddress.TryParse(mac, out _))
                    throw At(mc, path, $"node {node}: port {port}: '{mac}' is not a MAC address");
            }
            if (Get(m, "mtu") is { } mt)
            {
                string t = Scalar(mt, path, "mtu");
                if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n is < 68 or > 65535)
                    throw At(mt, path, $"node {node}: port {port}: mtu '{t}' is not between 68 and 65535");
                mtu = n;
            }
            if (Get(m, "ring") is { } rg)
            {
                string t = Scalar(rg, path, "ring");
                ring = t switch
                {
                    "v3" => Io.Live.AfPacketRxRing.V3,
                    "v2" => Io.Live.AfPacketRxRing.V2,
                    "none" => Io.Live.AfPacketRxRing.None,
                    _ => throw At(rg, path, $"node {node}: port {port}: ring '{t}' is not v3, v2 or none"),
                };
            }
        }
        string bind = Scalar(bindNode, path, "bind");
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
            throw At(bindNode, path, $"node {node}: port {port}: '{bind}' is not tap:NAME, afpacket:IFNAME or pcap:IFNAME");
        if (ifname.Length is 0 or > 15 || ifname.Any(ch => ch is '/' or ':' || char.IsWhiteSpace(ch)))
            throw At(bindNode, path, $"node {node}: port {port}: '{ifname}' is not an interface name (1 to 15 characters, no '/', ':' or spaces)");
        return new LabPortBinding(port, kind.Value, ifname, (int)bindNode.Start.Line, (int)bindNode.Start.Column)
        {
            OfPort = ofport,
            Mac = mac,
            Mtu = mtu,
            Ring = ring,
        };
    }

    private static IPEndPoint Endpoint(YamlNode node, string path, string what, int? defaultPort)
    {
        string text = Scalar(node, path, what);
        string host = text;
        int port = defaultPort ?? Io.Underlay.UdpGeneveUnderlay.GenevePort;
        int colon = text.LastIndexOf(':');
        if (colon >= 0)
        {
            host = text[..colon];
            if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
                throw At(node, path, $"{what}: '{text}' has no valid UDP port");
        }
        if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
            throw At(node, path, $"{what}: '{text}' is not IPV4:PORT");
        if (defaultPort is { } local && port != local)
            throw At(node, path, $"{what}: '{text}': peers must use the same UDP port as the local underlay ({local})");
        return new IPEndPoint(ip, port);
    }

    private static void CheckKeys(YamlMappingNode map, string[] allowed, string path, string what)
    {
        foreach (var key in map.Children.Keys)
        {
            string k = key is YamlScalarNode s ? s.Value ?? "" : "";
            if (Array.IndexOf(allowed, k) < 0)
                throw At(key, path, $"{what}: unknown key '{k}' (expected {string.Join(", ", allowed)})");
        }
    }

    private static YamlNode? Get(YamlMappingNode map, string key)
        => map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string Scalar(YamlNode node, string path, string what)
        => node is YamlScalarNode { Value: { Length: > 0 } v } ? v : throw At(node, path, $"{what}: expected a non-empty value");

    private static string Resolve(string dir, string path) => System.IO.Path.GetFullPath(path, dir);

    private static LabFileException At(YamlNode node, string path, string message)
        => new(path, (int)node.Start.Line, (int)node.Start.Column, message);
}
