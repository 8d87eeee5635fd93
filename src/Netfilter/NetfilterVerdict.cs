namespace Datapath.Netfilter;

/// <summary>What a hook decided for a packet.</summary>
public enum NetfilterVerdict
{
    /// <summary>The packet continues (NF_ACCEPT).</summary>
    Accept = 0,
    /// <summary>The packet is dropped silently (NF_DROP).</summary>
    Drop = 1,
    /// <summary>The packet is dropped and the REJECT target asks for an ICMP error or TCP RST
    /// (<see cref="NetfilterPacket.RejectWith"/>); the host stack sends it.</summary>
    Reject = 2,
}
