using System.Globalization;
using Datapath.Packets;

namespace Datapath.Conntrack;

/// <summary>
/// The text after <c>src=</c> or <c>dst=</c> in nat(...), read as OVS 3.1's str_to_nat_range reads it: an
/// IPv4 address, else an IPv6 address bare or in brackets (the characters 0-9a-fA-F:. as IPV6_SCAN_FMT
/// scans them, so <c>fd00::1:80</c> is one address and a port after an IPv6 address needs the brackets),
/// then <c>-</c> and the range's last address, then <c>:</c> and a port or port range. What follows the
/// range is "garbage" in OVS's words. <see cref="Family"/> is 0 when no address was read: OVS accepts
/// a text its scan consumes but inet_pton refuses (<c>fd00::1:</c>) as no address at all.
/// </summary>
internal readonly struct NatRangeSyntax
{
    private const int Ipv6ScanLength = 46; // OVS IPV6_SCAN_LEN

    private NatRangeSyntax(byte family, UInt128 min, UInt128 max, ushort portMin, ushort portMax)
    {
        Family = family;
        Min = min;
        Max = max;
        PortMin = portMin;
        PortMax = portMax;
    }

    /// <summary>4, 6, or 0 for no address.</summary>
    public byte Family { get; }
    public UInt128 Min { get; }
    public UInt128 Max { get; }
    /// <summary>0: no port range (OVS reads <c>:0</c> as none).</summary>
    public ushort PortMin { get; }
    public ushort PortMax { get; }

    public static bool TryParse(string s, out NatRangeSyntax range, out string? error)
    {
        range = default;
        error = null;
        int n = 0;
        byte family = 0;
        UInt128 min = 0, max = 0;
        ushort portMin = 0, portMax = 0;
        var scan4 = ScanIpv4(s, ref n, out uint v4);
        if (scan4 == Scan.Bad)
            return Invalid(s, out error);
        if (scan4 == Scan.Address)
        {
            family = 4;
            min = max = v4;
            if (n < s.Length && s[n] == '-')
            {
                n++;
                if (ScanIpv4(s, ref n, out uint hi) != Scan.Address || hi < v4)
                    return Invalid(s, out error);
                max = hi;
            }
        }
        else if (ScanIpv6(s, ref n, out var v6) == Scan.Address)
        {
            family = 6;
            min = max = v6.Value;
            if (n < s.Length && s[n] == '-')
            {
                n++;
                if (ScanIpv6(s, ref n, out var hi) != Scan.Address || hi.Value < v6.Value)
                    return Invalid(s, out error);
                max = hi.Value;
            }
        }
        if (family != 0 && n < s.Length && s[n] == ':')
        {
            n++;
            if (!ScanPort(s, ref n, out portMin))
                return Invalid(s, out error);
            portMax = portMin;
            if (n < s.Length && s[n] == '-')
            {
                n++;
                if (!ScanPort(s, ref n, out portMax) || portMax < portMin)
                    return Invalid(s, out error);
            }
            if (portMin == 0)
                portMax = 0;
        }
        if (n != s.Length)
        {
            error = $"nat: garbage ({s[n..]}) after nat range \"{s}\" (pos: {n})";
            return false;
        }
        range = new NatRangeSyntax(family, min, max, portMin, portMax);
        return true;
    }

    private enum Scan : byte
    {
        /// <summary>The text there is not of this form; nothing consumed.</summary>
        None,
        /// <summary>An address was read and consumed.</summary>
        Address,
        /// <summary>Consumed, but not an address (an IPv4 octet over 255; an IPv6 text inet_pton refuses).</summary>
        Bad,
    }

    private static bool Invalid(string s, out string error)
    {
        error = $"nat: invalid nat range \"{s}\"";
        return false;
    }

    /// <summary>Four decimal octets (IP_SCAN_FMT). An octet over 255 is refused here (sscanf would wrap it).</summary>
    private static Scan ScanIpv4(string s, ref int n, out uint address)
    {
        address = 0;
        int i = n;
        bool over = false;
        for (int octet = 0; octet < 4; octet++)
        {
            if (octet > 0)
            {
                if (i >= s.Length || s[i] != '.')
                    return Scan.None;
                i++;
            }
            int start = i;
            uint v = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
                v = Math.Min(v * 10 + (uint)(s[i++] - '0'), 1000);
            if (i == start)
                return Scan.None;
            over |= v > 255;
            address = (address << 8) | (v & 0xff);
        }
        n = i;
        return over ? Scan.Bad : Scan.Address;
    }

    /// <summary>An IPv6 address bare or in brackets; the scan consumes the characters IPV6_SCAN_FMT allows.</summary>
    private static Scan ScanIpv6(string s, ref int n, out Ipv6Address address)
    {
        address = default;
        int i = n;
        bool bracket = i < s.Length && s[i] == '[';
        if (bracket)
            i++;
        int start = i;
        while (i < s.Length && i - start < Ipv6ScanLength && (char.IsAsciiHexDigit(s[i]) || s[i] is ':' or '.'))
            i++;
        if (i == start || (bracket && (i >= s.Length || s[i] != ']')))
            return Scan.None;
        var text = s.AsSpan(start, i - start);
        n = bracket ? i + 1 : i;
        return Ipv6Address.TryParse(text, out address) ? Scan.Address : Scan.Bad;
    }

    /// <summary>A decimal port (SCNu16); one over 65535 is refused (sscanf would wrap it).</summary>
    private static bool ScanPort(string s, ref int n, out ushort port)
    {
        int start = n;
        while (n < s.Length && char.IsAsciiDigit(s[n]))
            n++;
        return ushort.TryParse(s.AsSpan(start, n - start), NumberStyles.None, CultureInfo.InvariantCulture, out port);
    }
}
