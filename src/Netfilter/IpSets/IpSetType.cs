namespace Datapath.Netfilter.IpSets;

/// <summary>The ipset types we implement.</summary>
public enum IpSetType
{
    HashIp,
    HashNet,
    HashIpPort,
}
