namespace Datapath.Antrea.Import;

/// <summary>One IPv4 entry of <c>ip neigh</c>: address, device, link-layer address (null when unresolved) and NUD state.</summary>
public sealed record NeighborDump(string Ip, string Dev, string? Mac, string State, int Line);
