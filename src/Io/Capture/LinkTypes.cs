namespace Datapath.Io.Capture;

/// <summary>tcpdump.org LINKTYPE_ values the datapath knows.</summary>
public static class LinkTypes
{
    /// <summary>LINKTYPE_ETHERNET: IEEE 802.3 Ethernet frames. The only link type Datapath reads.</summary>
    public const ushort Ethernet = 1;
}
