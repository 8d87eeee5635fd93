namespace Datapath.Geneve;

/// <summary>
/// Bits of FlowKey.TunFlags, as OVS's struct flow_tnl flags (lib/packets.h FLOW_TNL_F_*).
/// Only <see cref="Oam"/> is public (matchable as <c>tun_flags=+oam</c>); the others are how a
/// tunnel port's configuration (options:csum, df_default) reaches the encapsulator, as OVS's
/// tnl_port_send ORs them into the flow before it builds the header.
/// </summary>
public static class GeneveTunnelFlags
{
    /// <summary>The GENEVE O bit: an OAM frame.</summary>
    public const ushort Oam = 1 << 0;
    /// <summary>Set DF in the outer IPv4 header.</summary>
    public const ushort DontFragment = 1 << 1;
    /// <summary>Compute the outer UDP checksum (options:csum=true; Antrea sets it).</summary>
    public const ushort Csum = 1 << 2;
    /// <summary>The tunnel carries a key (always true for GENEVE's VNI).</summary>
    public const ushort Key = 1 << 3;
    /// <summary>The bits a flow may match (FLOW_TNL_PUB_F_MASK).</summary>
    public const ushort PublicMask = Oam;
}
