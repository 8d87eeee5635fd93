namespace Datapath.Antrea.Import;

/// <summary>What a collected file is: the command on a node that printed it.</summary>
public enum DumpKind
{
    /// <summary><c>ovs-ofctl dump-flows br-int</c> (with or without stats, <c>--names</c> or not).</summary>
    Flows,
    /// <summary><c>ovs-ofctl dump-groups br-int</c>.</summary>
    Groups,
    /// <summary><c>ovs-ofctl -O OpenFlow13 dump-meters br-int</c>.</summary>
    Meters,
    /// <summary><c>ovs-ofctl show br-int</c> or <c>dump-ports-desc</c> (a support bundle's <c>ovsports</c>).</summary>
    Show,
    /// <summary><c>ovs-ofctl dump-tlv-map br-int</c>.</summary>
    TlvMap,
    /// <summary><c>ovs-ofctl dump-tables br-int</c> (the tables' numbers and names).</summary>
    Tables,
    /// <summary><c>iptables-save</c> or <c>iptables-save -c</c>.</summary>
    Iptables,
    /// <summary><c>ipset save</c>.</summary>
    Ipsets,
    /// <summary><c>ip addr</c> or <c>ip -j addr</c>.</summary>
    IpAddr,
    /// <summary><c>ip link</c> or <c>ip -j link</c>.</summary>
    IpLink,
    /// <summary><c>ip route</c>, <c>ip route show table all</c> or their <c>ip -j</c> forms.</summary>
    IpRoute,
    /// <summary><c>ip neigh</c> or <c>ip -j neigh</c>.</summary>
    IpNeigh,
    /// <summary><c>kubectl get pods,services,endpointslices -A -o yaml</c> (or a support bundle's <c>clusterinfo</c>).</summary>
    Kube,
}
