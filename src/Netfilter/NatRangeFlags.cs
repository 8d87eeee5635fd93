namespace Datapath.Netfilter;

/// <summary>NF_NAT_RANGE_* flags of a NAT target.</summary>
[Flags]
public enum NatRangeFlags
{
    None = 0,
    /// <summary>An address range is given (otherwise the address is kept, as in <c>--to-destination :8080</c>).</summary>
    MapIps = 1 << 0,
    /// <summary>A port range is given.</summary>
    ProtoSpecified = 1 << 1,
    /// <summary><c>--random</c>: the port is chosen at random (NF_NAT_RANGE_PROTO_RANDOM).</summary>
    ProtoRandom = 1 << 2,
    /// <summary><c>--persistent</c>: the same client gets the same address.</summary>
    Persistent = 1 << 3,
    /// <summary><c>--random-fully</c>: full port randomisation (NF_NAT_RANGE_PROTO_RANDOM_FULLY).</summary>
    ProtoRandomFully = 1 << 4,
    /// <summary>MASQUERADE: the address is the egress interface's, chosen per packet.</summary>
    Masquerade = 1 << 5,
}
