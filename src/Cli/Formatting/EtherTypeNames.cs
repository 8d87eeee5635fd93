using Datapath.Packets;

namespace Datapath.Cli.Formatting;

/// <summary>The names tcpdump gives EtherTypes (its ethertype_values table, the ones a datapath meets).</summary>
internal static class EtherTypeNames
{
    public static string Get(ushort etherType) => etherType switch
    {
        EtherTypes.IPv4 => "IPv4",
        EtherTypes.Arp => "ARP",
        EtherTypes.Rarp => "Reverse ARP",
        EtherTypes.IPv6 => "IPv6",
        EtherTypes.Vlan => "802.1Q",
        EtherTypes.QinQ => "802.1Q-QinQ",
        0x9100 => "802.1Q-9100",
        EtherTypes.TransparentEthernetBridging => "TEB",
        0x8847 => "MPLS unicast",
        0x8848 => "MPLS multicast",
        0x8863 => "PPPoE D",
        0x8864 => "PPPoE S",
        0x888E => "EAPOL",
        0x88CC => "LLDP",
        0x8809 => "Slow Protocols",
        0x88F7 => "PTP",
        0x8906 => "FCoE",
        0x0842 => "Wake-on-LAN",
        _ => "Unknown",
    };
}
