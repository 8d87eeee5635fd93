namespace Datapath.Netfilter;

/// <summary>Which side of a connection a NAT binding rewrites (the kernel's nf_nat_manip_type).</summary>
public enum NatManip
{
    /// <summary>Source NAT (SNAT, MASQUERADE): decided at POSTROUTING/INPUT.</summary>
    Source = 0,
    /// <summary>Destination NAT (DNAT): decided at PREROUTING/OUTPUT.</summary>
    Destination = 1,
}
