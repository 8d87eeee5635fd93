namespace Datapath.Antrea.Compile;

/// <summary>
/// A Service: its ports, selector (null: none, its endpoints come from an Endpoints object or EndpointSlices), type
/// (ClusterIP, NodePort), clusterIP if given (<c>None</c>: headless), ClientIP session affinity (its timeout in
/// seconds, 0: none) and whether externalTrafficPolicy is Local.
/// </summary>
public sealed record KubeService(string Namespace, string Name, List<KubeServicePortSpec> Ports, Dictionary<string, string>? Selector, string Type, string? ClusterIp)
{
    public int AffinitySeconds { get; init; }
    public bool ExternalLocal { get; init; }
    public KubeSource? Source { get; init; }

    public string Key => $"{Namespace}/{Name}";
}
