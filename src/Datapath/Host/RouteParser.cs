using System.Globalization;
using Datapath.Packets;

namespace Datapath.Engine.Host;

/// <summary>
/// Parses route lines as <c>ip route</c> (iproute2) prints them, which <c>ip route add</c> also takes:
/// <c>[unicast|blackhole|unreachable|prohibit] PREFIX|default [via GW] [dev DEV] [proto P] [scope S]
/// [src ADDR] [metric N] [onlink] [linkdown]</c>. Unknown keywords are errors (with the column), never ignored.
/// </summary>
public static class RouteParser
{
    /// <exception cref="InputException">The line is not a route (file, line and column given).</exception>
    public static RouteEntry Parse(string text, string file = "<input>", int line = 1)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = Tokenize(text);
        if (words.Count == 0)
            throw new InputException(file, line, 1, "empty route");
        int i = 0;
        var type = RouteType.Unicast;
        switch (words[0].Text)
        {
            case "unicast":
                i++;
                break;
            case "blackhole":
                type = RouteType.Blackhole;
                i++;
                break;
            case "unreachable":
                type = RouteType.Unreachable;
                i++;
                break;
            case "prohibit":
                type = RouteType.Prohibit;
                i++;
                break;
        }
        if (i >= words.Count)
            throw new InputException(file, line, text.Length + 1, "missing destination prefix");
        var (destText, destCol) = words[i++];
        uint dest;
        int prefix;
        if (destText == "default")
        {
            dest = 0;
            prefix = 0;
        }
        else if (!TryParsePrefix(destText, out dest, out prefix, out string? why))
        {
            throw new InputException(file, line, destCol, why!);
        }

        string? dev = null, proto = null, scope = null;
        uint via = 0, src = 0;
        int metric = 0;
        bool onlink = false, linkdown = false;
        while (i < words.Count)
        {
            var (word, col) = words[i++];
            switch (word)
            {
                case "via":
                    via = Address(words, ref i, file, line, col, "via");
                    break;
                case "src":
                    src = Address(words, ref i, file, line, col, "src");
                    break;
                case "dev":
                    dev = Value(words, ref i, file, line, col, "dev");
                    break;
                case "proto":
                    proto = Value(words, ref i, file, line, col, "proto");
                    break;
                case "scope":
                    scope = Value(words, ref i, file, line, col, "scope");
                    break;
                case "metric":
                case "preference":
                {
                    string m = Value(words, ref i, file, line, col, word);
                    if (!int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out metric))
                        throw new InputException(file, line, words[i - 1].Column, $"metric '{m}' is not a number");
                    break;
                }
                case "onlink":
                    onlink = true;
                    break;
                case "linkdown":
                    linkdown = true;
                    break;
                case "dead":
                case "pervasive":
                case "offload":
                case "trap":
                    break; // nexthop flags the kernel prints; no effect here
                default:
                    throw new InputException(file, line, col, $"unsupported route keyword '{word}'");
            }
        }
        if (type == RouteType.Unicast && dev is null)
            throw new InputException(file, line, text.Length + 1, "route needs 'dev DEVICE'",
                "the host resolves no device from the gateway: name it, as 'ip route' prints it ('... via GW dev DEV')");
        return new RouteEntry(dest, prefix, dev, via, type)
        {
            OnLink = onlink,
            Protocol = proto,
            Scope = scope,
            PreferredSource = src,
            Metric = metric,
            LinkDown = linkdown,
        };
    }

    /// <summary>The 1-based column of the device name after <c>dev</c> in a route line (1 when there is none).</summary>
    public static int DeviceColumn(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = Tokenize(text);
        for (int i = 0; i + 1 < words.Count; i++)
        {
            if (words[i].Text == "dev")
                return words[i + 1].Column;
        }
        return 1;
    }

    /// <summary><c>10.222.1.0/24</c> or a bare address (/32). The address must have no bits after the prefix, as the kernel demands.</summary>
    public static bool TryParsePrefix(string text, out uint address, out int prefixLength, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        address = 0;
        prefixLength = 32;
        error = null;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string a = slash < 0 ? text : text[..slash];
        if (!Ipv4Address.TryParse(a, out var ip))
        {
            error = $"'{a}' is not an IPv4 address";
            return false;
        }
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefixLength) || prefixLength > 32))
        {
            error = $"'{text[(slash + 1)..]}' is not a prefix length (0..32)";
            return false;
        }
        uint mask = prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);
        if ((ip.Value & ~mask) != 0)
        {
            error = $"invalid prefix for the mask: {text} has bits after /{prefixLength}";
            return false;
        }
        address = ip.Value;
        return true;
    }

    private static uint Address(List<(string Text, int Column)> words, ref int i, string file, int line, int col, string keyword)
    {
        string v = Value(words, ref i, file, line, col, keyword);
        if (!Ipv4Address.TryParse(v, out var ip))
            throw new InputException(file, line, words[i - 1].Column, $"{keyword} '{v}' is not an IPv4 address");
        return ip.Value;
    }

    private static string Value(List<(string Text, int Column)> words, ref int i, string file, int line, int col, string keyword)
    {
        if (i >= words.Count)
            throw new InputException(file, line, col, $"'{keyword}' needs a value");
        return words[i++].Text;
    }

    private static List<(string Text, int Column)> Tokenize(string text)
    {
        var list = new List<(string, int)>();
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
                i++;
            int start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]))
                i++;
            if (i > start)
                list.Add((text[start..i], start + 1));
        }
        return list;
    }
}
