using System.Globalization;
using Datapath.Netfilter.Matches;
using Datapath.Packets;

namespace Datapath.Netfilter;

/// <summary>
/// Parses the rule-spec words of one <c>-A</c> line into a <see cref="Rule"/> (see <see cref="IptablesSaveParser"/>).
/// Returns the chain name of a jump/goto, resolved at COMMIT.
/// </summary>
internal sealed class RuleSpecParser
{
    private readonly RuleSet _rules;
    private readonly NetfilterTable _table;
    private readonly Rule _rule;
    private readonly List<string> _w;
    private int _i;
    private readonly string _file;
    private readonly int _line;
    private readonly List<ModuleParser> _modules = [];
    private TargetParser? _target;
    private string? _jump;
    private bool _sawSource, _sawDestination, _sawProtocol, _sawIn, _sawOut, _sawFragment;

    public RuleSpecParser(RuleSet rules, NetfilterTable table, Rule rule, List<string> words, int start, string file, int line)
    {
        _rules = rules;
        _table = table;
        _rule = rule;
        _w = words;
        _i = start;
        _file = file;
        _line = line;
    }

    public Exception Error(string what) => NetfilterSyntaxException.At(_file, _line, what);

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
                    _rule.InInterface = ParseInterface(Next(t), invert);
                    break;
                case "-o":
                case "--out-interface":
                    Once(ref _sawOut, t);
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
                    if (!long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long pk) || !long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out long by))
                        throw Error($"'-c {p} {b}' is not a counter pair");
                    _rule.SetCounters(pk, by);
                    break;
                }
                case "-m":
                case "--match":
                    if (invert)
                        throw Error("'!' cannot precede -m");
                    _modules.Add(ModuleParser.Create(Next(t), this));
                    break;
                case "-j":
                case "--jump":
                case "-g":
                case "--goto":
                    if (invert)
                        throw Error($"'!' cannot precede {t}");
                    if (_target is not null || _jump is not null)
                        throw Error("more than one target");
                    ParseTarget(Next(t), t is "-g" or "--goto");
                    break;
                default:
                    if (t.StartsWith("--", StringComparison.Ordinal) && t.Length > 2)
                    {
                        DispatchOption(t, invert);
                        break;
                    }
                    throw Error($"unexpected '{t}'");
            }
            invert = false;
        }
        if (invert)
            throw Error("'!' at the end of the rule");
        var chain = _rule.Chain;
        if (chain.IsBuiltin && _rule.InInterface.IsSet && chain.Name is "OUTPUT" or "POSTROUTING")
            throw Error($"can't use -i with {chain.Name}");
        if (chain.IsBuiltin && _rule.OutInterface.IsSet && chain.Name is "PREROUTING" or "INPUT")
            throw Error($"can't use -o with {chain.Name}");
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
            throw Error($"unknown option '{option}' (a jump to chain '{_jump}' takes no options)");
        // iptables loads the protocol's match implicitly: "-p tcp --dport 80".
        string? implicitModule = _rule.Protocol switch
        {
            IpProtocols.Tcp => "tcp",
            IpProtocols.Udp => "udp",
            IpProtocols.Icmp => "icmp",
            _ => null,
        };
        if (implicitModule is not null && !_modules.Exists(m => m.Name == implicitModule))
        {
            var mod = ModuleParser.Create(implicitModule, this);
            if (mod.TryOption(option, invert, this))
            {
                _modules.Add(mod);
                return;
            }
        }
        if (_target is not null)
            throw Error($"unknown option '{option}' for target '{_target.Name}'");
        if (_modules.Count > 0)
            throw Error($"unknown option '{option}' for match '{_modules[^1].Name}'");
        throw Error($"unknown option '{option}'");
    }

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
            throw NetfilterSyntaxException.UnsupportedTarget(_file, _line, name);
        _jump = name;
        _rule.Target = new RuleTarget(TargetKind.Jump, name) { TraceVerdict = "JUMP:" + name };
    }

    private void Finish()
    {
        var matches = new List<XtMatch>(_modules.Count);
        foreach (var m in _modules)
        {
            var built = m.Build(this);
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
        if (_target is not null)
            _rule.Target = _target.Build(this);
    }

    public void ParseAddress(string text, out uint address, out uint mask)
    {
        if (text.Contains(',', StringComparison.Ordinal))
            throw Error($"address lists ('{text}') are not supported; write one rule per address");
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string a = slash >= 0 ? text[..slash] : text;
        if (!Ipv4Address.TryParse(a, out var ip))
            throw Error($"'{a}' is not an IPv4 address");
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
            _ => throw Error($"unknown protocol '{text}'"),
        };
    }

    private InterfaceSpec ParseInterface(string text, bool invert)
    {
        if (text.Length > 15)
            throw Error($"interface name '{text}' is longer than 15 characters");
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
        if (ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort p))
            return p;
        ushort named = text switch
        {
            "http" or "www" => 80,
            "https" => 443,
            "domain" => 53,
            "ssh" => 22,
            "ftp" => 21,
            "smtp" => 25,
            "ntp" => 123,
            "bootps" => 67,
            "bootpc" => 68,
            _ => 0,
        };
        if (named == 0)
            throw Error($"'{text}' is not a port number");
        return named;
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
