namespace Datapath.Antrea.Compile;

/// <summary>A Service: its ports, selector, type (ClusterIP, NodePort) and ClusterIP if given.</summary>
public sealed record KubeService(string Namespace, string Name, List<KubeServicePortSpec> Ports, Dictionary<string, string> Selector, string Type, string? ClusterIp);
