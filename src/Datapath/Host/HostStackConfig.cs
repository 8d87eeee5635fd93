namespace Datapath.Engine.Host;

/// <summary>
/// A host described as text, the way a scenario gives it: interfaces (antrea-gw0 with its /24 and the gateway
/// MAC; the uplink with the node IP and MAC, prefix 0 = take it from the kernel route), <c>ip route</c> lines,
/// <c>arp -a</c> entries, an <c>iptables-save</c> and an <c>ipset save</c> document. <see cref="HostStack.Create"/> builds it.
/// </summary>
public sealed class HostStackConfig
{
    public required string Name { get; init; }
    public List<HostInterface> Interfaces { get; init; } = [];
    /// <summary><c>ip route</c> lines.</summary>
    public List<string> Routes { get; init; } = [];
    /// <summary>Where the route lines come from, for error messages (FILE:LINE:COL).</summary>
    public string RoutesFile { get; init; } = "<routes>";
    /// <summary>The line number of the first route line in <see cref="RoutesFile"/>.</summary>
    public int RoutesFirstLine { get; init; } = 1;
    public List<NeighborEntry> Neighbors { get; init; } = [];
    /// <summary>The iptables-save document, or null for a host without rules.</summary>
    public string? Iptables { get; init; }
    public string IptablesFile { get; init; } = "<iptables>";
    /// <summary>The ipset save document, or null.</summary>
    public string? Ipsets { get; init; }
    public string IpsetsFile { get; init; } = "<ipsets>";
    public HostStackOptions Options { get; init; } = new();
}
