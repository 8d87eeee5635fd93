using System.Globalization;
using Datapath.Packets;
using YamlDotNet.RepresentationModel;

namespace Datapath.Antrea.Compile;

/// <summary>
/// The Kubernetes objects a compile reads from manifests (<c>kubectl get -o yaml</c> output or hand-written documents
/// separated by <c>---</c>, a <c>kind: List</c> of items too, from one or more files): Pods (labels, nodeName,
/// status.podIP, hostNetwork, container ports), Services (ports, selector, type, clusterIP, sessionAffinity,
/// externalTrafficPolicy), Endpoints and EndpointSlices (their ready addresses and ports) and NetworkPolicies (pod
/// selector peers and numbered ports). Every value read here is checked where it stands, an error at its
/// FILE:LINE:COL in the words the API server would use; what the compile cannot express (a LoadBalancer, externalIPs,
/// an ipBlock peer...) is an error there too, never dropped. Kinds that carry nothing for the datapath (a Deployment,
/// a ConfigMap) are skipped and listed in <see cref="Skipped"/>.
/// </summary>
public sealed partial class KubeManifests
{
    private static readonly string[] s_serviceTypes = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
    private static readonly string[] s_protocols = ["TCP", "UDP", "SCTP"];
    private readonly Dictionary<string, KubeSource> _seen = new(StringComparer.Ordinal);

    public List<KubePod> Pods { get; } = [];
    public List<KubeService> Services { get; } = [];
    public List<KubeNetworkPolicy> Policies { get; } = [];
    /// <summary>Endpoints subsets, by their Service.</summary>
    public List<KubeEndpointSet> Endpoints { get; } = [];
    /// <summary>EndpointSlices, by their Service (kubernetes.io/service-name).</summary>
    public List<KubeEndpointSet> EndpointSlices { get; } = [];
    /// <summary>What was read but carries nothing the compile writes: <c>FILE:LINE:COL: what</c>.</summary>
    public List<string> Skipped { get; } = [];

    /// <summary>The objects of one manifest file.</summary>
    /// <exception cref="InputException">The file is not YAML, or an object is wrong (located).</exception>
    public static KubeManifests Parse(string text, string file)
    {
        var result = new KubeManifests();
        result.Read(text, file);
        return result;
    }

    /// <summary>Adds the objects of one more manifest file.</summary>
    /// <exception cref="InputException">The file is not YAML, or an object is wrong (located).</exception>
    public void Read(string text, string file)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
            throw InputException.InFile(file, "is empty", "give Kubernetes objects (kubectl get pods,services,endpoints,networkpolicies -o yaml)");
        foreach (var doc in YamlInput.ParseDocuments(text, file))
            Add(doc, doc.Mapping(doc.Root, "a Kubernetes object"));
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
        var source = new KubeSource(y, obj);
        if (kind is "Pod" or "Service" or "Endpoints" or "EndpointSlice" or "NetworkPolicy")
        {
            string key = $"{kind} {ns}/{name}";
            if (_seen.TryGetValue(key, out var first))
                throw y.At(meta, $"{key} is given twice", $"the first is at {first.Location}");
            _seen[key] = source;
        }
        switch (kind)
        {
            case "Pod":
                Pods.Add(ReadPod(y, ns, name, meta, spec, obj) with { Source = source });
                break;
            case "Service":
                if (ReadService(y, ns, name, spec, source) is { } service)
                    Services.Add(service);
                break;
            case "Endpoints":
                ReadEndpoints(y, ns, name, obj, source);
                break;
            case "EndpointSlice":
                ReadEndpointSlice(y, ns, name, meta, obj, source);
                break;
            case "NetworkPolicy":
                Policies.Add(ReadPolicy(y, ns, name, spec) with { Source = source });
                break;
            case "Namespace":
                break;
            default:
                Skipped.Add($"{source.Location}: {kind} {ns}/{name}: not compiled (the compile reads Pods, Services, Endpoints, EndpointSlices and NetworkPolicies{(kind is "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" or "Job" ? "; give the Pods it runs" : "")})");
                break;
        }
    }

    private static KubePod ReadPod(YamlInput y, string ns, string name, YamlMappingNode meta, YamlMappingNode spec, YamlMappingNode obj)
    {
        string what = $"pod {ns}/{name}";
        var ports = new List<KubeContainerPort>();
        if (YamlInput.Get(spec, "containers") is { } containers)
            foreach (var c in y.Sequence(containers, $"{what}: containers").Children)
                if (YamlInput.Get(y.Mapping(c, $"{what}: a container"), "ports") is { } list)
                    foreach (var p in y.Sequence(list, $"{what}: container ports").Children)
                    {
                        var pm = y.Mapping(p, $"{what}: a container port");
                        int number = (int)(y.OptionalInteger(pm, "containerPort", $"{what}: containerPort", 1, 65535) ?? throw y.At(pm, $"{what}: a container port without containerPort:"));
                        ports.Add(new KubeContainerPort(y.OptionalText(pm, "name", $"{what}: port name") ?? "", Protocol(y, pm, what), number));
                    }
        string? podIp = null;
        if (YamlInput.Get(obj, "status") is { } st && y.OptionalText(y.Mapping(st, $"{what}: status"), "podIP", $"{what}: status") is { } ip)
        {
            if (!Ipv4Address.TryParse(ip, out _))
                throw y.At(YamlInput.Get((YamlMappingNode)st, "podIP")!, $"{what}: status.podIP '{ip}' is not an IPv4 address", "the compiled Antrea v0.10 pipeline is IPv4");
            podIp = ip;
        }
        return new KubePod(ns, name, Labels(y, meta, "labels"), y.OptionalText(spec, "nodeName", $"{what}: spec"))
        {
            PodIp = podIp,
            HostNetwork = y.OptionalBoolean(spec, "hostNetwork", $"{what}: spec") ?? false,
            Ports = ports,
        };
    }

    private KubeService? ReadService(YamlInput y, string ns, string name, YamlMappingNode spec, KubeSource source)
    {
        string what = $"service {ns}/{name}";
        string type = y.OptionalChecked(spec, "type", what, t => s_serviceTypes.Contains(t) ? null
            : DidYouMean.Closest(t, s_serviceTypes) is { } near ? $"is not a Service type (did you mean '{near}'?)" : "is not a Service type (ClusterIP, NodePort, LoadBalancer, ExternalName)") ?? "ClusterIP";
        if (type == "ExternalName")
        {
            Skipped.Add($"{source.Location}: {what}: type ExternalName: kube-proxy writes no rules for it (its name is a DNS CNAME)");
            return null;
        }
        if (type == "LoadBalancer")
            throw y.At(YamlInput.Get(spec, "type")!, $"{what}: type LoadBalancer is not compiled: this cluster has no load balancer to give it an address",
                "type: NodePort gives the same NodePort and ClusterIP rules kube-proxy writes for a LoadBalancer");
        if (YamlInput.Get(spec, "externalIPs") is YamlSequenceNode { Children.Count: > 0 } ext)
            throw y.At(ext, $"{what}: externalIPs are not compiled (kube-proxy matches them with -m physdev, which the host's netfilter does not run)", "reach the Service by its ClusterIP or a NodePort");
        string? clusterIp = y.OptionalText(spec, "clusterIP", what);
        if (clusterIp is not null and not "None" && !Ipv4Address.TryParse(clusterIp, out _))
            throw y.At(YamlInput.Get(spec, "clusterIP")!, $"{what}: clusterIP '{clusterIp}' is not an IPv4 address (or None)", "the compiled Antrea v0.10 pipeline is IPv4");

        var ports = new List<KubeServicePortSpec>();
        if (YamlInput.Get(spec, "ports") is { } list)
        {
            var names = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            var seq = y.Sequence(list, $"{what}: ports");
            foreach (var item in seq.Children)
            {
                var p = y.Mapping(item, $"{what}: a port");
                int port = (int)(y.OptionalInteger(p, "port", $"{what}: port", 1, 65535) ?? throw y.At(p, $"{what}: a port without port:"));
                string target = YamlInput.Get(p, "targetPort") is { } t ? y.Text(t, $"{what}: targetPort") : port.ToString(CultureInfo.InvariantCulture);
                string portName = y.OptionalText(p, "name", $"{what}: port name") ?? "";
                if (seq.Children.Count > 1 && portName.Length == 0)
                    throw y.At(p, $"{what}: ports: a Service with more than one port names each of them", "name: http (the API server refuses an unnamed port here)");
                if (!names.TryAdd(portName, p))
                    throw y.At(YamlInput.Get(p, "name")!, $"{what}: port name '{portName}' is given twice", $"the first is at line {names[portName].Start.Line}");
                int nodePort = (int)(y.OptionalInteger(p, "nodePort", $"{what}: nodePort", 1, 65535) ?? 0);
                if (nodePort != 0 && type != "NodePort")
                    throw y.At(YamlInput.Get(p, "nodePort")!, $"{what}: nodePort {nodePort} on a Service of type {type}", "type: NodePort");
                ports.Add(new KubeServicePortSpec(portName, Protocol(y, p, what), port, target, nodePort));
            }
        }
        if (ports.Count == 0 && clusterIp != "None")
            throw y.At(spec, $"{what}: spec.ports: a Service needs at least one port");

        int affinity = 0;
        switch (y.OptionalText(spec, "sessionAffinity", what))
        {
            case null or "None":
                break;
            case "ClientIP":
                affinity = 10800; // v1.DefaultClientIPServiceAffinitySeconds
                if (YamlInput.Get(spec, "sessionAffinityConfig") is { } cfg
                    && YamlInput.Get(y.Mapping(cfg, $"{what}: sessionAffinityConfig"), "clientIP") is { } cip)
                    affinity = (int)(y.OptionalInteger(y.Mapping(cip, $"{what}: sessionAffinityConfig.clientIP"), "timeoutSeconds", $"{what}: sessionAffinityConfig.clientIP", 1, 86400) ?? affinity);
                break;
            case var other:
                throw y.At(YamlInput.Get(spec, "sessionAffinity")!, $"{what}: sessionAffinity '{other}' is not None or ClientIP");
        }
        bool local = false;
        switch (y.OptionalText(spec, "externalTrafficPolicy", what))
        {
            case null or "Cluster":
                break;
            case "Local" when type == "NodePort":
                local = true;
                break;
            case "Local":
                throw y.At(YamlInput.Get(spec, "externalTrafficPolicy")!, $"{what}: externalTrafficPolicy Local needs type NodePort (a ClusterIP Service has no external traffic)");
            case var other:
                throw y.At(YamlInput.Get(spec, "externalTrafficPolicy")!, $"{what}: externalTrafficPolicy '{other}' is not Cluster or Local");
        }
        Dictionary<string, string>? selector = YamlInput.Get(spec, "selector") is not null ? Labels(y, spec, "selector") : null;
        return new KubeService(ns, name, ports, selector, type, clusterIp) { AffinitySeconds = affinity, ExternalLocal = local, Source = source };
    }

    // An Endpoints object: one set per subset (its ready addresses, its ports); notReadyAddresses serve nothing.
    private void ReadEndpoints(YamlInput y, string ns, string name, YamlMappingNode obj, KubeSource source)
    {
        string what = $"endpoints {ns}/{name}";
        if (YamlInput.Get(obj, "subsets") is not { } subsets)
            return;
        foreach (var s in y.Sequence(subsets, $"{what}: subsets").Children)
        {
            var sm = y.Mapping(s, $"{what}: a subset");
            var addresses = new List<string>();
            if (YamlInput.Get(sm, "addresses") is { } al)
                foreach (var a in y.Sequence(al, $"{what}: addresses").Children)
                    addresses.Add(Address(y, y.Mapping(a, $"{what}: an address"), "ip", what));
            Endpoints.Add(new KubeEndpointSet(ns, name, addresses, EndpointPorts(y, sm, what)) { Source = source });
        }
    }

    // An EndpointSlice (discovery.k8s.io/v1 or v1beta1): its Service is the kubernetes.io/service-name label; an
    // endpoint serves unless conditions.ready is false (kube-proxy reads an absent condition as ready).
    private void ReadEndpointSlice(YamlInput y, string ns, string name, YamlMappingNode meta, YamlMappingNode obj, KubeSource source)
    {
        string what = $"endpointslice {ns}/{name}";
        var labels = Labels(y, meta, "labels");
        if (!labels.TryGetValue("kubernetes.io/service-name", out string? service))
        {
            Skipped.Add($"{source.Location}: {what}: no kubernetes.io/service-name label, so it belongs to no Service (kube-proxy ignores it)");
            return;
        }
        string family = y.OptionalText(obj, "addressType", what) ?? "IPv4";
        if (family != "IPv4")
        {
            Skipped.Add($"{source.Location}: {what}: addressType {family}: the compiled Antrea v0.10 pipeline is IPv4");
            return;
        }
        var addresses = new List<string>();
        if (YamlInput.Get(obj, "endpoints") is { } el)
            foreach (var e in y.Sequence(el, $"{what}: endpoints").Children)
            {
                var em = y.Mapping(e, $"{what}: an endpoint");
                bool ready = YamlInput.Get(em, "conditions") is not { } c || (y.OptionalBoolean(y.Mapping(c, $"{what}: conditions"), "ready", $"{what}: conditions") ?? true);
                var list = y.Sequence(y.Required(em, "addresses", $"{what}: an endpoint"), $"{what}: addresses");
                if (list.Children.Count == 0)
                    throw y.At(list, $"{what}: an endpoint without addresses");
                string ip = y.Text(list.Children[0], $"{what}: an address");
                if (!Ipv4Address.TryParse(ip, out _))
                    throw y.At(list.Children[0], $"{what}: address '{ip}' is not an IPv4 address");
                if (ready)
                    addresses.Add(ip);
            }
        EndpointSlices.Add(new KubeEndpointSet(ns, service, addresses, EndpointPorts(y, obj, what)) { Source = source });
    }

    private static List<KubeContainerPort> EndpointPorts(YamlInput y, YamlMappingNode map, string what)
    {
        var ports = new List<KubeContainerPort>();
        if (YamlInput.Get(map, "ports") is { } pl)
            foreach (var p in y.Sequence(pl, $"{what}: ports").Children)
            {
                var pm = y.Mapping(p, $"{what}: a port");
                if (y.OptionalInteger(pm, "port", $"{what}: port", 1, 65535) is { } port)
                    ports.Add(new KubeContainerPort(PortName(y, pm, what), Protocol(y, pm, what), (int)port));
            }
        return ports;
    }

    // An Endpoints or EndpointSlice port's name: empty for a Service's unnamed port (kubectl prints name: "").
    private static string PortName(YamlInput y, YamlMappingNode map, string what)
        => YamlInput.Get(map, "name") is YamlScalarNode { Value: null or "" } ? "" : y.OptionalText(map, "name", $"{what}: port name") ?? "";

    private static string Address(YamlInput y, YamlMappingNode map, string key, string what)
        => y.RequiredChecked(map, key, what, ip => Ipv4Address.TryParse(ip, out _) ? null : "is not an IPv4 address");

    private static string Protocol(YamlInput y, YamlMappingNode map, string what)
        => y.OptionalChecked(map, "protocol", what, p => s_protocols.Contains(p) ? null : "is not TCP, UDP or SCTP") ?? "TCP";

    private static KubeNetworkPolicy ReadPolicy(YamlInput y, string ns, string name, YamlMappingNode spec)
    {
        string what = $"networkpolicy {ns}/{name}";
        var selector = YamlInput.Get(spec, "podSelector") is { } ps ? Selector(y, y.Mapping(ps, $"{what}: podSelector"), what) : [];
        var types = YamlInput.Get(spec, "policyTypes") is { } pt ? y.Sequence(pt, $"{what}: policyTypes").Children.Select(c => y.Text(c, $"{what}: policyTypes")).ToList() : null;
        // Without policyTypes a policy isolates ingress, and egress too when it has egress rules (the API's default).
        types ??= YamlInput.Get(spec, "egress") is not null ? ["Ingress", "Egress"] : ["Ingress"];
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
                    foreach (string unsupported in new[] { "namespaceSelector", "ipBlock" })
                    {
                        if (YamlInput.Get(pm, unsupported) is not null)
                            throw y.At(y.Key(pm, unsupported), $"{what}: {(unsupported == "ipBlock" ? "an" : "a")} {unsupported} peer is not compiled (the compile turns podSelector peers into Antrea v0.10's conjunctions)",
                                "select the peers with podSelector in the policy's namespace");
                    }
                    var sel = y.Mapping(y.Required(pm, "podSelector", $"{what}: a {peersKey} peer"), $"{what}: podSelector");
                    peers.Add(Selector(y, sel, what));
                }
            }
            var ports = new List<(string Protocol, int Port)>();
            if (YamlInput.Get(r, "ports") is { } portList)
                foreach (var p in y.Sequence(portList, $"{what}: ports").Children)
                {
                    var pm = y.Mapping(p, $"{what}: a port");
                    if (YamlInput.Get(pm, "endPort") is not null)
                        throw y.At(y.Key(pm, "endPort"), $"{what}: endPort (a port range) is not compiled: Antrea v0.10 matches one port per rule port");
                    if (YamlInput.Get(pm, "port") is YamlScalarNode { Value: { } v } pv && !int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                        throw y.At(pv, $"{what}: a named port ('{v}') is not compiled", "give the port's number");
                    ports.Add((Protocol(y, pm, what), (int)(y.OptionalInteger(pm, "port", $"{what}: port", 1, 65535) ?? 0)));
                }
            rules.Add(new KubePolicyRule(peers, ports));
        }
        return rules;
    }

    // A label selector's matchLabels; matchExpressions are refused (the compile matches labels by equality).
    private static Dictionary<string, string> Selector(YamlInput y, YamlMappingNode selector, string what)
    {
        if (YamlInput.Get(selector, "matchExpressions") is not null)
            throw y.At(y.Key(selector, "matchExpressions"), $"{what}: matchExpressions are not compiled", "select with matchLabels");
        return Labels(y, selector, "matchLabels");
    }

    // Labels (and selectors) as the API server validates them: a key is [DNS-subdomain/]name, a name and a value at
    // most 63 characters of letters, digits, '-', '_' and '.', beginning and ending with a letter or digit; a value may
    // be empty.
    private static Dictionary<string, string> Labels(YamlInput y, YamlMappingNode map, string key)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (YamlInput.Get(map, key) is { } node && node is not YamlScalarNode { Value: null or "" })
            foreach (var (k, v) in y.Mapping(node, key).Children)
            {
                string name = y.Text(k, key);
                int slash = name.LastIndexOf('/');
                if (!LabelName().IsMatch(name[(slash + 1)..]) || (slash >= 0 && !LabelPrefix().IsMatch(name[..slash])))
                    throw y.At(k, $"{key}: '{name}' is not a label key", "a key is [prefix/]name: letters, digits, '-', '_' and '.', at most 63, a letter or digit at each end");
                string value = v is YamlScalarNode { Value: null or "" } ? "" : y.Text(v, $"{key} {name}");
                if (value.Length > 0 && !LabelName().IsMatch(value))
                    throw y.At(v, $"{key}: {name}: '{value}' is not a label value", "letters, digits, '-', '_' and '.', at most 63, a letter or digit at each end");
                labels[name] = value;
            }
        return labels;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?=.{1,63}$)[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial System.Text.RegularExpressions.Regex LabelName();

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?$")]
    private static partial System.Text.RegularExpressions.Regex LabelPrefix();
}
