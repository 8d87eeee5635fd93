using System.Globalization;
using Datapath.Netfilter.Matches;
using Datapath.Packets;

namespace Datapath.Netfilter;

/// <summary>The options of one <c>-m NAME</c> of a rule being parsed; builds the <see cref="XtMatch"/>.</summary>
internal abstract class ModuleParser
{
    public abstract string Name { get; }

    /// <summary>The options this module takes (for "did you mean").</summary>
    public abstract IReadOnlyList<string> Options { get; }

    /// <summary>The index of the word that loaded the module (its name after -m, or the option that loaded it implicitly).</summary>
    public int Word { get; set; }

    private static readonly string[] s_implemented = ["tcp", "udp", "icmp", "multiport", "comment", "statistic", "mark", "addrtype", "conntrack", "state", "set", "recent"];

    /// <summary>The matches iptables has (libxt_*, libipt_*) that we do not implement: refused as unsupported, by name.</summary>
    private static readonly HashSet<string> s_unimplemented =
    [
        "ah", "bpf", "cgroup", "cluster", "connbytes", "connlabel", "connlimit", "connmark", "cpu", "dccp", "devgroup", "dscp",
        "ecn", "esp", "hashlimit", "helper", "iprange", "ipvs", "length", "limit", "mac", "nfacct", "osf", "owner", "physdev",
        "pkttype", "policy", "quota", "rateest", "realm", "rpfilter", "sctp", "socket", "string", "tcpmss", "time", "tos", "ttl", "u32",
    ];

    /// <summary>Consumes <paramref name="option"/> (and its values) if this module knows it.</summary>
    public abstract bool TryOption(string option, bool invert, RuleSpecParser p);

    public abstract XtMatch Build(RuleSpecParser p);

    public static ModuleParser Create(string name, RuleSpecParser p) => name switch
    {
        "tcp" => new TcpUdp("tcp", IpProtocols.Tcp),
        "udp" => new TcpUdp("udp", IpProtocols.Udp),
        "icmp" => new Icmp(),
        "multiport" => new Multiport(),
        "comment" => new Comment(),
        "statistic" => new Statistic(),
        "mark" => new Mark(),
        "addrtype" => new AddrType(),
        "conntrack" => new Conntrack("conntrack"),
        "state" => new Conntrack("state"),
        "set" => new Set(),
        "recent" => new Recent(),
        _ when s_unimplemented.Contains(name) => throw p.Unsupported($"match '{name}' ({string.Join(", ", s_implemented)} are implemented)"),
        _ => throw p.Error($"unknown match '{RuleSpecParser.Visible(name)}' (iptables cannot load it)",
            DidYouMean.Closest(name, s_implemented.Concat(s_unimplemented)) is { } near ? $"did you mean '{near}'?" : $"the implemented matches are {string.Join(", ", s_implemented)}"),
    };

    protected static void RequireProtocol(RuleSpecParser p, string module, params byte[] protocols)
    {
        if (p.ProtocolInverted || Array.IndexOf(protocols, p.Protocol) < 0)
        {
            string names = string.Join(" or ", protocols.Select(x => x switch
            {
                IpProtocols.Tcp => "tcp",
                IpProtocols.Udp => "udp",
                IpProtocols.Icmp => "icmp",
                IpProtocols.Sctp => "sctp",
                33 => "dccp",
                136 => "udplite",
                _ => x.ToString(CultureInfo.InvariantCulture),
            }));
            throw p.Error($"match '{module}' needs -p {names}");
        }
    }

    private sealed class TcpUdp(string name, byte protocol) : ModuleParser
    {
        private readonly TcpUdpMatch _m = new(name);
        private bool _sport, _dport, _flags;

        public override string Name => name;

        public override IReadOnlyList<string> Options => protocol == IpProtocols.Tcp
            ? ["--sport", "--source-port", "--dport", "--destination-port", "--tcp-flags", "--syn", "--tcp-option"]
            : ["--sport", "--source-port", "--dport", "--destination-port"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            switch (option)
            {
                case "--sport":
                case "--source-port":
                    Once(ref _sport, option, p);
                    _m.SourcePorts = p.ParsePortRange(p.Next(option));
                    _m.SourceInvert = invert;
                    return true;
                case "--dport":
                case "--destination-port":
                    Once(ref _dport, option, p);
                    _m.DestinationPorts = p.ParsePortRange(p.Next(option));
                    _m.DestinationInvert = invert;
                    return true;
                case "--tcp-flags" when protocol == IpProtocols.Tcp:
                    Once(ref _flags, option, p);
                    _m.FlagMask = ParseFlags(p.Next(option), p);
                    _m.FlagCompare = ParseFlags(p.Next(option), p);
                    _m.FlagInvert = invert;
                    return true;
                case "--syn" when protocol == IpProtocols.Tcp:
                    Once(ref _flags, option, p);
                    _m.FlagMask = 0x17; // SYN,RST,ACK,FIN
                    _m.FlagCompare = 0x02;
                    _m.FlagInvert = invert;
                    return true;
                case "--tcp-option" when protocol == IpProtocols.Tcp:
                    throw p.Unsupported($"option '{option}' of '{name}'");
                default:
                    return false;
            }
        }

        private static byte ParseFlags(string text, RuleSpecParser p)
        {
            byte v = 0;
            foreach (var f in text.Split(','))
            {
                v |= f.ToUpperInvariant() switch
                {
                    "FIN" => 0x01,
                    "SYN" => 0x02,
                    "RST" => 0x04,
                    "PSH" => 0x08,
                    "ACK" => 0x10,
                    "URG" => 0x20,
                    "ECE" => 0x40,
                    "CWR" => 0x80,
                    "ALL" => 0x3F, // libxt_tcp: FIN,SYN,RST,PSH,ACK,URG
                    "NONE" => 0x00,
                    _ => throw p.Error($"unknown TCP flag '{f}'"),
                };
            }
            return v;
        }

        public override XtMatch Build(RuleSpecParser p)
        {
            RequireProtocol(p, name, protocol);
            return _m;
        }
    }

    private sealed class Icmp : ModuleParser
    {
        private readonly IcmpMatch _m = new();
        private bool _type;

        public override string Name => "icmp";

        public override IReadOnlyList<string> Options => ["--icmp-type"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            if (option != "--icmp-type")
                return false;
            Once(ref _type, option, p);
            string v = p.Next(option);
            if (IcmpMatch.TryLookupName(v, out byte t, out byte lo, out byte hi))
            {
                _m.Type = t;
                _m.MinCode = lo;
                _m.MaxCode = hi;
            }
            else
            {
                int slash = v.IndexOf('/', StringComparison.Ordinal);
                if (!byte.TryParse(slash < 0 ? v : v[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out t))
                    throw p.Error($"'{v}' is not an ICMP type");
                _m.Type = t;
                if (slash >= 0)
                {
                    if (!byte.TryParse(v.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out byte code))
                        throw p.Error($"'{v}' has an invalid ICMP code");
                    _m.MinCode = _m.MaxCode = code;
                }
            }
            _m.Invert = invert;
            return true;
        }

        public override XtMatch Build(RuleSpecParser p)
        {
            RequireProtocol(p, "icmp", IpProtocols.Icmp);
            return _m;
        }
    }

    private sealed class Multiport : ModuleParser
    {
        private MultiportMatch? _m;

        public override string Name => "multiport";

        public override IReadOnlyList<string> Options => ["--sports", "--source-ports", "--dports", "--destination-ports", "--ports"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            MultiportMatch.Direction dir;
            switch (option)
            {
                case "--sports":
                case "--source-ports":
                    dir = MultiportMatch.Direction.Source;
                    break;
                case "--dports":
                case "--destination-ports":
                    dir = MultiportMatch.Direction.Destination;
                    break;
                case "--ports":
                    dir = MultiportMatch.Direction.Either;
                    break;
                default:
                    return false;
            }
            if (_m is not null)
                throw p.Error("multiport takes one of --sports, --dports, --ports");
            var list = new List<PortRange>();
            int slots = 0;
            foreach (var part in p.Next(option).Split(','))
            {
                var r = p.ParsePortRange(part);
                slots += r.IsSingle ? 1 : 2;
                list.Add(r);
            }
            if (slots > 15)
                throw p.Error("too many ports specified (multiport takes at most 15, a range counting two)");
            _m = new MultiportMatch(dir, [.. list], invert);
            return true;
        }

        public override XtMatch Build(RuleSpecParser p)
        {
            RequireProtocol(p, "multiport", IpProtocols.Tcp, IpProtocols.Udp, IpProtocols.Sctp, 33, 136);
            return _m ?? throw p.Error("multiport needs --sports, --dports or --ports");
        }
    }

    private sealed class Comment : ModuleParser
    {
        private string? _text;

        public override string Name => "comment";

        public override IReadOnlyList<string> Options => ["--comment"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            if (option != "--comment")
                return false;
            if (invert)
                throw p.Error("'!' cannot precede --comment");
            _text = p.Next(option);
            if (_text.Length > 255)
                throw p.Error("comment is longer than 255 characters");
            return true;
        }

        public override XtMatch Build(RuleSpecParser p) => new CommentMatch(_text ?? throw p.Error("comment needs --comment"));
    }

    private sealed class Statistic : ModuleParser
    {
        private string? _mode;
        private double? _probability;
        private uint? _every;
        private uint? _packet;
        private bool _invert;

        public override string Name => "statistic";

        public override IReadOnlyList<string> Options => ["--mode", "--probability", "--every", "--packet"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            switch (option)
            {
                case "--mode":
                    _mode = p.Next(option);
                    if (_mode is not ("random" or "nth"))
                        throw p.Error($"bad statistic mode '{_mode}' (random or nth)");
                    break;
                case "--probability":
                    string v = p.Next(option);
                    if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || d < 0 || d > 1)
                        throw p.Error($"probability '{v}' is not a number from 0 to 1");
                    _probability = d;
                    break;
                case "--every":
                    _every = p.ParseUInt32(p.Next(option), "--every value");
                    if (_every == 0)
                        throw p.Error("--every must be at least 1");
                    break;
                case "--packet":
                    if (invert)
                        throw p.Error("'!' cannot precede --packet");
                    _packet = p.ParseUInt32(p.Next(option), "--packet value");
                    return true;
                default:
                    return false;
            }
            _invert |= invert;
            return true;
        }

        public override XtMatch Build(RuleSpecParser p)
        {
            if (_mode is null)
                throw p.Error("statistic needs --mode");
            if (_mode == "random")
            {
                if (_probability is null || _every is not null || _packet is not null)
                    throw p.Error("--mode random takes --probability (and not --every/--packet)");
                // libxt_statistic: lround(0x80000000 * P)
                uint prob = (uint)Math.Round(0x80000000 * _probability.Value, MidpointRounding.AwayFromZero);
                return new StatisticMatch(true, prob, 0, 0, _invert);
            }
            if (_every is null || _probability is not null)
                throw p.Error("--mode nth takes --every (and not --probability)");
            uint packet = _packet ?? 0;
            if (packet >= _every)
                throw p.Error("the --packet p must be 0 <= p <= n-1");
            return new StatisticMatch(false, 0, _every.Value, packet, _invert);
        }
    }

    private sealed class Mark : ModuleParser
    {
        private MarkMatch? _m;

        public override string Name => "mark";

        public override IReadOnlyList<string> Options => ["--mark"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            if (option != "--mark")
                return false;
            p.ParseValueMask(p.Next(option), "mark", out uint v, out uint m, out _);
            _m = new MarkMatch(v, m, invert);
            return true;
        }

        public override XtMatch Build(RuleSpecParser p) => _m ?? throw p.Error("mark needs --mark");
    }

    private sealed class AddrType : ModuleParser
    {
        private readonly AddrTypeMatch _m = new();

        public override string Name => "addrtype";

        public override IReadOnlyList<string> Options => ["--src-type", "--dst-type", "--limit-iface-in", "--limit-iface-out"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            switch (option)
            {
                case "--src-type":
                case "--dst-type":
                {
                    string v = p.Next(option);
                    if (!AddrTypeMatch.TryParseTypes(v, out var types))
                        throw p.Error($"'{v}' is not a list of address types (LOCAL, UNICAST, BROADCAST, ...)");
                    if (option == "--src-type")
                    {
                        _m.SourceTypes = types;
                        _m.SourceInvert = invert;
                    }
                    else
                    {
                        _m.DestinationTypes = types;
                        _m.DestinationInvert = invert;
                    }
                    return true;
                }
                case "--limit-iface-in":
                    _m.LimitInterfaceIn = true;
                    return true;
                case "--limit-iface-out":
                    _m.LimitInterfaceOut = true;
                    return true;
                default:
                    return false;
            }
        }

        public override XtMatch Build(RuleSpecParser p)
        {
            if (_m.LimitInterfaceIn && _m.LimitInterfaceOut)
                throw p.Error("--limit-iface-in and --limit-iface-out are exclusive");
            return _m;
        }
    }

    private sealed class Conntrack(string name) : ModuleParser
    {
        private readonly ConntrackMatch _m = new(name);

        public override string Name => name;

        public override IReadOnlyList<string> Options => name == "state"
            ? ["--state"]
            : ["--ctstate", "--ctproto", "--ctorigsrc", "--ctorigdst", "--ctreplsrc", "--ctrepldst", "--ctorigsrcport", "--ctorigdstport",
                "--ctreplsrcport", "--ctrepldstport", "--ctstatus", "--ctdir", "--ctexpire"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            if (name == "state")
            {
                if (option != "--state")
                    return false;
                ParseStates(p.Next(option), invert, p);
                return true;
            }
            switch (option)
            {
                case "--ctstate":
                    ParseStates(p.Next(option), invert, p);
                    return true;
                case "--ctproto":
                {
                    string v = p.Next(option);
                    _m.CtProto = v.ToLowerInvariant() switch
                    {
                        "tcp" => IpProtocols.Tcp,
                        "udp" => IpProtocols.Udp,
                        "icmp" => IpProtocols.Icmp,
                        "sctp" => IpProtocols.Sctp,
                        _ => byte.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out byte b) ? b : throw p.Error($"unknown protocol '{v}'"),
                    };
                    _m.HasCtProto = true;
                    _m.CtProtoInvert = invert;
                    return true;
                }
                case "--ctorigsrc":
                    _m.OrigSrc = Address(p, option, invert);
                    return true;
                case "--ctorigdst":
                    _m.OrigDst = Address(p, option, invert);
                    return true;
                case "--ctreplsrc":
                    _m.ReplSrc = Address(p, option, invert);
                    return true;
                case "--ctrepldst":
                    _m.ReplDst = Address(p, option, invert);
                    return true;
                case "--ctorigsrcport":
                    _m.OrigSrcPort = new(true, p.ParsePortRange(p.Next(option)), invert);
                    return true;
                case "--ctorigdstport":
                    _m.OrigDstPort = new(true, p.ParsePortRange(p.Next(option)), invert);
                    return true;
                case "--ctreplsrcport":
                    _m.ReplSrcPort = new(true, p.ParsePortRange(p.Next(option)), invert);
                    return true;
                case "--ctrepldstport":
                    _m.ReplDstPort = new(true, p.ParsePortRange(p.Next(option)), invert);
                    return true;
                case "--ctstatus":
                {
                    string v = p.Next(option);
                    if (!ConntrackMatch.TryParseStatus(v, out var st))
                        throw p.Error($"'{v}' is not a list of conntrack statuses (NONE, EXPECTED, SEEN_REPLY, ASSURED, CONFIRMED)");
                    _m.Status = st;
                    _m.HasStatus = true;
                    _m.StatusInvert = invert;
                    return true;
                }
                case "--ctdir":
                {
                    string v = p.Next(option);
                    _m.Direction = v.ToUpperInvariant() switch
                    {
                        "ORIGINAL" => 1,
                        "REPLY" => 2,
                        _ => throw p.Error($"--ctdir takes ORIGINAL or REPLY, not '{v}'"),
                    };
                    _m.DirectionInvert = invert;
                    return true;
                }
                case "--ctexpire":
                    throw p.Unsupported($"option '{option}' of '{name}'");
                default:
                    return false;
            }
        }

        private void ParseStates(string v, bool invert, RuleSpecParser p)
        {
            if (!ConntrackMatch.TryParseStates(v, out var s))
                throw p.Error($"'{v}' is not a list of states (INVALID, NEW, ESTABLISHED, RELATED, UNTRACKED, SNAT, DNAT)");
            if (name == "state" && (s & (ConntrackStates.Snat | ConntrackStates.Dnat)) != 0)
                throw p.Error("-m state takes INVALID, NEW, ESTABLISHED, RELATED, UNTRACKED");
            _m.States = s;
            _m.HasStates = true;
            _m.StatesInvert = invert;
        }

        private static ConntrackMatch.AddressTest Address(RuleSpecParser p, string option, bool invert)
        {
            p.ParseAddress(p.Next(option), out uint a, out uint m);
            return new(true, a, m, invert);
        }

        public override XtMatch Build(RuleSpecParser p)
        {
            if (name == "state" && !_m.HasStates)
                throw p.Error("state needs --state");
            return _m;
        }
    }

    private sealed class Set : ModuleParser
    {
        private SetMatch? _m;

        public override string Name => "set";

        public override IReadOnlyList<string> Options => ["--match-set", "--return-nomatch", "--update-counters", "--update-subcounters",
            "--packets-eq", "--packets-lt", "--packets-gt", "--bytes-eq", "--bytes-lt", "--bytes-gt"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            switch (option)
            {
                case "--match-set":
                {
                    if (_m is not null)
                        throw p.Error("one --match-set per -m set");
                    string set = p.Next(option);
                    string flags = p.Next(option);
                    var dims = new List<bool>();
                    foreach (var f in flags.Split(','))
                    {
                        dims.Add(f switch
                        {
                            "src" => true,
                            "dst" => false,
                            _ => throw p.Error($"'{flags}' is not a list of src/dst"),
                        });
                    }
                    if (dims.Count > 6)
                        throw p.Error("too many dimensions in --match-set flags");
                    _m = new SetMatch(set, [.. dims], invert, p.File, p.Line, p.Column(p.WordIndex - 2));
                    return true;
                }
                case "--return-nomatch":
                case "--update-counters":
                case "--update-subcounters":
                case "--packets-eq":
                case "--packets-lt":
                case "--packets-gt":
                case "--bytes-eq":
                case "--bytes-lt":
                case "--bytes-gt":
                    throw p.Unsupported($"option '{option}' of 'set'");
                default:
                    return false;
            }
        }

        public override XtMatch Build(RuleSpecParser p) => _m ?? throw p.Error("set needs --match-set NAME FLAGS");
    }

    private sealed class Recent : ModuleParser
    {
        private string _name = "DEFAULT";
        private RecentMatch.Command? _command;
        private bool _invert;
        private uint _seconds;
        private uint _hitCount;
        private bool _reap;
        private bool _destination;
        private uint _mask = uint.MaxValue;

        public override string Name => "recent";

        public override IReadOnlyList<string> Options => ["--name", "--set", "--rcheck", "--update", "--remove", "--seconds", "--hitcount",
            "--reap", "--rsource", "--rdest", "--mask", "--rttl"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            switch (option)
            {
                case "--name":
                    _name = p.Next(option);
                    if (_name.Length is 0 or > 200)
                        throw p.Error("recent --name must be 1 to 200 characters");
                    return true;
                case "--set":
                    SetCommand(RecentMatch.Command.Set, invert, p);
                    return true;
                case "--rcheck":
                    SetCommand(RecentMatch.Command.Check, invert, p);
                    return true;
                case "--update":
                    SetCommand(RecentMatch.Command.Update, invert, p);
                    return true;
                case "--remove":
                    SetCommand(RecentMatch.Command.Remove, invert, p);
                    return true;
                case "--seconds":
                    _seconds = p.ParseUInt32(p.Next(option), "--seconds value");
                    return true;
                case "--hitcount":
                    _hitCount = p.ParseUInt32(p.Next(option), "--hitcount value");
                    if (_hitCount > RecentList.MaxStamps)
                        throw p.Error($"--hitcount must be at most {RecentList.MaxStamps} (ip_pkt_list_tot)");
                    return true;
                case "--reap":
                    _reap = true;
                    return true;
                case "--rsource":
                    _destination = false;
                    return true;
                case "--rdest":
                    _destination = true;
                    return true;
                case "--mask":
                {
                    string v = p.Next(option);
                    if (!Ipv4Address.TryParse(v, out var m))
                        throw p.Error($"'{v}' is not a netmask");
                    _mask = m.Value;
                    return true;
                }
                case "--rttl":
                    throw p.Unsupported($"option '{option}' of 'recent'");
                default:
                    return false;
            }
        }

        private void SetCommand(RecentMatch.Command c, bool invert, RuleSpecParser p)
        {
            if (_command is not null)
                throw p.Error("recent takes only one of --set, --rcheck, --update, --remove");
            _command = c;
            _invert = invert;
        }

        public override XtMatch Build(RuleSpecParser p)
        {
            if (_command is null)
                throw p.Error("recent needs one of --set, --rcheck, --update, --remove");
            if ((_seconds != 0 || _hitCount != 0) && _command is not (RecentMatch.Command.Check or RecentMatch.Command.Update))
                throw p.Error("--seconds and --hitcount go with --rcheck or --update");
            if (_reap && _seconds == 0)
                throw p.Error("--reap needs --seconds");
            return new RecentMatch(p.Rules.Recent.GetOrAdd(_name), _command.Value, _invert, _seconds, _hitCount, _reap, _destination, _mask);
        }
    }

    protected static void Once(ref bool seen, string option, RuleSpecParser p)
    {
        if (seen)
            throw p.Error($"option '{option}' given twice");
        seen = true;
    }
}
