using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Datapath.Antrea.Import;

/// <summary>
/// What kubectl's YAML tells an import (<c>kubectl get pods,services,endpointslices,nodes -A -o yaml</c>, a
/// <c>kind: List</c>, or documents separated by <c>---</c> as a support bundle's <c>clusterinfo</c> holds them): Pods'
/// names, labels, nodes and IPs (to name the bridges' pods), Services with their EndpointSlices (cluster.yaml's
/// <c>services:</c>), Nodes' InternalIPs and podCIDRs. Other kinds are skipped; a field of the wrong shape is an
/// error at its FILE:LINE:COL (<see cref="YamlInput"/>).
/// </summary>
public sealed class KubeInventory
{
    public List<KubePodDump> Pods { get; } = [];
    public List<KubeServiceDump> Services { get; } = [];
    public List<EndpointSliceDump> Slices { get; } = [];
    public List<KubeNodeDump> Nodes { get; } = [];

    public void Add(DumpFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        foreach (var doc in YamlInput.ParseDocuments(file.Text, file.Path))
        {
            if (doc.Root is YamlMappingNode m)
                Add(doc, m);
            else if (doc.Root is not YamlScalarNode { Value: null or "" })
                throw doc.At(doc.Root, "a Kubernetes object is a mapping");
        }
    }

    private void Add(YamlInput y, YamlMappingNode obj)
    {
        string? kind = y.OptionalText(obj, "kind", "kind");
        if (kind is null)
            return;
        if (kind == "List")
        {
            if (YamlInput.Get(obj, "items") is { } items)
                foreach (var item in y.Sequence(items, "items").Children)
                    Add(y, y.Mapping(item, "items: an object"));
            return;
        }
        if (kind is not ("Pod" or "Service" or "EndpointSlice" or "Node"))
            return;
        var meta = y.Mapping(y.Required(obj, "metadata", kind), $"{kind} metadata");
        string name = y.RequiredText(meta, "name", $"{kind} metadata");
        string ns = y.OptionalText(meta, "namespace", $"{kind} metadata") ?? "default";
        string what = $"{kind} {ns}/{name}";
        var spec = YamlInput.Get(obj, "spec") is { } s ? y.Mapping(s, $"{what}: spec") : new YamlMappingNode();
        var status = YamlInput.Get(obj, "status") is { } st ? y.Mapping(st, $"{what}: status") : new YamlMappingNode();
        switch (kind)
        {
            case "Pod":
                if (YamlInput.Get(spec, "hostNetwork") is YamlScalarNode { Value: "true" })
                    return;
                Pods.Add(new KubePodDump($"{ns}/{name}", Labels(y, meta, what), y.OptionalText(spec, "nodeName", what), y.OptionalText(status, "podIP", what)));
                break;
            case "Service":
                var ports = new List<KubeServicePortDump>();
                if (YamlInput.Get(spec, "ports") is { } list)
                {
                    foreach (var item in y.Sequence(list, $"{what}: ports").Children)
                    {
                        var p = y.Mapping(item, $"{what}: a port");
                        int? target = YamlInput.Get(p, "targetPort") is YamlScalarNode { Value: { } tv } && int.TryParse(tv, NumberStyles.None, CultureInfo.InvariantCulture, out int t) ? t : null;
                        ports.Add(new KubeServicePortDump(PortName(p),
                            (int)(y.OptionalInteger(p, "port", what, 1, 65535) ?? throw y.At(p, $"{what}: a port without 'port'")),
                            y.OptionalText(p, "protocol", what) ?? "TCP", (int)(y.OptionalInteger(p, "nodePort", what, 1, 65535) ?? 0), target));
                    }
                }
                Services.Add(new KubeServiceDump($"{ns}/{name}", y.OptionalText(spec, "clusterIP", what) ?? "None", ports));
                break;
            case "EndpointSlice":
                var labels = Labels(y, meta, what);
                if (!labels.TryGetValue("kubernetes.io/service-name", out string? service))
                    return;
                var addresses = new List<string>();
                if (YamlInput.Get(obj, "endpoints") is { } eps)
                {
                    foreach (var e in y.Sequence(eps, $"{what}: endpoints").Children)
                    {
                        var em = y.Mapping(e, $"{what}: an endpoint");
                        if (YamlInput.Get(em, "conditions") is YamlMappingNode c && YamlInput.Get(c, "ready") is YamlScalarNode { Value: "false" })
                            continue;
                        if (YamlInput.Get(em, "addresses") is { } a)
                            addresses.AddRange(y.Sequence(a, $"{what}: addresses").Children.Select(x => y.Text(x, $"{what}: an address")));
                    }
                }
                var slicePorts = new Dictionary<string, int>(StringComparer.Ordinal);
                if (YamlInput.Get(obj, "ports") is { } sp)
                {
                    foreach (var item in y.Sequence(sp, $"{what}: ports").Children)
                    {
                        var p = y.Mapping(item, $"{what}: a port");
                        if (y.OptionalInteger(p, "port", what, 1, 65535) is { } port)
                            slicePorts[PortName(p)] = (int)port;
                    }
                }
                Slices.Add(new EndpointSliceDump($"{ns}/{service}", addresses, slicePorts));
                break;
            case "Node":
                string? ip = null;
                if (YamlInput.Get(status, "addresses") is { } na)
                {
                    foreach (var a in y.Sequence(na, $"{what}: addresses").Children)
                    {
                        var am = y.Mapping(a, $"{what}: an address");
                        if (y.OptionalText(am, "type", what) == "InternalIP")
                            ip ??= y.OptionalText(am, "address", what);
                    }
                }
                Nodes.Add(new KubeNodeDump(name, ip, y.OptionalText(spec, "podCIDR", what)));
                break;
        }
    }

    /// <summary>A port's name; kubectl prints an unnamed EndpointSlice port as <c>name: ""</c>.</summary>
    private static string PortName(YamlMappingNode port) => YamlInput.Get(port, "name") is YamlScalarNode { Value: { } v } ? v : "";

    private static Dictionary<string, string> Labels(YamlInput y, YamlMappingNode meta, string what)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (YamlInput.Get(meta, "labels") is { } l)
        {
            var m = y.Mapping(l, $"{what}: labels");
            foreach (var (k, v) in m.Children)
                labels[y.Text(k, $"{what}: a label")] = v is YamlScalarNode { Value: { } value } ? value : "";
        }
        return labels;
    }
}
