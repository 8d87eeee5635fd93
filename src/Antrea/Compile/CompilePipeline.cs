namespace Datapath.Antrea.Compile;

/// <summary>
/// Which Antrea pipeline a compile writes (<c>datapath compile --pipeline</c>): Antrea v0.10's with kube-proxy's
/// iptables (the seed lab's, <c>antrea-v0.10</c>), or Antrea 2.x's with AntreaProxy and proxyAll, Antrea's own
/// ANTREA-* iptables, Service groups, PacketIn meters and per-node ipsets (the <c>--lab antrea-2</c> lab's, <c>antrea-2</c>).
/// </summary>
public enum CompilePipeline
{
    AntreaV010,
    Antrea2,
}
