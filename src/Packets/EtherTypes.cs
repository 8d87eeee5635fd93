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
}
