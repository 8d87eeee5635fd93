namespace Datapath.Cli.Html;

/// <summary>
/// Where in a node's picture a step is drawn, left to right as the seed articles draw a worker: the tunnel port
/// on the side the peer node is, the bridge's ports, its tables in pipeline order, the pass's megaflow and
/// datapath actions, conntrack beside the bridge, the host (iptables, routes, ARP) behind antrea-gw0.
/// </summary>
internal enum WalkColumn
{
    TunnelLeft,
    Port,
    Table,
    Megaflow,
    DatapathActions,
    Conntrack,
    Host,
    TunnelRight,
}
