namespace Datapath.Antrea.Import;

/// <summary>A Service of kubectl's YAML: <c>namespace/name</c>, ClusterIP (<c>None</c> for a headless one) and ports.</summary>
public sealed record KubeServiceDump(string Name, string ClusterIp, List<KubeServicePortDump> Ports);
