using YamlDotNet.RepresentationModel;

namespace Datapath.Antrea.Compile;

/// <summary>
/// The Kubernetes objects a compile reads from manifests (<c>kubectl get -o yaml</c> output or hand-written
/// documents separated by <c>---</c>, a <c>kind: List</c> of items too): Pods (name, namespace, labels, nodeName),
/// Services (ports, selector, type, clusterIP) and NetworkPolicies. Other kinds are skipped; a wrong shape in a
/// field read here is an error at its FILE:LINE:COL.
/// </summary>
public sealed class KubeManifests
{
    public List<KubePod> Pods { get; } = [];
    public List<KubeService> Services { get; } = [];
    public List<KubeNetworkPolicy> Policies { get; } = [];

    public static KubeManifests Parse(string text, string file)
    {
        var result = new KubeManifests();
        foreach (var doc in YamlInput.ParseDocuments(text, file))
            result.Add(doc, doc.Mapping(doc.Root, "a Kubernetes object"));
        return result;
    }

    private void Add(YamlInput y, YamlMappingNode obj)
    {
        string kind = y.OptionalText(obj, "kind", "kind") ?? throw y.At(obj, "a Kubernetes object without kind:");
        if (kind == "List")
        {
            if (YamlInput.Get(obj, "items") is { } items)
                foreach (var item in y.Sequence(items, "items").Children)
                    Add(y, y.Mapping(item, "items: an object"));
            return;
        }
        var meta = y.Mapping(y.Required(obj, "metadata", kind), $"{kind} metadata");
        string name = y.RequiredText(meta, "name", $"{kind} metadata");
        string ns = y.OptionalText(meta, "namespace", $"{kind} metadata") ?? "default";
        var spec = YamlInput.Get(obj, "spec") is { } s ? y.Mapping(s, $"{kind} {ns}/{name}: spec") : new YamlMappingNode();
        switch (kind)
        {
            case "Pod":
                Pods.Add(new KubePod(ns, name, Labels(y, meta, "labels"), y.OptionalText(spec, "nodeName", $"pod {ns}/{name}: spec")));
                break;
            case "Service":
                Services.Add(ReadService(y, ns, name, spec));
                break;
            case "NetworkPolicy":
                Policies.Add(ReadPolicy(y, ns, name, spec));
                break;
        }
    }

    private static KubeService ReadService(YamlInput y, string ns, string name, YamlMappingNode spec)
    {
        string what = $"service {ns}/{name}";
        var ports = new List<KubeServicePortSpec>();
        if (YamlInput.Get(spec, "ports") is { } list)
            foreach (var item in y.Sequence(list, $"{what}: ports").Children)
            {
                var p = y.Mapping(item, $"{what}: a port");
                int port = (int)(y.OptionalInteger(p, "port", $"{what}: port", 1, 65535) ?? throw y.At(p, $"{what}: a port without port:"));
                string target = YamlInput.Get(p, "targetPort") is { } t ? y.Text(t, $"{what}: targetPort") : port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                ports.Add(new KubeServicePortSpec(y.OptionalText(p, "name", $"{what}: port name") ?? "", y.OptionalText(p, "protocol", $"{what}: protocol") ?? "TCP",
                    port, target, (int)(y.OptionalInteger(p, "nodePort", $"{what}: nodePort", 1, 65535) ?? 0)));
            }
        return new KubeService(ns, name, ports, Labels(y, spec, "selector"), y.OptionalText(spec, "type", $"{what}: type") ?? "ClusterIP",
            y.OptionalText(spec, "clusterIP", $"{what}: clusterIP"));
    }

    private static KubeNetworkPolicy ReadPolicy(YamlInput y, string ns, string name, YamlMappingNode spec)
    {
        string what = $"networkpolicy {ns}/{name}";
        var selector = YamlInput.Get(spec, "podSelector") is { } ps ? Labels(y, y.Mapping(ps, $"{what}: podSelector"), "matchLabels") : [];
        var types = YamlInput.Get(spec, "policyTypes") is { } pt ? y.Sequence(pt, $"{what}: policyTypes").Children.Select(c => y.Text(c, $"{what}: policyTypes")).ToList() : ["Ingress"];
        return new KubeNetworkPolicy(ns, name, selector, types.Contains("Ingress"), types.Contains("Egress"),
            Rules(y, spec, "ingress", "from", what), Rules(y, spec, "egress", "to", what));
    }

    private static List<KubePolicyRule> Rules(YamlInput y, YamlMappingNode spec, string key, string peersKey, string what)
    {
        var rules = new List<KubePolicyRule>();
        if (YamlInput.Get(spec, key) is not { } list)
            return rules;
        foreach (var item in y.Sequence(list, $"{what}: {key}").Children)
        {
            var r = y.Mapping(item, $"{what}: a {key} rule");
            List<Dictionary<string, string>>? peers = null;
            if (YamlInput.Get(r, peersKey) is { } pl)
            {
                peers = [];
                foreach (var peer in y.Sequence(pl, $"{what}: {peersKey}").Children)
                {
                    var pm = y.Mapping(peer, $"{what}: a {peersKey} peer");
                    var sel = y.Mapping(y.Required(pm, "podSelector", $"{what}: a {peersKey} peer (podSelector is what a compile reads)"), $"{what}: podSelector");
                    peers.Add(Labels(y, sel, "matchLabels"));
                }
            }
            var ports = new List<(string Protocol, int Port)>();
            if (YamlInput.Get(r, "ports") is { } portList)
                foreach (var p in y.Sequence(portList, $"{what}: ports").Children)
                {
                    var pm = y.Mapping(p, $"{what}: a port");
                    ports.Add((y.OptionalText(pm, "protocol", $"{what}: protocol") ?? "TCP", (int)(y.OptionalInteger(pm, "port", $"{what}: port", 1, 65535) ?? 0)));
                }
            rules.Add(new KubePolicyRule(peers, ports));
        }
        return rules;
    }

    private static Dictionary<string, string> Labels(YamlInput y, YamlMappingNode map, string key)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (YamlInput.Get(map, key) is { } node)
            foreach (var (k, v) in y.Mapping(node, key).Children)
                labels[y.Text(k, key)] = y.Text(v, $"{key} {k}");
        return labels;
    }
}
