using System.Globalization;
using Datapath.Packets;

namespace Datapath.Netfilter.IpSets;

/// <summary>
/// Reads <c>ipset save</c> output as <c>ipset restore</c> does: <c>create NAME TYPE [family inet] [hashsize N]
/// [maxelem N] [netmask N] [bucketsize N] [initval N] [counters] [comment] [forceadd]</c> and <c>add NAME
/// ELEMENT [nomatch] [comment "..."] [packets N bytes N]</c> for hash:ip, hash:net and hash:ip,port.
///
/// <para>Lines as ipset reads them: leading blanks skipped, then an empty line or one starting with
/// <c>#</c> is skipped, <c>COMMIT</c> is ignored, and words split on space, tab, CR and LF (so CRLF files
/// load, as they do in ipset; a UTF-8 byte-order mark before <c>create</c> is refused, as ipset refuses
/// it). What ipset refuses we refuse, at FILE:LINE:COL of the offending word: an address that is not
/// IPv4, an element already in the set, a comment in a set created without <c>comment</c>, a full set.
/// Options we cannot honour (timeouts, IPv6, skbinfo) and commands other than create and add are
/// refused as unsupported rather than ignored.</para>
/// </summary>
public static class IpsetSaveParser
{
    private const int MaxExpansion = 1 << 20;

    private static readonly string[] s_createOptions = ["family", "hashsize", "bucketsize", "initval", "maxelem", "netmask", "counters", "comment", "forceadd", "timeout", "skbinfo"];
    private static readonly string[] s_addOptions = ["nomatch", "comment", "packets", "bytes", "timeout", "skbmark", "skbprio", "skbqueue"];
    private static readonly string[] s_types = ["hash:ip", "hash:net", "hash:ip,port"];

    /// <summary>The set types ipset has that we do not implement.</summary>
    private static readonly HashSet<string> s_otherTypes =
    [
        "bitmap:ip", "bitmap:ip,mac", "bitmap:port", "hash:mac", "hash:ip,mac", "hash:net,net", "hash:net,port", "hash:ip,port,ip",
        "hash:ip,port,net", "hash:ip,mark", "hash:net,port,net", "hash:net,iface", "list:set",
    ];

    /// <summary>Reads the file byte for byte (a byte-order mark is kept, so it is refused as ipset refuses it).</summary>
    public static IpSetCollection ParseFile(string path, IpSetCollection? into = null)
    {
        using var reader = new StreamReader(path, new System.Text.UTF8Encoding(false), detectEncodingFromByteOrderMarks: false);
        return Parse(reader, path, into);
    }

    public static IpSetCollection ParseText(string text, string file = "<input>", IpSetCollection? into = null)
        => Parse(new StringReader(text), file, into);

    /// <exception cref="InputException">A line ipset restore would refuse, or one using what we do not implement.</exception>
    public static IpSetCollection Parse(TextReader reader, string file = "<input>", IpSetCollection? into = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var sets = into ?? new IpSetCollection();
        var words = new List<string>();
        var columns = new List<int>();
        int lineNumber = 0;
        foreach (string line in RuleTokenizer.Lines(reader))
        {
            lineNumber++;
            int first = 0;
            while (first < line.Length && line[first] is ' ' or '\t' or '\r' or '\v' or '\f')
                first++;
            if (first == line.Length || line[first] == '#')
                continue;
            if (line[first] == '\uFEFF')
                throw new InputException(file, lineNumber, first + 1, "the line starts with a UTF-8 byte-order mark, which ipset refuses (no command specified)",
                    "save the file without a BOM (UTF-8 without signature)");
            int open = RuleTokenizer.TokenizeIpset(line, words, columns);
            if (open > 0)
                throw new InputException(file, lineNumber, open, "missing close quote");
            if (words.Count == 1 && words[0] == "COMMIT")
                continue;
            var l = new Line(file, lineNumber, words, columns);
            string command = words[0];
            if (command is "-N" or "n" || IsPrefixOf(command, "create"))
                Create(sets, l);
            else if (command == "-A" || IsPrefixOf(command, "add"))
                Add(sets, l);
            else if (command is "del" or "-D" or "test" or "-T" or "destroy" or "x" or "-X" or "flush" or "-F" or "rename" or "e" or "-E" or "swap" or "w" or "-W")
                throw l.Error(0, $"unsupported ipset command '{command}' (ipset save files hold create and add)");
            else
                throw l.Error(0, $"unknown ipset command '{command}'", DidYouMean.Closest(command, ["create", "add"]) is { } near ? $"did you mean '{near}'?" : "the commands are create and add");
        }
        return sets;
    }

    /// <summary>ipset takes any prefix of a command's name (<c>cre</c> is create).</summary>
    private static bool IsPrefixOf(string word, string command) => word.Length > 0 && command.StartsWith(word, StringComparison.Ordinal);

    /// <summary>The words of one line with their columns, and the errors about them.</summary>
    private sealed class Line(string file, int number, List<string> words, List<int> columns)
    {
        public List<string> Words => words;

        public int Count => words.Count;

        public string this[int i] => words[i];

        public InputException Error(int word, string what, string? hint = null)
            => new(file, number, word < columns.Count ? columns[word] : 0, what, hint);

        /// <summary>An error after the last word (a missing argument).</summary>
        public InputException AtEnd(string what, string? hint = null)
            => new(file, number, columns.Count == 0 ? 0 : columns[^1] + words[^1].Length, what, hint);

        public string Value(ref int i)
        {
            if (i + 1 >= words.Count)
                throw Error(i, $"missing mandatory argument of option '{words[i]}'");
            return words[++i];
        }

        public uint UInt(int i, string what)
        {
            string text = words[i];
            if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? uint.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint v)
                : uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out v))
                return v;
            throw Error(i, $"'{text}' is invalid as number ({what})");
        }
    }

    private static void Create(IpSetCollection sets, Line w)
    {
        if (w.Count < 2)
            throw w.AtEnd("missing mandatory argument to command create (the set name)");
        if (w.Count < 3)
            throw w.AtEnd($"missing mandatory argument to command create (the type of set '{w[1]}')", "e.g. 'create NAME hash:ip family inet'");
        string name = w[1];
        if (name.Length > 31)
            throw w.Error(1, $"setname '{name}' is longer than 31 characters");
        IpSetType type = w[2] switch
        {
            "hash:ip" => IpSetType.HashIp,
            "hash:net" => IpSetType.HashNet,
            "hash:ip,port" => IpSetType.HashIpPort,
            _ when s_otherTypes.Contains(w[2]) => throw w.Error(2, $"unsupported set type '{w[2]}' (hash:ip, hash:net and hash:ip,port are implemented)"),
            _ => throw w.Error(2, $"typename '{w[2]}' is unknown",
                DidYouMean.Closest(w[2], s_types.Concat(s_otherTypes)) is { } near ? $"did you mean '{near}'?" : "the implemented types are hash:ip, hash:net and hash:ip,port"),
        };
        uint netmask = uint.MaxValue;
        int maxelem = 65536;
        bool comments = false, counters = false;
        for (int i = 3; i < w.Count; i++)
        {
            switch (w[i])
            {
                case "family":
                {
                    string fam = w.Value(ref i);
                    if (fam is "inet6" or "ipv6")
                        throw w.Error(i, $"unsupported family '{fam}' (IPv4 sets, family inet, are implemented)");
                    if (fam is not ("inet" or "ipv4"))
                        throw w.Error(i, $"unknown family '{fam}'", "family is inet or inet6");
                    break;
                }
                case "hashsize":
                case "bucketsize":
                case "initval":
                    w.Value(ref i);
                    w.UInt(i, w[i - 1]);
                    break;
                case "maxelem":
                    w.Value(ref i);
                    maxelem = (int)Math.Min(int.MaxValue, w.UInt(i, "maxelem"));
                    break;
                case "netmask":
                {
                    if (type != IpSetType.HashIp)
                        throw w.Error(i, $"unknown argument 'netmask' ({w[2]} takes no netmask; hash:ip does)");
                    w.Value(ref i);
                    uint bits = w.UInt(i, "netmask");
                    if (bits is 0 or > 32)
                        throw w.Error(i, $"netmask {bits} is out of the inclusive range of 1-32");
                    netmask = Ipv4Address.PrefixMask((int)bits);
                    break;
                }
                case "counters":
                    counters = true;
                    break;
                case "comment":
                    comments = true;
                    break;
                case "forceadd":
                    break;
                case "timeout":
                case "skbinfo":
                    throw w.Error(i, $"unsupported set option '{w[i]}'");
                default:
                    throw w.Error(i, $"unknown argument '{w[i]}'", DidYouMean.Closest(w[i], s_createOptions) is { } near ? $"did you mean '{near}'?" : null);
            }
        }
        if (!sets.TryAdd(new IpSet(name, type, netmask, maxelem) { HasComments = comments, HasCounters = counters }))
            throw w.Error(1, $"set '{name}' cannot be created: set with the same name already exists");
    }

    private static void Add(IpSetCollection sets, Line w)
    {
        if (w.Count < 2)
            throw w.AtEnd("missing mandatory argument to command add (the set name)");
        if (w.Count < 3)
            throw w.AtEnd($"missing second mandatory argument to command add (the element of set '{w[1]}')");
        if (!sets.TryGet(w[1], out var set))
            throw w.Error(1, $"the set with the given name '{w[1]}' does not exist", "create it before adding to it");
        bool nomatch = false;
        for (int i = 3; i < w.Count; i++)
        {
            switch (w[i])
            {
                case "nomatch":
                    if (set!.Type != IpSetType.HashNet)
                        throw w.Error(i, $"unknown argument 'nomatch' ({set.TypeName} elements take no nomatch; hash:net's do)");
                    nomatch = true;
                    break;
                case "comment":
                    w.Value(ref i);
                    if (!set!.HasComments)
                        throw w.Error(i - 1, "comment cannot be used: set was created without comment support", $"create {set.Name} with the 'comment' option");
                    break;
                case "packets":
                case "bytes":
                    w.Value(ref i);
                    w.UInt(i, w[i - 1]);
                    if (!set!.HasCounters)
                        throw w.Error(i - 1, "packet/byte counters cannot be used: set was created without counter support", $"create {set.Name} with the 'counters' option");
                    break;
                case "timeout":
                case "skbmark":
                case "skbprio":
                case "skbqueue":
                    throw w.Error(i, $"unsupported element option '{w[i]}'");
                default:
                    throw w.Error(i, $"unknown argument '{w[i]}'", DidYouMean.Closest(w[i], s_addOptions) is { } near ? $"did you mean '{near}'?" : null);
            }
        }
        string element = w[2];
        bool fresh = true;
        switch (set!.Type)
        {
            case IpSetType.HashIp:
            {
                ParseAddressSpec(element, w, out uint first, out uint last, out _);
                if ((ulong)last - first + 1 > MaxExpansion)
                    throw w.Error(2, $"'{element}' expands to too many addresses");
                for (ulong a = first; a <= last; a++)
                    fresh &= set.AddAddress((uint)a);
                break;
            }
            case IpSetType.HashNet:
            {
                ParseAddressSpec(element, w, out uint first, out uint last, out int prefix);
                if (prefix >= 0)
                {
                    if (prefix == 0)
                        throw w.Error(2, $"the value of the CIDR parameter of '{element}' is invalid (hash:net takes /1 to /32)");
                    fresh &= set.AddNet(first, prefix, nomatch);
                }
                else
                {
                    foreach (var (a, p) in RangeToPrefixes(first, last))
                        fresh &= set.AddNet(a, p, nomatch);
                }
                break;
            }
            default:
            {
                int comma = element.IndexOf(',', StringComparison.Ordinal);
                if (comma < 0)
                    throw w.Error(2, $"second element is missing from '{element}' (hash:ip,port takes IP,PORT)");
                ParseAddressSpec(element[..comma], w, out uint first, out uint last, out _);
                ParsePortSpec(element[(comma + 1)..], w, out byte proto, out ushort pmin, out ushort pmax);
                if (((ulong)last - first + 1) * ((ulong)pmax - pmin + 1) > MaxExpansion)
                    throw w.Error(2, $"'{element}' expands to too many elements");
                for (ulong a = first; a <= last; a++)
                {
                    for (uint p = pmin; p <= pmax; p++)
                        fresh &= set.AddAddressPort((uint)a, proto, (ushort)p);
                }
                break;
            }
        }
        if (!fresh)
            throw w.Error(2, $"element '{element}' cannot be added to set '{set.Name}': it's already added");
        if (set.Count > set.MaxElements)
            throw w.Error(2, $"set '{set.Name}' is full (maxelem {set.MaxElements}), cannot add '{element}'");
    }

    /// <summary>ADDR, ADDR/LEN (prefix set, range = the prefix) or ADDR-ADDR (prefix = -1; a backwards range is turned round, as ipset does).</summary>
    private static void ParseAddressSpec(string text, Line w, out uint first, out uint last, out int prefix)
    {
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (dash >= 0)
        {
            var a = Address(text[..dash], w);
            var b = Address(text[(dash + 1)..], w);
            first = Math.Min(a, b);
            last = Math.Max(a, b);
            prefix = -1;
            return;
        }
        uint ip = Address(slash >= 0 ? text[..slash] : text, w);
        prefix = 32;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > 32))
            throw w.Error(2, $"'{text[(slash + 1)..]}' is out of range 0-32 (the prefix length of '{text}')");
        uint mask = Ipv4Address.PrefixMask(prefix);
        first = ip & mask;
        last = first | ~mask;
    }

    private static uint Address(string text, Line w)
    {
        if (Ipv4Address.TryParse(text, out var ip))
            return ip.Value;
        throw text.Contains(':', StringComparison.Ordinal)
            ? w.Error(2, $"cannot parse '{text}': resolving to IPv4 address failed (an IPv6 address in a family inet set)", "IPv6 elements belong in a set created with 'family inet6'")
            : w.Error(2, $"cannot parse '{text}': resolving to IPv4 address failed");
    }

    private static void ParsePortSpec(string text, Line w, out byte proto, out ushort min, out ushort max)
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
                _ => throw w.Error(2, $"unsupported protocol '{p}' in '{text}' (tcp, udp, sctp, udplite and icmp are implemented)"),
            };
            text = text[(colon + 1)..];
        }
        if (proto == IpProtocols.Icmp)
        {
            int slash = text.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !byte.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out byte type)
                || !byte.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out byte code))
                throw w.Error(2, $"'{text}' is not an ICMP type/code");
            min = max = (ushort)((type << 8) | code);
            return;
        }
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        ushort a = Port(dash >= 0 ? text[..dash] : text, w);
        ushort b = dash >= 0 ? Port(text[(dash + 1)..], w) : a;
        min = Math.Min(a, b);
        max = Math.Max(a, b);
    }

    private static ushort Port(string text, Line w)
        => ServicePorts.TryParse(text, out ushort port) ? port
            : throw w.Error(2, $"cannot parse '{text}' as a port (a number 0-65535 or a service name)");

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
