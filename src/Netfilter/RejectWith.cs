namespace Datapath.Netfilter;

/// <summary>REJECT --reject-with types (iptables-extensions(8)); the IPv4 ICMP code is in the low byte.</summary>
public enum RejectWith : byte
{
    None = 0,
    IcmpNetUnreachable,
    IcmpHostUnreachable,
    IcmpPortUnreachable,
    IcmpProtoUnreachable,
    IcmpNetProhibited,
    IcmpHostProhibited,
    IcmpAdminProhibited,
    TcpReset,
}
