using System.Globalization;
using System.Numerics;
using System.Text;
using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>
/// Text forms of fields, values and subfields as ovs-ofctl(8) and ovs-fields(7) write them:
/// <c>NXM_NX_REG0[0..15]</c>, <c>10.0.0.0/8</c>, <c>0x1/0xffff</c>, <c>aa:bb:cc:dd:ee:ff/ff:ff:ff:00:00:00</c>,
/// <c>+new-est</c>, <c>"antrea-gw0"</c>.  Printing follows OVS's match_format conventions
/// (<c>%#x</c> hex, so zero prints as <c>0</c>; masked 16-bit decimal fields print as <c>0x50/0xfff0</c>).
/// </summary>
public static class FieldSyntax
{
    private static readonly (string Name, uint Bit)[] s_ctStateNames =
    [
        ("new", 0x01), ("est", 0x02), ("rel", 0x04), ("rpl", 0x08),
        ("inv", 0x10), ("trk", 0x20), ("snat", 0x40), ("dnat", 0x80),
    ];

    private static readonly (string Name, uint Bit)[] s_tcpFlagNames =
    [
        ("fin", 0x001), ("syn", 0x002), ("rst", 0x004), ("psh", 0x008), ("ack", 0x010), ("urg", 0x020),
        ("ece", 0x040), ("cwr", 0x080), ("ns", 0x100),
    ];

    private static readonly (string Name, uint Bit)[] s_tunFlagNames = [("oam", 0x1)];

    // ---- subfields

    /// <summary>Parses <c>NXM_NX_REG0[0..15]</c>, <c>reg0[16]</c>, <c>NXM_OF_ETH_DST[]</c> or a bare field name (the whole field).</summary>
    public static bool TryParseSubfield(ReadOnlySpan<char> text, out Subfield sf, out string? error)
    {
        sf = default;
        text = text.Trim();
        int bracket = text.IndexOf('[');
        ReadOnlySpan<char> name = bracket < 0 ? text : text[..bracket];
        if (name.IsEmpty)
        {
            error = "missing field name";
            return false;
        }
        if (!FieldRegistry.TryGet(name.ToString(), out FieldInfo? field))
        {
            error = UnknownFieldMessage(name.ToString());
            return false;
        }
        int start = 0, count = field.BitWidth;
        if (bracket >= 0)
        {
            if (text[^1] != ']')
            {
                error = $"'{text}': missing ']' after bit range";
                return false;
            }
            ReadOnlySpan<char> range = text[(bracket + 1)..^1].Trim();
            if (!range.IsEmpty)
            {
                int dots = range.IndexOf("..", StringComparison.Ordinal);
                if (dots < 0)
                {
                    if (!int.TryParse(range, NumberStyles.None, CultureInfo.InvariantCulture, out start))
                    {
                        error = $"'{text}': bad bit index '{range}'";
                        return false;
                    }
                    count = 1;
                }
                else
                {
                    if (!int.TryParse(range[..dots].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out start)
                        || !int.TryParse(range[(dots + 2)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int end))
                    {
                        error = $"'{text}': bad bit range '{range}'";
                        return false;
                    }
                    if (end < start)
                    {
                        error = $"'{text}': bit range {start}..{end} is backward";
                        return false;
                    }
                    count = end - start + 1;
                }
                if (start + count > field.BitWidth)
                {
                    error = $"'{text}': bits {start}..{start + count - 1} are outside {field.Name}, which has {field.BitWidth} bits";
                    return false;
                }
            }
        }
        sf = new Subfield(field, start, count);
        error = null;
        return true;
    }

    /// <summary>The "unknown field" message with a "did you mean" suggestion when one is close.</summary>
    public static string UnknownFieldMessage(string name)
    {
        string? best = Suggest(name, FieldRegistry.AllNames.Concat(FlowParser.Keywords));
        return best is null ? $"unknown field '{name}'" : $"unknown field '{name}' (did you mean {best}?)";
    }

    internal static string? Suggest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        bool bestCanonical = false;
        string lower = name.ToLowerInvariant();
        foreach (string c in candidates)
        {
            int d = DidYouMean.Distance(lower, c.ToLowerInvariant());
            bool canonical = FieldRegistry.TryGet(c, out var f) ? f.Name == c : string.Equals(c, c.ToLowerInvariant(), StringComparison.Ordinal);
            if (d < bestDistance || (d == bestDistance && canonical && !bestCanonical)
                || (d == bestDistance && canonical == bestCanonical && string.CompareOrdinal(c, best) < 0))
            {
                best = c;
                bestDistance = d;
                bestCanonical = canonical;
            }
        }
        int limit = Math.Max(1, Math.Min(2, name.Length / 3));
        return bestDistance <= limit ? best : null;
    }

    // ---- values

    /// <summary>
    /// Parses a match value for <paramref name="f"/>: the value and its mask (all ones over the
    /// field's width when no mask is written).  The value is returned already ANDed with the mask.
    /// </summary>
    public static bool TryParseValue(FieldInfo f, string text, IPortMap? ports, out UInt128 value, out UInt128 mask, out string? error)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(text);
        value = 0;
        mask = f.FullMask;
        error = null;
        string t = text.Trim();
        if (t.Length == 0)
        {
            error = $"{f.Name}: missing value";
            return false;
        }
        bool ok = f.Format switch
        {
            FieldFormat.Mac => TryParseMac(f, t, ref value, ref mask, ref error),
            FieldFormat.Ipv4 => TryParseIpv4(f, t, ref value, ref mask, ref error),
            FieldFormat.Ipv6 => TryParseIpv6(f, t, ref value, ref mask, ref error),
            FieldFormat.CtState => TryParseFlags(f, t, s_ctStateNames, ref value, ref mask, ref error),
            FieldFormat.TcpFlags => TryParseFlags(f, t, s_tcpFlagNames, ref value, ref mask, ref error),
            FieldFormat.TunFlags => TryParseFlags(f, t, s_tunFlagNames, ref value, ref mask, ref error),
            FieldFormat.Frag => TryParseFrag(f, t, ref value, ref mask, ref error),
            FieldFormat.Port => TryParsePort(f, t, ports, ref value, ref mask, ref error),
            _ => TryParseIntegerMasked(f, t, ref value, ref mask, ref error),
        };
        if (!ok)
            return false;
        if (!f.Maskable && mask != f.FullMask && mask != UInt128.Zero)
        {
            error = $"{f.Name}: field does not support masking (ovs-fields(7) lists it as not maskable)";
            return false;
        }
        value &= mask;
        return true;
    }

    private static bool TryParseIntegerMasked(FieldInfo f, string t, ref UInt128 value, ref UInt128 mask, ref string? error)
    {
        int slash = t.IndexOf('/', StringComparison.Ordinal);
        string v = slash < 0 ? t : t[..slash];
        if (!TryParseInteger(v, out value) || value > f.FullMask)
        {
            error = TryParseInteger(v, out _)
                ? $"{f.Name}: value {v} does not fit in {f.BitWidth} bits"
                : $"{f.Name}: '{v}' is not a number (decimal, or hexadecimal with 0x)";
            return false;
        }
        if (slash >= 0)
        {
            string m = t[(slash + 1)..];
            if (!TryParseInteger(m, out mask) || mask > f.FullMask)
            {
                error = $"{f.Name}: bad mask '{m}'";
                return false;
            }
        }
        return true;
    }

    /// <summary>Parses a decimal or <c>0x</c> hexadecimal unsigned integer of up to 128 bits.</summary>
    public static bool TryParseInteger(ReadOnlySpan<char> text, out UInt128 value)
    {
        text = text.Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            ReadOnlySpan<char> hex = text[2..];
            value = 0;
            return hex.Length is > 0 and <= 32
                && UInt128.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        return UInt128.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryParseMac(FieldInfo f, string t, ref UInt128 value, ref UInt128 mask, ref string? error)
    {
        int slash = t.IndexOf('/', StringComparison.Ordinal);
        string v = slash < 0 ? t : t[..slash];
        if (!MacAddress.TryParse(v, out MacAddress mac))
        {
            error = $"{f.Name}: '{v}' is not an Ethernet address (xx:xx:xx:xx:xx:xx)";
            return false;
        }
        value = mac.Value;
        if (slash >= 0)
        {
            string m = t[(slash + 1)..];
            if (!MacAddress.TryParse(m, out MacAddress mm))
            {
                error = $"{f.Name}: '{m}' is not an Ethernet mask (xx:xx:xx:xx:xx:xx)";
                return false;
            }
            mask = mm.Value;
        }
        return true;
    }

    private static bool TryParseIpv4(FieldInfo f, string t, ref UInt128 value, ref UInt128 mask, ref string? error)
    {
        int slash = t.IndexOf('/', StringComparison.Ordinal);
        string v = slash < 0 ? t : t[..slash];
        if (!Ipv4Address.TryParse(v, out Ipv4Address a))
        {
            error = $"{f.Name}: '{v}' is not an IPv4 address";
            return false;
        }
        value = a.Value;
        if (slash >= 0)
        {
            string m = t[(slash + 1)..];
            if (int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out int plen))
            {
                if (plen > 32)
                {
                    error = $"{f.Name}: prefix length {plen} is more than 32";
                    return false;
                }
                mask = Ipv4Address.PrefixMask(plen);
            }
            else if (Ipv4Address.TryParse(m, out Ipv4Address ma))
            {
                mask = ma.Value;
            }
            else
            {
                error = $"{f.Name}: '{m}' is neither a prefix length nor an IPv4 mask";
                return false;
            }
        }
        return true;
    }

    private static bool TryParseIpv6(FieldInfo f, string t, ref UInt128 value, ref UInt128 mask, ref string? error)
    {
        int slash = t.IndexOf('/', StringComparison.Ordinal);
        string v = slash < 0 ? t : t[..slash];
        if (!Ipv6Address.TryParse(v, out Ipv6Address a))
        {
            error = $"{f.Name}: '{v}' is not an IPv6 address";
            return false;
        }
        value = a.Value;
        if (slash >= 0)
        {
            string m = t[(slash + 1)..];
            if (int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out int plen))
            {
                if (plen > 128)
                {
                    error = $"{f.Name}: prefix length {plen} is more than 128";
                    return false;
                }
                mask = Ipv6Address.PrefixMask(plen);
            }
            else if (Ipv6Address.TryParse(m, out Ipv6Address ma))
            {
                mask = ma.Value;
            }
            else
            {
                error = $"{f.Name}: '{m}' is neither a prefix length nor an IPv6 mask";
                return false;
            }
        }
        return true;
    }

    private static bool TryParseFlags(FieldInfo f, string t, (string Name, uint Bit)[] names, ref UInt128 value, ref UInt128 mask, ref string? error)
    {
        value = 0;
        if (t[0] is not ('+' or '-'))
        {
            // A number (value[/mask]) or, as OVS prints a fully masked field, "syn|ack".
            if (TryParseInteger(t.Split('/')[0], out _))
                return TryParseIntegerMasked(f, t, ref value, ref mask, ref error);
            value = 0;
            foreach (string part in t.Split('|'))
            {
                uint bit = FindFlag(names, part);
                if (bit == 0)
                {
                    error = $"{f.Name}: unknown flag '{part}' (known: {string.Join(", ", names.Select(n => n.Name))})";
                    return false;
                }
                value |= bit;
            }
            mask = f.FullMask;
            return true;
        }
        value = 0;
        mask = 0;
        int i = 0;
        while (i < t.Length)
        {
            char sign = t[i];
            if (sign is not ('+' or '-'))
            {
                error = $"{f.Name}: expected '+' or '-' before flag at '{t[i..]}'";
                return false;
            }
            int j = i + 1;
            while (j < t.Length && t[j] is not ('+' or '-'))
                j++;
            string name = t[(i + 1)..j];
            uint bit = FindFlag(names, name);
            if (bit == 0)
            {
                error = $"{f.Name}: unknown flag '{name}' (known: {string.Join(", ", names.Select(n => n.Name))})";
                return false;
            }
            if ((mask & bit) != 0)
            {
                error = $"{f.Name}: flag '{name}' given twice";
                return false;
            }
            mask |= bit;
            if (sign == '+')
                value |= bit;
            i = j;
        }
        return true;
    }

    private static uint FindFlag((string Name, uint Bit)[] names, string name)
    {
        foreach (var (n, bit) in names)
        {
            if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
                return bit;
        }
        return 0;
    }

    private static bool TryParseFrag(FieldInfo f, string t, ref UInt128 value, ref UInt128 mask, ref string? error)
    {
        // ovs-fields(7) nw_frag: FLOW_NW_FRAG_ANY = 1, FLOW_NW_FRAG_LATER = 2.
        (uint v, uint m) = t.ToLowerInvariant() switch
        {
            "no" => (0u, 3u),
            "yes" => (1u, 1u),
            "first" => (1u, 3u),
            "later" => (3u, 3u),
            "not_later" => (0u, 2u),
            _ => (0xffu, 0xffu),
        };
        value = v;
        mask = m;
        if (v == 0xff)
        {
            error = $"{f.Name}: '{t}' is not one of no, yes, first, later, not_later";
            return false;
        }
        return true;
    }

    private static bool TryParsePort(FieldInfo f, string t, IPortMap? ports, ref UInt128 value, ref UInt128 mask, ref string? error)
    {
        string name = t;
        bool quoted = false;
        if (t.Length >= 2 && t[0] == '"' && t[^1] == '"')
        {
            name = t[1..^1];
            quoted = true;
        }
        if (!quoted && name.Length > 0 && name.All(char.IsAsciiDigit))
        {
            if (!OpenFlowPorts.TryParseNumber(name, out uint n))
            {
                error = $"{name}: invalid or unknown port for {f.Name}";
                return false;
            }
            value = n;
            return true;
        }
        if (ports is not null && ports.TryGetPort(name, out uint p))
        {
            value = p;
            return true;
        }
        if (!quoted && OpenFlowPorts.TryParseReserved(name, out uint r))
        {
            value = r;
            return true;
        }
        error = ports is null
            ? $"{f.Name}: unknown port '{name}' (no port names are known here; use the ofport number)"
            : $"{f.Name}: unknown port '{name}'";
        return false;
    }

    // ---- printing

    /// <summary>Prints a whole (unmasked) value as ovs-ofctl does.</summary>
    public static string FormatValue(FieldInfo f, UInt128 value, IPortMap? ports)
    {
        ArgumentNullException.ThrowIfNull(f);
        return FormatMaskedValue(f, value, f.FullMask, ports);
    }

    /// <summary>Prints a value with its mask as ovs-ofctl's match printer does (no <c>/mask</c> when the mask is all ones).</summary>
    public static string FormatMaskedValue(FieldInfo f, UInt128 value, UInt128 mask, IPortMap? ports)
    {
        ArgumentNullException.ThrowIfNull(f);
        bool full = mask == f.FullMask;
        switch (f.Format)
        {
            case FieldFormat.Mac:
                return full ? Mac(value) : Mac(value) + "/" + Mac(mask);
            case FieldFormat.Ipv4:
            {
                string a = new Ipv4Address((uint)value).ToString();
                if (full)
                    return a;
                int plen = PrefixLength(mask, 32);
                return plen >= 0 ? $"{a}/{plen}" : $"{a}/{new Ipv4Address((uint)mask)}";
            }
            case FieldFormat.Ipv6:
            {
                string a = new Ipv6Address(value).ToString();
                if (full)
                    return a;
                int plen = PrefixLength(mask, 128);
                return plen >= 0 ? $"{a}/{plen}" : $"{a}/{new Ipv6Address(mask)}";
            }
            case FieldFormat.CtState:
                return FormatFlags((uint)value, (uint)mask, (uint)f.FullMask, s_ctStateNames);
            case FieldFormat.TcpFlags:
                return FormatFlags((uint)value, (uint)mask, (uint)f.FullMask, s_tcpFlagNames);
            case FieldFormat.TunFlags:
                return FormatFlags((uint)value, (uint)mask, (uint)f.FullMask, s_tunFlagNames);
            case FieldFormat.Frag:
                return ((uint)mask, (uint)(value & mask)) switch
                {
                    (3, 0) => "no",
                    (3, 1) => "first",
                    (3, 3) => "later",
                    (3, _) => "<error>",
                    (1, 0) => "no",
                    (1, _) => "yes",
                    (2, 0) => "not_later",
                    (2, _) => "later",
                    _ => CHex(value) + "/" + CHex(mask),
                };
            case FieldFormat.Port:
                return FormatPort((uint)value, ports);
            case FieldFormat.Decimal:
                return full ? value.ToString(CultureInfo.InvariantCulture) : "0x" + Hex(value) + "/0x" + Hex(mask);
            default:
                return full ? CHex(value) : CHex(value) + "/" + CHex(mask);
        }
    }

    /// <summary>C's <c>%#x</c>: <c>0x1f</c>, but plain <c>0</c> for zero.</summary>
    /// <summary>A port as OVS prints one: its name (bare or JSON-quoted, namemap_put_name) when shown, a reserved name (LOCAL, IN_PORT...), or its number.</summary>
    public static string FormatPort(uint port, IPortMap? ports)
        => ports is not null && ports.TryGetName(port, out string? name) && name is not null
            ? TableNameMap.Format(name)
            : OpenFlowPorts.ReservedName(port) ?? port.ToString(CultureInfo.InvariantCulture);

    public static string CHex(UInt128 v) => v == 0 ? "0" : "0x" + Hex(v);

    private static string Hex(UInt128 v) => v.ToString("x", CultureInfo.InvariantCulture);

    private static string Mac(UInt128 v) => new MacAddress((ulong)v).ToString();

    /// <summary>The prefix length if <paramref name="mask"/> is a CIDR mask of <paramref name="width"/> bits, else -1.</summary>
    internal static int PrefixLength(UInt128 mask, int width)
    {
        UInt128 full = width >= 128 ? UInt128.MaxValue : (UInt128.One << width) - 1;
        UInt128 inverted = ~mask & full;
        // A CIDR mask's complement is 2^k - 1.
        if ((inverted & (inverted + 1)) != 0)
            return -1;
        return width - (int)UInt128.PopCount(inverted);
    }

    private static string FormatFlags(uint value, uint mask, uint maxMask, (string Name, uint Bit)[] names)
    {
        var sb = new StringBuilder();
        if (mask == maxMask)
        {
            if (value == 0)
                return "0";
            uint rest = value;
            foreach (var (n, bit) in names)
            {
                if ((value & bit) != 0)
                {
                    if (sb.Length > 0)
                        sb.Append('|');
                    sb.Append(n);
                    rest &= ~bit;
                }
            }
            if (rest != 0)
            {
                if (sb.Length > 0)
                    sb.Append('|');
                sb.Append(CHex(rest));
            }
            return sb.ToString();
        }
        if (mask == 0)
            return "0/0";
        uint m = mask;
        while (m != 0)
        {
            uint bit = m & (~m + 1);
            string? n = null;
            foreach (var (nn, b) in names)
            {
                if (b == bit)
                    n = nn;
            }
            if (n is null)
                return CHex(value) + "/" + CHex(mask);
            sb.Append((value & bit) != 0 ? '+' : '-').Append(n);
            m &= ~bit;
        }
        return sb.ToString();
    }

    internal static int TrailingZeroCount(UInt128 v) => (int)UInt128.TrailingZeroCount(v);

    internal static int BitLength(ulong v) => 64 - BitOperations.LeadingZeroCount(v);
}
