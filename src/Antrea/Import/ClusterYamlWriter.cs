using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Datapath.Antrea.Import;

/// <summary>
/// Writes a <see cref="ScenarioModel"/> as cluster.yaml (docs/scenario.md's keys), laid out as the seed's: a node per
/// list item, ports and pods as one-line flow mappings, routes as a list of strings. Strings that YAML would read as
/// something else (or that carry YAML's punctuation) are double-quoted with JSON's escapes, which YAML reads alike; a
/// default is not written.
/// </summary>
public static class ClusterYamlWriter
{
    public static string Write(ScenarioModel model, IEnumerable<string>? header = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var sb = new StringBuilder();
        foreach (string line in header ?? [])
            sb.Append("# ").Append(line).Append('\n');
        var c = model.Cluster;
        var cluster = new List<string>();
        if (c.Cni != "antrea")
            cluster.Add($"cni: {c.Cni}");
        if (c.PodCidr is { } pc)
            cluster.Add($"podCIDR: {pc}");
        if (c.ServiceCidr is { } sc)
            cluster.Add($"serviceCIDR: {sc}");
        if (c.GlobalVirtualMac is { } gm)
            cluster.Add($"globalVirtualMAC: {gm}");
        if (cluster.Count > 0)
        {
            sb.Append("cluster:\n");
            foreach (string line in cluster)
                sb.Append("  ").Append(line).Append('\n');
        }
        sb.Append("nodes:\n");
        foreach (var n in model.Nodes)
        {
            sb.Append("  - name: ").Append(Scalar(n.Name)).Append('\n');
            Key(sb, "nodeIP", n.NodeIp);
            if (n.NodeMac.Length > 0)
                Key(sb, "nodeMAC", n.NodeMac);
            if (n.Uplink is { } up)
                Key(sb, "uplink", up);
            if (n.PodCidr is { } pod)
                Key(sb, "podCIDR", pod);
            if (n.Gateway is { } gw)
                sb.Append("    gateway: ").Append(Port(gw, withIp: true)).Append('\n');
            if (n.Tunnel is { } tun)
                sb.Append("    tunnel: ").Append(Port(tun, withIp: false)).Append('\n');
            if (n.Pods.Count > 0)
            {
                sb.Append("    pods:\n");
                foreach (var p in n.Pods)
                {
                    var fields = new List<string> { $"pod: {Scalar(p.Pod)}", $"ofport: {p.OfPort}", $"port: {Scalar(p.Port)}", $"portMAC: {p.PortMac}", $"ip: {p.Ip}", $"mac: {p.Mac}" };
                    if (p.Labels.Count > 0)
                        fields.Add($"labels: {{ {string.Join(", ", p.Labels.Select(l => $"{Scalar(l.Key)}: {Scalar(l.Value)}"))} }}");
                    sb.Append("      - { ").Append(string.Join(", ", fields)).Append(" }\n");
                }
            }
            if (n.Routes.Count > 0)
            {
                sb.Append("    routes:\n");
                foreach (string r in n.Routes)
                    sb.Append("      - ").Append(Scalar(r)).Append('\n');
            }
            if (n.Neighbors.Count > 0)
            {
                sb.Append("    neighbors:\n");
                foreach (var nb in n.Neighbors)
                    sb.Append("      - { ip: ").Append(nb.Ip).Append(", mac: ").Append(nb.Mac).Append(", dev: ").Append(Scalar(nb.Dev)).Append(" }\n");
            }
            Optional(sb, "flows", n.Flows);
            Optional(sb, "groups", n.Groups);
            Optional(sb, "meters", n.Meters);
            if (n.Tables is { Count: > 0 } tables)
                sb.Append("    tables: { ").Append(string.Join(", ", tables.Select(t => $"{t.Key}: {Scalar(t.Value)}"))).Append(" }\n");
            Optional(sb, "iptables", n.Iptables);
            Optional(sb, "ipsets", n.Ipsets);
        }
        if (model.Services.Count > 0)
        {
            sb.Append("services:\n");
            foreach (var s in model.Services)
            {
                var fields = new List<string> { $"name: {Scalar(s.Name)}", $"clusterIP: {s.ClusterIp}", $"port: {s.Port}" };
                if (s.NodePort > 0)
                    fields.Add($"nodePort: {s.NodePort}");
                fields.Add($"protocol: {s.Protocol}");
                if (s.Endpoints.Count > 0)
                    fields.Add($"endpoints: [{string.Join(", ", s.Endpoints)}]");
                sb.Append("  - { ").Append(string.Join(", ", fields)).Append(" }\n");
            }
        }
        return sb.ToString();
    }

    private static string Port(PortModel p, bool withIp)
    {
        var fields = new List<string>();
        if (p.Name is { } name)
            fields.Add($"name: {Scalar(name)}");
        if (p.OfPort > 0)
            fields.Add(string.Create(CultureInfo.InvariantCulture, $"ofport: {p.OfPort}"));
        if (withIp && p.Ip is { } ip)
            fields.Add($"ip: {ip}");
        if (p.Mac is { } mac)
            fields.Add($"mac: {mac}");
        if (p.Mtu > 0)
            fields.Add(string.Create(CultureInfo.InvariantCulture, $"mtu: {p.Mtu}"));
        return $"{{ {string.Join(", ", fields)} }}";
    }

    private static void Key(StringBuilder sb, string key, string value) => sb.Append("    ").Append(key).Append(": ").Append(Scalar(value)).Append('\n');

    private static void Optional(StringBuilder sb, string key, string? value)
    {
        if (value is not null)
            Key(sb, key, value);
    }

    /// <summary>A plain scalar when YAML reads it back as the same string, else a double-quoted one.</summary>
    public static string Scalar(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        bool plain = value.Length > 0
            && value.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' or '/' or ':')
            && char.IsAsciiLetterOrDigit(value[0])
            && !value.EndsWith(':')
            && !value.Contains(": ", StringComparison.Ordinal)
            && value is not ("true" or "false" or "yes" or "no" or "on" or "off" or "null" or "True" or "False" or "Yes" or "No" or "On" or "Off" or "Null" or "NULL" or "TRUE" or "FALSE" or "y" or "n" or "Y" or "N")
            && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && !value.Contains(':', StringComparison.Ordinal);
        return plain ? value : JsonSerializer.Serialize(value);
    }
}
