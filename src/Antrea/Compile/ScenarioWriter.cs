using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Datapath.Antrea.Compile;

// Writing a scenario
// ==================
//
// The inverse of ScenarioReader: a ScenarioModel as cluster.yaml text, and a scenario directory (cluster.yaml and the
// files it names). Whoever builds a scenario (datapath compile, datapath import) writes it here, so a written
// scenario is read back by the one reader into the same model (ScenarioWriterTests: the seed's and the Calico lab's
// models round-trip).
//
// Layout: the seed's. Top-level keys in the reader's order (cluster, nodes, services, packets); a node's keys in the
// reader's order, each only when it holds something (a default is left out, as a user would); ports, pods,
// neighbours, FDB entries and services one per line as flow mappings ({ pod: default/frontend, ofport: 49, ... });
// routes as a block list. A table name set the model spells out in full is written by its name (antrea-v0.10).
// Scalars are plain where YAML reads them back as the same text (names, addresses, MACs, routes: letters, digits,
// single spaces and . / : - _), else double-quoted (backslash escapes for the quote, the backslash and control characters).

/// <summary>Writes a <see cref="ScenarioModel"/> as cluster.yaml, and a scenario directory (see the essay above).</summary>
public static partial class ScenarioWriter
{
    /// <summary>The cluster.yaml text of <paramref name="model"/>, after <paramref name="header"/> lines written as comments.</summary>
    public static string ClusterYaml(ScenarioModel model, IEnumerable<string>? header = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var w = new StringBuilder();
        foreach (string line in header ?? [])
            w.Append("# ").Append(line).Append('\n');
        WriteCluster(w, model.Cluster);
        w.Append("nodes:\n");
        foreach (var n in model.Nodes)
            WriteNode(w, n, model.Cluster.IsCalico);
        if (model.Services.Count > 0)
        {
            w.Append("services:\n");
            foreach (var s in model.Services)
            {
                var f = new Fields { { "name", s.Name }, { "clusterIP", s.ClusterIp }, { "port", s.Port } };
                if (s.NodePort != 0)
                    f.Add("nodePort", s.NodePort);
                f.Add("protocol", s.Protocol);
                if (s.Endpoints.Count > 0)
                    f.Add("endpoints", "[" + string.Join(", ", s.Endpoints.Select(Scalar)) + "]", raw: true);
                w.Append("  - ").Append(f).Append('\n');
            }
        }
        if (model.Packets.Count > 0)
        {
            w.Append("packets:\n");
            foreach (var (name, line) in model.Packets)
                w.Append("  ").Append(Scalar(name)).Append(": ").Append(Quoted(line)).Append('\n');
        }
        return w.ToString();
    }

    /// <summary>
    /// Writes <paramref name="model"/>'s cluster.yaml and <paramref name="files"/> (name → text, the files it names)
    /// into <paramref name="directory"/>, creating it; returns the names written, cluster.yaml first.
    /// </summary>
    /// <exception cref="IOException">The directory or a file cannot be written.</exception>
    public static IReadOnlyList<string> WriteDirectory(string directory, ScenarioModel model, IReadOnlyDictionary<string, string> files, IEnumerable<string>? header = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        Directory.CreateDirectory(directory);
        var written = new List<string> { "cluster.yaml" };
        File.WriteAllText(Path.Combine(directory, "cluster.yaml"), ClusterYaml(model, header));
        foreach (var (name, text) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            File.WriteAllText(Path.Combine(directory, name), text);
            written.Add(name);
        }
        return written;
    }

    private static void WriteCluster(StringBuilder w, ClusterModel c)
    {
        var defaults = new ClusterModel();
        var lines = new List<string>();
        if (c.Cni != defaults.Cni)
            lines.Add($"cni: {Scalar(c.Cni)}");
        if (c.PodCidr is { } pod)
            lines.Add($"podCIDR: {pod}");
        if (c.ServiceCidr is { } svc)
            lines.Add($"serviceCIDR: {svc}");
        if (c.GlobalVirtualMac is { } vmac)
            lines.Add($"globalVirtualMAC: {vmac}");
        var t = c.Tunnel;
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"tunnel: {{ type: {t.Type}, udpPort: {t.UdpPort}, vni: {t.Vni}, csum: {(t.Csum ? "true" : "false")} }}"));
        if (c.CtZone != defaults.CtZone)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"ctZone: {c.CtZone}"));
        w.Append("cluster:\n");
        foreach (string l in lines)
            w.Append("  ").Append(l).Append('\n');
    }

    private static void WriteNode(StringBuilder w, NodeModel n, bool calico)
    {
        w.Append("  - name: ").Append(Scalar(n.Name)).Append('\n');
        void Key(string key, string? value)
        {
            if (value is not null)
                w.Append("    ").Append(key).Append(": ").Append(value).Append('\n');
        }
        Key("nodeIP", n.NodeIp);
        Key("nodeMAC", n.NodeMac.Length > 0 ? n.NodeMac : null);
        Key("uplink", n.Uplink is { } u ? Scalar(u) : null);
        Key("podCIDR", n.PodCidr);
        Key("gateway", n.Gateway is { } g ? Port(g, calico) : null);
        Key("tunnel", n.Tunnel is { } t ? Port(t, calico) : null);
        Key("vxlan", n.Vxlan is { } v ? Port(v, calico) : null);
        if (n.Pods.Count > 0)
        {
            w.Append("    pods:\n");
            foreach (var p in n.Pods)
            {
                var f = new Fields { { "pod", p.Pod } };
                if (!calico)
                    f.Add("ofport", p.OfPort);
                f.Add("port", p.Port);
                if (!calico || p.PortMac != ScenarioReader.CalicoVethMac)
                    f.Add("portMAC", p.PortMac);
                f.Add("ip", p.Ip);
                f.Add("mac", p.Mac);
                if (p.Labels.Count > 0)
                    f.Add("labels", "{ " + string.Join(", ", p.Labels.Select(kv => $"{Scalar(kv.Key)}: {Scalar(kv.Value)}")) + " }", raw: true);
                w.Append("      - ").Append(f).Append('\n');
            }
        }
        if (n.Routes.Count > 0)
        {
            w.Append("    routes:\n");
            foreach (string r in n.Routes)
                w.Append("      - ").Append(Scalar(r)).Append('\n');
        }
        if (n.Neighbors.Count > 0)
        {
            w.Append("    neighbors:\n");
            foreach (var nb in n.Neighbors)
                w.Append("      - ").Append(new Fields { { "ip", nb.Ip }, { "mac", nb.Mac }, { "dev", nb.Dev } }).Append('\n');
        }
        if (n.Fdb.Count > 0)
        {
            w.Append("    fdb:\n");
            foreach (var e in n.Fdb)
                w.Append("      - ").Append(new Fields { { "mac", e.Mac }, { "dst", e.Dst } }).Append('\n');
        }
        Key("flows", n.Flows is { } fl ? Scalar(fl) : null);
        Key("groups", n.Groups is { } gr ? Scalar(gr) : null);
        Key("meters", n.Meters is { } me ? Scalar(me) : null);
        Key("iptables", n.Iptables is { } ip ? Scalar(ip) : null);
        Key("ipsets", n.Ipsets is { } ips ? Scalar(ips) : null);
        if (n.Tables is { } tables)
        {
            string? set = AntreaTables.NameSets.FirstOrDefault(s => s.Value.SequenceEqual(tables)).Key;
            Key("tables", set ?? "{ " + string.Join(", ", tables.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key}: {Scalar(t.Value)}"))) + " }");
        }
        if (n.VlanLimit is { } vlanLimit)
            Key("vlanLimit", vlanLimit.ToString(CultureInfo.InvariantCulture));
    }

    private static string Port(PortModel p, bool calico)
    {
        var f = new Fields();
        if (p.Name is { } name)
            f.Add("name", name);
        if (p.OfPort != 0 && !calico)
            f.Add("ofport", p.OfPort);
        if (p.Ip is { } ip)
            f.Add("ip", ip);
        if (p.Mac is { } mac)
            f.Add("mac", mac);
        if (p.Mtu != 0)
            f.Add("mtu", p.Mtu);
        return f.ToString();
    }

    /// <summary>
    /// <paramref name="text"/> as a YAML scalar that reads back as the same text: plain when it is made of
    /// letters, digits, single spaces and <c>. / : - _</c> (and is not a YAML keyword), else double-quoted.
    /// </summary>
    public static string Scalar(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        bool plain = Plain().IsMatch(text) && !Keyword().IsMatch(text) && !text.Contains(": ", StringComparison.Ordinal) && !text.Contains("  ", StringComparison.Ordinal);
        return plain ? text : Quoted(text);
    }

    // YAML's double-quoted style: backslash escapes for the quote, the backslash and control characters.
    private static string Quoted(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in text)
        {
            if (c is '"' or '\\')
                sb.Append('\\').Append(c);
            else if (char.IsControl(c))
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else
                sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    // A plain scalar YAML reads back as the same string: no leading indicator, single inner spaces, no trailing space
    // or colon, no flow indicator (, [ ] { }), no comment (#); ": " is excluded by the caller.
    [GeneratedRegex(@"^[A-Za-z0-9_./](?:[A-Za-z0-9_./:\- ]*[A-Za-z0-9_./\-])?$")]
    private static partial Regex Plain();

    // Words YAML 1.1/1.2 read as something other than text.
    [GeneratedRegex(@"^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$")]
    private static partial Regex Keyword();

    /// <summary>A flow mapping's fields in order: <c>{ key: value, ... }</c>.</summary>
    private sealed class Fields : System.Collections.IEnumerable
    {
        private readonly List<string> _items = [];

        public void Add(string key, string value, bool raw = false) => _items.Add($"{key}: {(raw ? value : Scalar(value))}");

        public void Add(string key, long value) => _items.Add(string.Create(CultureInfo.InvariantCulture, $"{key}: {value}"));

        public System.Collections.IEnumerator GetEnumerator() => _items.GetEnumerator();

        public override string ToString() => "{ " + string.Join(", ", _items) + " }";
    }
}
