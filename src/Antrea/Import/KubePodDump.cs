namespace Datapath.Antrea.Import;

/// <summary>A Pod of kubectl's YAML: <c>namespace/name</c>, labels, node, IP; host-network pods are not kept.</summary>
public sealed record KubePodDump(string Name, Dictionary<string, string> Labels, string? Node, string? Ip);
