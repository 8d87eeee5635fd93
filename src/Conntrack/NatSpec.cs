using System.Globalization;
using System.Text;
using Datapath.Packets;

namespace Datapath.Conntrack;

/// <summary>Which translation a <see cref="NatSpec"/> asks for.</summary>
public enum NatKind : byte
{
    /// <summary><c>nat</c> without arguments: apply the connection's existing binding, create none.</summary>
    ApplyExisting,
    /// <summary><c>nat(src=...)</c>: rewrite the source of the original direction.</summary>
    Snat,
    /// <summary><c>nat(dst=...)</c>: rewrite the destination of the original direction.</summary>
    Dnat,
}

/// <summary>How a NAT range picks an address and port (ovs-actions(7) nat flags, iptables --random/--persistent).</summary>
[Flags]
public enum NatFlags : byte
{
    None = 0,
    /// <summary>Start the search at a random point of the ranges.</summary>
    Random = 1,
    /// <summary>Start the search at a hash of the connection's tuple (OVS's default).</summary>
    Hash = 2,
    /// <summary>The same client always gets the same address (the address choice ignores ports).</summary>
    Persistent = 4,
}

/// <summary>
/// The nat(...) argument of ct(): kind, address range (IPv4 or IPv6), port range, flags. Immutable;
/// parse it once per rule. A <see cref="PortMin"/> of 0 means "no port range": the port is kept if the
/// resulting tuple is free, else (SNAT only) an ephemeral port 1024..65535 is searched, as OVS does.
/// Without an address (<c>nat(src)</c>, <c>nat(dst)</c>; <see cref="HasAddress"/> false) the address
/// is kept and only the port may change to make the tuple unique (OVS conntrack.c find_addr: an
/// all-zero range keeps the connection's own address). An IPv6 range (<see cref="IsIpv6"/>) NATs only
/// IPv6 connections and an IPv4 range only IPv4 ones; check_NAT keeps a flow's match consistent with it.
/// </summary>
public sealed class NatSpec
{
    /// <summary>OVS nat_ipv6_addrs_delta: an address is chosen among at most 2^32 - 1 from the minimum.</summary>
    private const uint MaxAddressDelta = 0xfffffffe;

    public NatSpec(NatKind kind, Ipv4Address addressMin, Ipv4Address addressMax, ushort portMin = 0, ushort portMax = 0, NatFlags flags = NatFlags.None, bool hasAddress = true)
        : this(kind, addressMin.Value, addressMax.Value, ipv6: false, portMin, portMax, flags, hasAddress)
    {
    }

    /// <summary>An IPv6 range: <c>nat(src=[fd00::1]-[fd00::5]:1000-2000)</c>.</summary>
    public NatSpec(NatKind kind, Ipv6Address addressMin, Ipv6Address addressMax, ushort portMin = 0, ushort portMax = 0, NatFlags flags = NatFlags.None)
        : this(kind, addressMin.Value, addressMax.Value, ipv6: true, portMin, portMax, flags, hasAddress: true)
    {
    }

    private NatSpec(NatKind kind, UInt128 addressMin, UInt128 addressMax, bool ipv6, ushort portMin, ushort portMax, NatFlags flags, bool hasAddress)
    {
        if (!hasAddress && (portMin != 0 || addressMin != 0 || addressMax != 0))
            throw new ArgumentException("a port range needs an address range", nameof(portMin));
        if (kind != NatKind.ApplyExisting && addressMax < addressMin)
            throw new ArgumentException($"address range {Format(addressMin, ipv6)}-{Format(addressMax, ipv6)} is empty", nameof(addressMax));
        if (portMax < portMin)
            throw new ArgumentException($"port range {portMin}-{portMax} is empty", nameof(portMax));
        Kind = kind;
        RangeMin = addressMin;
        RangeMax = addressMax;
        IsIpv6 = ipv6 && hasAddress && kind != NatKind.ApplyExisting;
        PortMin = portMin;
        PortMax = portMin != 0 && portMax == 0 ? portMin : portMax;
        Flags = flags;
        HasAddress = hasAddress && kind != NatKind.ApplyExisting;
        UInt128 delta = addressMax - addressMin;
        RangeCount = HasAddress ? (delta > MaxAddressDelta ? MaxAddressDelta : (uint)delta) + 1UL : 1UL;
    }

    /// <summary><c>nat</c> without arguments.</summary>
    public static NatSpec ApplyExisting { get; } = new(NatKind.ApplyExisting, default(Ipv4Address), default);

    public static NatSpec Dnat(Ipv4Address address, ushort port = 0) => new(NatKind.Dnat, address, address, port, port);

    public static NatSpec Snat(Ipv4Address address, ushort port = 0) => new(NatKind.Snat, address, address, port, port);

    public static NatSpec Dnat(Ipv6Address address, ushort port = 0) => new(NatKind.Dnat, address, address, port, port);

    public static NatSpec Snat(Ipv6Address address, ushort port = 0) => new(NatKind.Snat, address, address, port, port);

    public NatKind Kind { get; }

    /// <summary>The IPv4 range's first address (an IPv6 range: see <see cref="Ipv6Min"/>).</summary>
    public Ipv4Address AddressMin => IsIpv6 ? default : new((uint)RangeMin);

    /// <summary>The IPv4 range's last address.</summary>
    public Ipv4Address AddressMax => IsIpv6 ? default : new((uint)RangeMax);

    /// <summary>The IPv6 range's first address (an IPv4 range: see <see cref="AddressMin"/>).</summary>
    public Ipv6Address Ipv6Min => IsIpv6 ? new(RangeMin) : default;

    /// <summary>The IPv6 range's last address.</summary>
    public Ipv6Address Ipv6Max => IsIpv6 ? new(RangeMax) : default;

    public ushort PortMin { get; }
    public ushort PortMax { get; }
    public NatFlags Flags { get; }

    /// <summary>False for <c>nat(src)</c> / <c>nat(dst)</c> (and <c>nat</c>): the connection's own address is kept.</summary>
    public bool HasAddress { get; }

    /// <summary>The range is of IPv6 addresses (OVS range_af AF_INET6).</summary>
    public bool IsIpv6 { get; }

    /// <summary>The range's first address as a 128-bit number (IPv4 in the low 32 bits).</summary>
    internal UInt128 RangeMin { get; }

    /// <summary>The range's last address as a 128-bit number (IPv4 in the low 32 bits).</summary>
    internal UInt128 RangeMax { get; }

    /// <summary>How many addresses the choice is among (1 without an address; at most 2^32 - 1, as OVS caps it).</summary>
    internal ulong RangeCount { get; }

    /// <summary>Can this range translate a connection of the family <paramref name="ipv6"/> says?</summary>
    internal bool Fits(bool ipv6) => !HasAddress || IsIpv6 == ipv6;

    /// <summary>
    /// Parses the text inside nat(...) as ovs-ofctl writes it: empty, or
    /// <c>src|dst[=ADDR[-ADDR][:PORT[-PORT]]][,random|hash][,persistent]</c> (OVS parse_NAT), where an
    /// IPv6 address may be written in brackets and must be when a port follows (<c>dst=[fd00::1]:80</c>).
    /// </summary>
    public static bool TryParse(string text, out NatSpec? spec, out string? error)
    {
        spec = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            spec = ApplyExisting;
            return true;
        }
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        NatKind kind = NatKind.ApplyExisting;
        NatRangeSyntax range = default;
        var flags = NatFlags.None;
        foreach (var part in parts)
        {
            if (part is "src" or "dst" || part.StartsWith("src=", StringComparison.Ordinal) || part.StartsWith("dst=", StringComparison.Ordinal))
            {
                if (kind != NatKind.ApplyExisting)
                {
                    error = "nat: only one of src= and dst= may be given";
                    return false;
                }
                kind = part[0] == 's' ? NatKind.Snat : NatKind.Dnat;
                // "src" and "src=" name no address (OVS str_to_nat_range of an empty string).
                if (part.Length > 4 && !NatRangeSyntax.TryParse(part[4..], out range, out error))
                    return false;
            }
            else if (part == "random")
            {
                flags |= NatFlags.Random;
            }
            else if (part == "hash")
            {
                flags |= NatFlags.Hash;
            }
            else if (part == "persistent")
            {
                flags |= NatFlags.Persistent;
            }
            else
            {
                error = $"nat: unknown argument '{part}'";
                return false;
            }
        }
        if ((flags & (NatFlags.Random | NatFlags.Hash)) == (NatFlags.Random | NatFlags.Hash))
        {
            error = "nat: random and hash are exclusive";
            return false;
        }
        if (kind == NatKind.ApplyExisting && flags != NatFlags.None)
        {
            error = "nat: flags need src= or dst=";
            return false;
        }
        // OVS encodes an all-zero address as no address (decode_NXAST_RAW_NAT then refuses a port without one).
        bool hasAddress = range.Family != 0 && range.Min != 0;
        if (!hasAddress && range.PortMin != 0)
        {
            error = "nat: a port range needs an address (OFPBAC_BAD_ARGUMENT)";
            return false;
        }
        spec = kind == NatKind.ApplyExisting ? ApplyExisting
            : !hasAddress ? new NatSpec(kind, default(Ipv4Address), default, 0, 0, flags, hasAddress: false)
            : new NatSpec(kind, range.Min, range.Max, range.Family == 6, range.PortMin, range.PortMax, flags, hasAddress: true);
        return true;
    }

    /// <summary>As ovs-ofctl prints it: <c>nat</c>, <c>nat(src)</c>, <c>nat(dst=10.0.0.1:80)</c>,
    /// <c>nat(src=10.0.0.1-10.0.0.9:1000-2000,random)</c>, <c>nat(dst=fd00::1)</c>, <c>nat(dst=[fd00::1]:80)</c>
    /// (format_NAT brackets IPv6 addresses only when a port follows). OVS's format_NAT prints the flags only after
    /// an address, so <c>nat(src,random)</c> prints as <c>nat(src)</c> (the flag is kept and still applies).</summary>
    public override string ToString()
    {
        if (Kind == NatKind.ApplyExisting)
            return "nat";
        if (!HasAddress)
            return Kind == NatKind.Snat ? "nat(src)" : "nat(dst)";
        var sb = new StringBuilder("nat(");
        sb.Append(Kind == NatKind.Snat ? "src=" : "dst=");
        bool bracket = IsIpv6 && PortMin != 0;
        AppendAddress(sb, RangeMin, bracket);
        if (RangeMax != RangeMin)
            AppendAddress(sb.Append('-'), RangeMax, bracket);
        if (PortMin != 0)
        {
            sb.Append(':').Append(PortMin.ToString(CultureInfo.InvariantCulture));
            if (PortMax != PortMin)
                sb.Append('-').Append(PortMax.ToString(CultureInfo.InvariantCulture));
        }
        // format_NAT's order: persistent, then hash or random.
        if ((Flags & NatFlags.Persistent) != 0)
            sb.Append(",persistent");
        if ((Flags & NatFlags.Hash) != 0)
            sb.Append(",hash");
        if ((Flags & NatFlags.Random) != 0)
            sb.Append(",random");
        return sb.Append(')').ToString();
    }

    private void AppendAddress(StringBuilder sb, UInt128 address, bool bracket)
    {
        if (bracket)
            sb.Append('[');
        sb.Append(Format(address, IsIpv6));
        if (bracket)
            sb.Append(']');
    }

    private static string Format(UInt128 address, bool ipv6) => ipv6 ? new Ipv6Address(address).ToString() : new Ipv4Address((uint)address).ToString();
}
