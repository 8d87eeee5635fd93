namespace Datapath.Antrea.Import;

/// <summary>A Node: its name, InternalIP and podCIDR (either may be missing).</summary>
public sealed record KubeNodeDump(string Name, string? InternalIp, string? PodCidr);
