namespace Datapath.Packets;

/// <summary>IEEE 802 EtherType values used by the datapath.</summary>
public static class EtherTypes
{
    public const ushort IPv4 = 0x0800;
    public const ushort Arp = 0x0806;
    public const ushort Rarp = 0x8035;
    public const ushort Vlan = 0x8100;
    public const ushort QinQ = 0x88A8;
    public const ushort IPv6 = 0x86DD;
    public const ushort TransparentEthernetBridging = 0x6558;
    /// <summary>MPLS unicast (RFC 5332).</summary>
    public const ushort Mpls = 0x8847;
    /// <summary>MPLS multicast (RFC 5332).</summary>
    public const ushort MplsMulticast = 0x8848;

    /// <summary>OVS's eth_type_mpls.</summary>
    public static bool IsMpls(ushort type) => type is Mpls or MplsMulticast;
}
