using System.Globalization;
using Datapath.Netfilter.Matches;
using Datapath.Packets;

namespace Datapath.Netfilter;

/// <summary>
/// Parses the rule-spec words of one <c>-A</c> line into a <see cref="Rule"/> (see <see cref="IptablesSaveParser"/>).
/// Returns the chain name of a jump/goto, resolved at COMMIT. Every error names the column of the word
/// it is about: the value that does not parse, the option nobody knows, the module or target whose
/// options do not fit together.
/// </summary>
internal sealed class RuleSpecParser
{
    private readonly RuleSet _rules;
    private readonly NetfilterTable _table;
    private readonly Rule _rule;
    private readonly List<string> _w;
    private readonly List<int> _columns;
    private int _i;
    /// <summary>The word an error is about when it is not the last one read (a module or target being built).</summary>
    private int _about = -1;
    private int _inWord = -1, _outWord = -1;
    private readonly string _file;
    private readonly int _line;
    private readonly List<ModuleParser> _modules = [];
    private TargetParser? _target;
    private int _targetWord = -1;
    private string? _jump;
    private bool _sawSource, _sawDestination, _sawProtocol, _sawIn, _sawOut, _sawFragment;

    public RuleSpecParser(RuleSet rules, NetfilterTable table, Rule rule, List<string> words, List<int> columns, int start, string file, int line)
    {
        _columns = columns;
        _rules = rules;
        _table = table;
        _rule = rule;
        _w = words;
        _i = start;
        _file = file;
        _line = line;
    }

    /// <summary>An error about the last word read (or the module or target being built).</summary>
    public InputException Error(string what, string? hint = null)
        => ErrorAt(_about >= 0 ? _about : Math.Max(0, _i - 1), what, hint);

    public InputException ErrorAt(int word, string what, string? hint = null)
        => new(_file, _line, word >= 0 && word < _columns.Count ? _columns[word] : 1, what, hint);

    /// <summary>An option or value we know iptables takes but do not implement.</summary>
    public InputException Unsupported(string what) => Error("unsupported " + what);

    public string Next(string option)
    {
        if (_i >= _w.Count || (_w[_i].StartsWith("--", StringComparison.Ordinal) && _w[_i].Length > 2))
            throw Error($"option '{option}' needs a value");
        return _w[_i++];
    }

    public bool PeekValue(out string value)
    {
        value = _i < _w.Count ? _w[_i] : string.Empty;
        return _i < _w.Count && !value.StartsWith('-') && value != "!";
    }

    public byte Protocol => _rule.Protocol;

    public bool ProtocolInverted => _rule.ProtocolInvert;

    public NetfilterTable Table => _table;

    public RuleSet Rules => _rules;

    public string File => _file;

    public int Line => _line;

    /// <summary>The index of the next word to read.</summary>
    public int WordIndex => _i;

    /// <summary>The 1-based column of word <paramref name="word"/>.</summary>
    public int Column(int word) => _columns[word];

    public string? Parse()
    {
        bool invert = false;
        while (_i < _w.Count)
        {
            string t = _w[_i++];
            if (t == "!")
            {
                if (invert)
                    throw Error("'!' given twice");
                invert = true;
                continue;
            }
            switch (t)
            {
                case "-s":
                case "--source":
                case "--src":
                    Once(ref _sawSource, t);
                    ParseAddress(Next(t), out _rule.Source, out _rule.SourceMask);
                    _rule.SourceInvert = invert;
                    break;
                case "-d":
                case "--destination":
                case "--dst":
                    Once(ref _sawDestination, t);
                    ParseAddress(Next(t), out _rule.Destination, out _rule.DestinationMask);
                    _rule.DestinationInvert = invert;
                    break;
                case "-p":
                case "--protocol":
                    Once(ref _sawProtocol, t);
                    _rule.Protocol = ParseProtocol(Next(t));
                    _rule.ProtocolInvert = invert;
                    if (invert && _rule.Protocol == 0)
                        throw Error("'! -p all' never matches");
                    break;
                case "-i":
                case "--in-interface":
                    Once(ref _sawIn, t);
                    _inWord = _i - 1;
                    _rule.InInterface = ParseInterface(Next(t), invert);
                    break;
                case "-o":
                case "--out-interface":
                    Once(ref _sawOut, t);
                    _outWord = _i - 1;
                    _rule.OutInterface = ParseInterface(Next(t), invert);
                    break;
                case "-f":
                case "--fragment":
                    Once(ref _sawFragment, t);
                    _rule.Fragment = invert ? (byte)2 : (byte)1;
                    break;
                case "-c":
                case "--set-counters":
                {
                    string p = Next(t), b = Next(t);
                    if (!long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long pk))
                        throw ErrorAt(_i - 2, $"-c packet counter '{p}' is not numeric");
                    if (!long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out long by))
                        throw Error($"-c byte counter '{b}' is not numeric");
                    _rule.SetCounters(pk, by);
                    break;
                }
                case "-m":
                case "--match":
                    if (invert)
                        throw Error("'!' cannot precede -m");
                    _modules.Add(ModuleParser.Create(Next(t), this));
                    _modules[^1].Word = _i - 1;
                    break;
                case "-j":
                case "--jump":
                case "-g":
                case "--goto":
                    if (invert)
                        throw Error($"'!' cannot precede {t}");
                    if (_target is not null || _jump is not null)
                        throw Error($"more than one target ('{t}' again)");
                    ParseTarget(Next(t), t is "-g" or "--goto");
                    _targetWord = _i - 1;
                    _rule.TargetColumn = _columns[_i - 1];
                    break;
                default:
                    if (t.StartsWith("--", StringComparison.Ordinal) && t.Length > 2)
                    {
                        DispatchOption(t, invert);
                        break;
                    }
                    throw Error($"bad argument '{Visible(t)}'", BadArgumentHint(t));
            }
            invert = false;
        }
        if (invert)
            throw Error("'!' at the end of the rule");
        var chain = _rule.Chain;
        if (chain.IsBuiltin && _rule.InInterface.IsSet && chain.Name is "OUTPUT" or "POSTROUTING")
            throw ErrorAt(_inWord, $"can't use -i with {chain.Name}");
        if (chain.IsBuiltin && _rule.OutInterface.IsSet && chain.Name is "PREROUTING" or "INPUT")
            throw ErrorAt(_outWord, $"can't use -o with {chain.Name}");
        Finish();
        return _jump;
    }

    private void Once(ref bool seen, string option)
    {
        if (seen)
            throw Error($"option '{option}' given twice");
        seen = true;
    }

    private void DispatchOption(string option, bool invert)
    {
        if (_target is not null && _target.TryOption(option, invert, this))
            return;
        for (int m = _modules.Count - 1; m >= 0; m--)
        {
            if (_modules[m].TryOption(option, invert, this))
                return;
        }
        if (_jump is not null)
            throw Error($"unknown option '{Visible(option)}' (a jump to chain '{_jump}' takes no options)");
        // iptables loads the protocol's match implicitly: "-p tcp --dport 80".
        string? implicitModule = _rule.Protocol switch
        {
            IpProtocols.Tcp => "tcp",
            IpProtocols.Udp => "udp",
            IpProtocols.Icmp => "icmp",
            _ => null,
        };
        ModuleParser? implicitParser = null;
        if (implicitModule is not null && !_modules.Exists(m => m.Name == implicitModule))
        {
            implicitParser = ModuleParser.Create(implicitModule, this);
            implicitParser.Word = _i - 1;
            if (implicitParser.TryOption(option, invert, this))
            {
                _modules.Add(implicitParser);
                return;
            }
        }
        var known = _modules.SelectMany(m => m.Options).Concat(_target?.Options ?? []).Concat(implicitParser?.Options ?? []).Concat(s_ruleOptions);
        string? near = DidYouMean.Closest(option, known);
        string? hint = near is not null ? $"did you mean '{near}'?" : BadArgumentHint(option);
        if (_target is not null)
            throw Error($"unknown option '{Visible(option)}' for target '{_target.Name}'", hint);
        if (_modules.Count > 0)
            throw Error($"unknown option '{Visible(option)}' for match '{_modules[^1].Name}'", hint);
        throw Error($"unknown option '{Visible(option)}'", hint ?? "an option of a match follows its '-m NAME'");
    }

    private static readonly string[] s_ruleOptions =
    [
        "--source", "--src", "--destination", "--dst", "--protocol", "--in-interface", "--out-interface", "--fragment",
        "--set-counters", "--match", "--jump", "--goto",
    ];

    /// <summary>A word as an error shows it: a carriage return as \r.</summary>
    public static string Visible(string word) => word.Replace("\r", "\\r", StringComparison.Ordinal);

    private static string? BadArgumentHint(string word)
        => word.Contains('\r', StringComparison.Ordinal) ? "the line ends with CR: iptables-restore reads LF line ends only (convert the file from CRLF)"
            : word.StartsWith('#') ? "a comment must start its line ('#' in column 1)"
            : null;

    private void ParseTarget(string name, bool isGoto)
    {
        if (isGoto)
        {
            _jump = name;
            _rule.Target = new RuleTarget(TargetKind.Goto, name) { TraceVerdict = "GOTO:" + name };
            return;
        }
        switch (name)
        {
            case "ACCEPT":
                _rule.Target = new RuleTarget(TargetKind.Accept, name);
                return;
            case "DROP":
                _rule.Target = new RuleTarget(TargetKind.Drop, name);
                return;
            case "RETURN":
                _rule.Target = new RuleTarget(TargetKind.Return, name);
                return;
        }
        if (TargetParser.TryCreate(name, this, out var parser))
        {
            _target = parser;
            return;
        }
        if (IptablesSaveParser.IsKnownUnsupportedTarget(name))
            throw Unsupported($"target '{name}' (ACCEPT, DROP, RETURN, REJECT, MARK, DNAT, SNAT, MASQUERADE, TRACE, LOG and jumps to chains are implemented)");
        if (name.Length == 0)
            throw Error("empty target name");
        if (name.Length > 28)
            throw Error($"target name '{name}' is too long (chain and target names are at most 28 characters)");
        _jump = name;
        _rule.Target = new RuleTarget(TargetKind.Jump, name) { TraceVerdict = "JUMP:" + name };
    }

    private void Finish()
    {
        var matches = new List<XtMatch>(_modules.Count);
        var listed = new XtMatch[_modules.Count];
        for (int k = 0; k < _modules.Count; k++)
        {
            var m = _modules[k];
            _about = m.Word;
            var built = m.Build(this);
            listed[k] = built;
            if (built is CommentMatch c)
            {
                _rule.Comment = _rule.Comment is null ? c.Text : _rule.Comment + " " + c.Text;
                continue;
            }
            if (built is TcpUdpMatch tu && !_rule.HasIndexedDestinationPort && !tu.DestinationInvert && tu.DestinationPorts.IsSingle
                && !_rule.ProtocolInvert)
            {
                _rule.HasIndexedDestinationPort = true;
                _rule.IndexedDestinationPort = tu.DestinationPorts.Min;
            }
            matches.Add(built);
        }
        _rule.Matches = [.. matches];
        _rule.ListedMatches = listed;
        _about = _targetWord;
        if (_target is not null)
            _rule.Target = _target.Build(this);
        _about = -1;
    }

    public void ParseAddress(string text, out uint address, out uint mask)
    {
        if (text.Contains(',', StringComparison.Ordinal))
            throw Unsupported($"address list '{text}' (iptables expands it to one rule per address; write those rules)");
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string a = slash >= 0 ? text[..slash] : text;
        if (!Ipv4Address.TryParse(a, out var ip))
        {
            throw a.Contains(':', StringComparison.Ordinal)
                ? Error($"'{a}' is not an IPv4 address (an IPv6 address in an IPv4 iptables file)", "IPv6 rules belong in an ip6tables-save file")
                : Error($"host/network '{Visible(a)}' not found: not an IPv4 address");
        }
        mask = uint.MaxValue;
        if (slash >= 0)
        {
            string m = text[(slash + 1)..];
            if (int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out int len) && len <= 32)
                mask = Ipv4Address.PrefixMask(len);
            else if (Ipv4Address.TryParse(m, out var dotted))
                mask = dotted.Value;
            else
                throw Error($"'{m}' is not a prefix length or netmask");
        }
        address = ip.Value & mask;
    }

    private byte ParseProtocol(string text)
    {
        string p = text.ToLowerInvariant();
        if (byte.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out byte n))
            return n;
        return p switch
        {
            "all" => 0,
            "tcp" => IpProtocols.Tcp,
            "udp" => IpProtocols.Udp,
            "icmp" => IpProtocols.Icmp,
            "udplite" => 136,
            "sctp" => IpProtocols.Sctp,
            "dccp" => 33,
            "esp" => IpProtocols.Esp,
            "ah" => IpProtocols.Ah,
            "gre" => IpProtocols.Gre,
            "igmp" => 2,
            "ipv6-icmp" or "icmpv6" => IpProtocols.Icmpv6,
            _ => throw Error($"unknown protocol '{Visible(text)}'",
                DidYouMean.Closest(p, ["all", "tcp", "udp", "icmp", "udplite", "sctp", "dccp", "esp", "ah", "gre", "igmp", "icmpv6"]) is { } near
                    ? $"did you mean '{near}'?" : "a protocol is a name (tcp, udp, icmp, ...) or a number 0-255"),
        };
    }

    private InterfaceSpec ParseInterface(string text, bool invert)
    {
        if (text.Length == 0)
            throw Error("empty interface name (iptables refuses it: an empty interface is likely to be undesired)", "omit -i/-o to match every interface");
        if (text.Length > 15)
            throw Error($"interface name '{text}' is longer than 15 characters (IFNAMSIZ)");
        bool wildcard = text.EndsWith('+');
        return new InterfaceSpec(wildcard ? text[..^1] : text, wildcard, invert);
    }

    public uint ParseUInt32(string text, string what)
    {
        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint v)
            : uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        if (!ok)
            throw Error($"'{text}' is not a valid {what}");
        return v;
    }

    /// <summary><c>value[/mask]</c> as xt_mark and MARK take it; the mask defaults to 0xffffffff.</summary>
    public void ParseValueMask(string text, string what, out uint value, out uint mask, out bool hasMask)
    {
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        hasMask = slash >= 0;
        value = ParseUInt32(hasMask ? text[..slash] : text, what);
        mask = hasMask ? ParseUInt32(text[(slash + 1)..], what + " mask") : uint.MaxValue;
    }

    public ushort ParsePort(string text)
    {
        if (!ServicePorts.TryParse(text, out ushort port))
            throw Error($"invalid port/service '{Visible(text)}' specified", "a port is a number 0-65535 or a service name (http, https, domain, ...)");
        return port;
    }

    /// <summary><c>p</c>, <c>a:b</c>, <c>:b</c>, <c>a:</c>.</summary>
    public PortRange ParsePortRange(string text, char separator = ':')
    {
        int colon = text.IndexOf(separator, StringComparison.Ordinal);
        if (colon < 0)
        {
            ushort p = ParsePort(text);
            return new PortRange(p, p);
        }
        ushort lo = colon == 0 ? (ushort)0 : ParsePort(text[..colon]);
        ushort hi = colon == text.Length - 1 ? (ushort)65535 : ParsePort(text[(colon + 1)..]);
        if (hi < lo)
            throw Error($"port range '{text}' is backwards");
        return new PortRange(lo, hi);
    }
}
