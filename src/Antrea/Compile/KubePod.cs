namespace Datapath.Antrea.Compile;

/// <summary>
/// A Pod: its namespace, name, labels, the node it runs on (spec.nodeName, null: to be scheduled), its address when
/// the manifest has one (status.podIP), whether it shares its node's network (spec.hostNetwork), and its containers'
/// ports (what a Service's named targetPort resolves to).
/// </summary>
public sealed record KubePod(string Namespace, string Name, Dictionary<string, string> Labels, string? NodeName)
{
    public string? PodIp { get; init; }
    public bool HostNetwork { get; init; }
    public List<KubeContainerPort> Ports { get; init; } = [];
    public KubeSource? Source { get; init; }

    /// <summary><c>namespace/name</c>, as cluster.yaml's <c>pod:</c> names it.</summary>
    public string Key => $"{Namespace}/{Name}";
}
