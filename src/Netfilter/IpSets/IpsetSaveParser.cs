using System.Globalization;
using Datapath.Packets;

namespace Datapath.Netfilter.IpSets;

/// <summary>
/// Reads <c>ipset save</c> output: <c>create NAME TYPE [family inet] [hashsize N] [maxelem N] [netmask N]
/// [bucketsize N] [initval N] [counters] [comment] [forceadd]</c> and <c>add NAME ELEMENT [nomatch]
/// [comment "..."] [packets N bytes N]</c> for hash:ip, hash:net and hash:ip,port. Anything else is an
/// error naming FILE:LINE; option values we cannot honour (timeouts, IPv6, skbinfo) are reported as
/// unsupported rather than ignored.
/// </summary>
public static class IpsetSaveParser
{
    private const int MaxExpansion = 1 << 20;

    public static IpSetCollection ParseFile(string path, IpSetCollection? into = null)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, path, into);
    }

    public static IpSetCollection ParseText(string text, string file = "<input>", IpSetCollection? into = null)
        => Parse(new StringReader(text), file, into);

    public static IpSetCollection Parse(TextReader reader, string file = "<input>", IpSetCollection? into = null)
    {
        var sets = into ?? new IpSetCollection();
        var words = new List<string>();
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#')
                continue;
            if (!RuleTokenizer.TryTokenize(trimmed, words, out var tokError))
                throw NetfilterSyntaxException.At(file, lineNumber, tokError!);
            switch (words[0])
            {
                case "create":
                case "-N":
                    Create(sets, words, file, lineNumber);
                    break;
                case "add":
                case "-A":
                    Add(sets, words, file, lineNumber);
                    break;
                default:
                    throw NetfilterSyntaxException.At(file, lineNumber, $"unknown ipset command '{words[0]}' (expected create or add)");
            }
        }
        return sets;
    }

    private static void Create(IpSetCollection sets, List<string> w, string file, int line)
    {
        if (w.Count < 3)
            throw NetfilterSyntaxException.At(file, line, "create needs a set name and a type");
        string name = w[1];
        if (name.Length > 31)
            throw NetfilterSyntaxException.At(file, line, $"set name '{name}' is longer than 31 characters");
        IpSetType type = w[2] switch
        {
            "hash:ip" => IpSetType.HashIp,
            "hash:net" => IpSetType.HashNet,
            "hash:ip,port" => IpSetType.HashIpPort,
            _ => throw NetfilterSyntaxException.At(file, line, $"unsupported set type '{w[2]}' (hash:ip, hash:net and hash:ip,port are implemented)"),
        };
        uint netmask = uint.MaxValue;
        int maxelem = 65536;
        for (int i = 3; i < w.Count; i++)
        {
            switch (w[i])
            {
                case "family":
                    string fam = Value(w, ref i, file, line);
                    if (fam != "inet")
                        throw NetfilterSyntaxException.At(file, line, $"unsupported family '{fam}' (only inet)");
                    break;
                case "hashsize":
                case "bucketsize":
                case "initval":
                    ParseUInt(Value(w, ref i, file, line), file, line, w[i - 1]);
                    break;
                case "maxelem":
                    maxelem = (int)Math.Min(int.MaxValue, ParseUInt(Value(w, ref i, file, line), file, line, "maxelem"));
                    break;
                case "netmask":
                    if (type != IpSetType.HashIp)
                        throw NetfilterSyntaxException.At(file, line, "netmask is only valid for hash:ip");
                    uint bits = ParseUInt(Value(w, ref i, file, line), file, line, "netmask");
                    if (bits is 0 or > 32)
                        throw NetfilterSyntaxException.At(file, line, $"netmask {bits} is out of range 1-32");
                    netmask = Ipv4Address.PrefixMask((int)bits);
                    break;
                case "counters":
                case "comment":
                case "forceadd":
                    break;
                case "timeout":
                case "skbinfo":
                    throw NetfilterSyntaxException.At(file, line, $"unsupported set option '{w[i]}'");
                default:
                    throw NetfilterSyntaxException.At(file, line, $"unknown set option '{w[i]}'");
            }
        }
        if (!sets.TryAdd(new IpSet(name, type, netmask, maxelem)))
            throw NetfilterSyntaxException.At(file, line, $"set '{name}' already exists");
    }

    private static string Value(List<string> w, ref int i, string file, int line)
    {
        if (i + 1 >= w.Count)
            throw NetfilterSyntaxException.At(file, line, $"option '{w[i]}' needs a value");
        return w[++i];
    }

    private static uint ParseUInt(string text, string file, int line, string what)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint v)
            : uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out v))
            return v;
        throw NetfilterSyntaxException.At(file, line, $"'{text}' is not a valid {what}");
    }

    private static void Add(IpSetCollection sets, List<string> w, string file, int line)
    {
        if (w.Count < 3)
            throw NetfilterSyntaxException.At(file, line, "add needs a set name and an element");
        if (!sets.TryGet(w[1], out var set))
            throw NetfilterSyntaxException.At(file, line, $"set '{w[1]}' does not exist");
        bool nomatch = false;
        for (int i = 3; i < w.Count; i++)
        {
            switch (w[i])
            {
                case "nomatch":
                    if (set!.Type != IpSetType.HashNet)
                        throw NetfilterSyntaxException.At(file, line, "nomatch is only valid for hash:net");
                    nomatch = true;
                    break;
                case "comment":
                    Value(w, ref i, file, line);
                    break;
                case "packets":
                case "bytes":
                    ParseUInt(Value(w, ref i, file, line), file, line, w[i - 1]);
                    break;
                case "timeout":
                case "skbmark":
                case "skbprio":
                case "skbqueue":
                    throw NetfilterSyntaxException.At(file, line, $"unsupported element option '{w[i]}'");
                default:
                    throw NetfilterSyntaxException.At(file, line, $"unknown element option '{w[i]}'");
            }
        }
        string element = w[2];
        switch (set!.Type)
        {
            case IpSetType.HashIp:
            {
                ParseAddressSpec(element, file, line, out uint first, out uint last, out _);
                if ((ulong)last - first + 1 > MaxExpansion)
                    throw NetfilterSyntaxException.At(file, line, $"'{element}' expands to too many addresses");
                for (ulong a = first; a <= last; a++)
                    set.AddAddress((uint)a);
                break;
            }
            case IpSetType.HashNet:
            {
                ParseAddressSpec(element, file, line, out uint first, out uint last, out int prefix);
                if (prefix >= 0)
                {
                    if (prefix == 0)
                        throw NetfilterSyntaxException.At(file, line, "hash:net does not take a /0 prefix");
                    set.AddNet(first, prefix, nomatch);
                }
                else
                {
                    foreach (var (a, p) in RangeToPrefixes(first, last))
                        set.AddNet(a, p, nomatch);
                }
                break;
            }
            default:
            {
                int comma = element.IndexOf(',', StringComparison.Ordinal);
                if (comma < 0)
                    throw NetfilterSyntaxException.At(file, line, $"'{element}' is not an ip,port element");
                ParseAddressSpec(element[..comma], file, line, out uint first, out uint last, out _);
                ParsePortSpec(element[(comma + 1)..], file, line, out byte proto, out ushort pmin, out ushort pmax);
                if (((ulong)last - first + 1) * ((ulong)pmax - pmin + 1) > MaxExpansion)
                    throw NetfilterSyntaxException.At(file, line, $"'{element}' expands to too many elements");
                for (ulong a = first; a <= last; a++)
                {
                    for (uint p = pmin; p <= pmax; p++)
                        set.AddAddressPort((uint)a, proto, (ushort)p);
                }
                break;
            }
        }
        if (set.Count > set.MaxElements)
            throw NetfilterSyntaxException.At(file, line, $"set '{set.Name}' is full (maxelem {set.MaxElements})");
    }

    /// <summary>ADDR, ADDR/LEN (prefix set, range = the prefix) or ADDR-ADDR (prefix = -1).</summary>
    private static void ParseAddressSpec(string text, string file, int line, out uint first, out uint last, out int prefix)
    {
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (dash >= 0)
        {
            if (!Ipv4Address.TryParse(text.AsSpan(0, dash), out var a) || !Ipv4Address.TryParse(text.AsSpan(dash + 1), out var b) || b.Value < a.Value)
                throw NetfilterSyntaxException.At(file, line, $"'{text}' is not an IPv4 address range");
            first = a.Value;
            last = b.Value;
            prefix = -1;
            return;
        }
        string addr = slash >= 0 ? text[..slash] : text;
        if (!Ipv4Address.TryParse(addr, out var ip))
            throw NetfilterSyntaxException.At(file, line, $"'{addr}' is not an IPv4 address");
        prefix = 32;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > 32))
            throw NetfilterSyntaxException.At(file, line, $"'{text}' has an invalid prefix length");
        uint mask = Ipv4Address.PrefixMask(prefix);
        first = ip.Value & mask;
        last = first | ~mask;
    }

    private static void ParsePortSpec(string text, string file, int line, out byte proto, out ushort min, out ushort max)
    {
        proto = IpProtocols.Tcp;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            string p = text[..colon];
            proto = p switch
            {
                "tcp" => IpProtocols.Tcp,
                "udp" => IpProtocols.Udp,
                "sctp" => IpProtocols.Sctp,
                "udplite" => 136,
                "icmp" => IpProtocols.Icmp,
                _ => throw NetfilterSyntaxException.At(file, line, $"unsupported protocol '{p}' in '{text}'"),
            };
            text = text[(colon + 1)..];
        }
        if (proto == IpProtocols.Icmp)
        {
            int slash = text.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !byte.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out byte type)
                || !byte.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out byte code))
                throw NetfilterSyntaxException.At(file, line, $"'{text}' is not an ICMP type/code");
            min = max = (ushort)((type << 8) | code);
            return;
        }
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        string lo = dash >= 0 ? text[..dash] : text;
        string hi = dash >= 0 ? text[(dash + 1)..] : text;
        if (!ushort.TryParse(lo, NumberStyles.None, CultureInfo.InvariantCulture, out min) || !ushort.TryParse(hi, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max < min)
            throw NetfilterSyntaxException.At(file, line, $"'{text}' is not a port or port range");
    }

    /// <summary>The smallest list of prefixes covering [first, last] (how ipset stores a hash:net range).</summary>
    internal static IEnumerable<(uint Address, int Prefix)> RangeToPrefixes(uint first, uint last)
    {
        ulong a = first;
        while (a <= last)
        {
            int size = 32;
            while (size > 0)
            {
                ulong block = 1UL << (33 - size);
                if ((a & (block - 1)) != 0 || a + block - 1 > last)
                    break;
                size--;
            }
            yield return ((uint)a, size);
            a += 1UL << (32 - size);
        }
    }
}
