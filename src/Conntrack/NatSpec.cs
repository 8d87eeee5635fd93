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
/// The nat(...) argument of ct(): kind, IPv4 address range, port range, flags. Immutable; parse it
/// once per rule. A <see cref="PortMin"/> of 0 means "no port range": the port is kept if the
/// resulting tuple is free, else (SNAT only) an ephemeral port 1024..65535 is searched, as OVS does.
/// Without an address (<c>nat(src)</c>, <c>nat(dst)</c>; <see cref="HasAddress"/> false) the address
/// is kept and only the port may change to make the tuple unique (OVS conntrack.c find_addr: an
/// all-zero range keeps the connection's own address).
/// </summary>
public sealed class NatSpec
{
    public NatSpec(NatKind kind, Ipv4Address addressMin, Ipv4Address addressMax, ushort portMin = 0, ushort portMax = 0, NatFlags flags = NatFlags.None, bool hasAddress = true)
    {
        if (!hasAddress && (portMin != 0 || addressMin.Value != 0 || addressMax.Value != 0))
            throw new ArgumentException("a port range needs an address range", nameof(portMin));
        if (kind != NatKind.ApplyExisting && addressMax.Value < addressMin.Value)
            throw new ArgumentException($"address range {addressMin}-{addressMax} is empty", nameof(addressMax));
        if (portMax < portMin)
            throw new ArgumentException($"port range {portMin}-{portMax} is empty", nameof(portMax));
        Kind = kind;
        AddressMin = addressMin;
        AddressMax = addressMax;
        PortMin = portMin;
        PortMax = portMin != 0 && portMax == 0 ? portMin : portMax;
        Flags = flags;
        HasAddress = hasAddress && kind != NatKind.ApplyExisting;
    }

    /// <summary><c>nat</c> without arguments.</summary>
    public static NatSpec ApplyExisting { get; } = new(NatKind.ApplyExisting, default, default);

    public static NatSpec Dnat(Ipv4Address address, ushort port = 0) => new(NatKind.Dnat, address, address, port, port);

    public static NatSpec Snat(Ipv4Address address, ushort port = 0) => new(NatKind.Snat, address, address, port, port);

    public NatKind Kind { get; }
    public Ipv4Address AddressMin { get; }
    public Ipv4Address AddressMax { get; }
    public ushort PortMin { get; }
    public ushort PortMax { get; }
    public NatFlags Flags { get; }

    /// <summary>False for <c>nat(src)</c> / <c>nat(dst)</c> (and <c>nat</c>): the connection's own address is kept.</summary>
    public bool HasAddress { get; }

    /// <summary>
    /// Parses the text inside nat(...) as ovs-ofctl writes it: empty, or
    /// <c>src|dst[=ADDR[-ADDR][:PORT[-PORT]]][,random|hash][,persistent]</c> (OVS parse_NAT).
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
        Ipv4Address lo = default, hi = default;
        ushort plo = 0, phi = 0;
        bool hasAddress = false;
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
                hasAddress = part.Length > 4;
                if (hasAddress && !TryParseRange(part[4..], out lo, out hi, out plo, out phi, out error))
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
        spec = kind == NatKind.ApplyExisting ? ApplyExisting : new NatSpec(kind, lo, hi, plo, phi, flags, hasAddress);
        return true;
    }

    private static bool TryParseRange(string text, out Ipv4Address lo, out Ipv4Address hi, out ushort plo, out ushort phi, out string? error)
    {
        lo = hi = default;
        plo = phi = 0;
        error = null;
        string addrs = text, ports = "";
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            addrs = text[..colon];
            ports = text[(colon + 1)..];
        }
        int dash = addrs.IndexOf('-', StringComparison.Ordinal);
        if (!Ipv4Address.TryParse(dash < 0 ? addrs : addrs[..dash], out lo)
            || !Ipv4Address.TryParse(dash < 0 ? addrs : addrs[(dash + 1)..], out hi))
        {
            error = $"nat: '{addrs}' is not an IPv4 address or range";
            return false;
        }
        if (hi.Value < lo.Value)
        {
            error = $"nat: address range '{addrs}' is empty";
            return false;
        }
        if (colon >= 0)
        {
            int pd = ports.IndexOf('-', StringComparison.Ordinal);
            if (!ushort.TryParse(pd < 0 ? ports : ports[..pd], NumberStyles.None, CultureInfo.InvariantCulture, out plo)
                || !ushort.TryParse(pd < 0 ? ports : ports[(pd + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out phi)
                || plo == 0 || phi < plo)
            {
                error = $"nat: '{ports}' is not a port or port range";
                return false;
            }
        }
        return true;
    }

    /// <summary>As ovs-ofctl prints it: <c>nat</c>, <c>nat(src)</c>, <c>nat(dst=10.0.0.1:80)</c>,
    /// <c>nat(src=10.0.0.1-10.0.0.9:1000-2000,random)</c>. OVS's format_NAT prints the flags only after an
    /// address, so <c>nat(src,random)</c> prints as <c>nat(src)</c> (the flag is kept and still applies).</summary>
    public override string ToString()
    {
        if (Kind == NatKind.ApplyExisting)
            return "nat";
        if (!HasAddress)
            return Kind == NatKind.Snat ? "nat(src)" : "nat(dst)";
        var sb = new StringBuilder("nat(");
        sb.Append(Kind == NatKind.Snat ? "src=" : "dst=").Append(AddressMin.ToString());
        if (AddressMax != AddressMin)
            sb.Append('-').Append(AddressMax.ToString());
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
}
