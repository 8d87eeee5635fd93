namespace Datapath.Engine;

/// <summary>The names drop reasons have in reports and JSON (<c>no-match</c>, <c>ttl-expired</c>...).</summary>
public static class DropReasonNames
{
    public static string Name(DropReason reason) => reason switch
    {
        DropReason.NoMatch => "no-match",
        DropReason.ExplicitDrop => "drop-action",
        DropReason.NoOutput => "no-output",
        DropReason.TtlExpired => "ttl-expired",
        DropReason.ResubmitDepth => "resubmit-depth",
        DropReason.TooManyResubmits => "too-many-resubmits",
        DropReason.RecirculationLimit => "recirculation-limit",
        DropReason.OutputPortMissing => "output-port-missing",
        DropReason.OutputToInPort => "output-to-in-port",
        DropReason.IngressPortMissing => "ingress-port-missing",
        DropReason.Malformed => "malformed",
        DropReason.GroupMissing => "group-missing",
        DropReason.ControllerPunt => "controller-punt",
        DropReason.TunnelDecap => "tunnel-decap",
        DropReason.TunnelEncap => "tunnel-encap",
        DropReason.ActionFailed => "action-failed",
        DropReason.NoSuchInterface => "no-such-interface",
        DropReason.OtherHost => "other-host",
        DropReason.UnsupportedProtocol => "unsupported-protocol",
        DropReason.ArpIgnored => "arp-ignored",
        DropReason.NetfilterDrop => "netfilter-drop",
        DropReason.NetfilterReject => "netfilter-reject",
        DropReason.NoRoute => "no-route",
        DropReason.RouteRejected => "route-rejected",
        DropReason.NotForwarded => "not-forwarded",
        DropReason.NoNeighbor => "no-neighbor",
        DropReason.LinkDown => "link-down",
        DropReason.MtuExceeded => "mtu-exceeded",
        DropReason.HopLimit => "hop-limit",
        DropReason.TunnelCriticalOption => "tunnel-critical-option",
        DropReason.TunnelBadVersion => "tunnel-bad-version",
        DropReason.TunnelBadChecksum => "tunnel-bad-checksum",
        DropReason.TunnelNotForNode => "tunnel-not-for-node",
        DropReason.CtLimit => "ct-limit",
        DropReason.Meter => "meter",
        DropReason.NeighborQueueFull => "neighbor-queue-full",
        _ => reason.ToString(),
    };

    /// <summary><c>no-match in table 10</c>, or the bare reason outside tables.</summary>
    public static string Describe(byte table, DropReason reason)
        => table == DropCounters.NoTable ? Name(reason) : $"{Name(reason)} in table {table}";
}
