using System.Globalization;
using Datapath.Packets;

namespace Datapath.Netfilter;

/// <summary>The options of an extension target (<c>-j REJECT|MARK|DNAT|SNAT|MASQUERADE|TRACE|LOG</c>) being parsed.</summary>
internal abstract class TargetParser
{
    public abstract string Name { get; }

    /// <summary>The options this target takes (for "did you mean").</summary>
    public abstract IReadOnlyList<string> Options { get; }

    public abstract bool TryOption(string option, bool invert, RuleSpecParser p);

    public abstract RuleTarget Build(RuleSpecParser p);

    public static bool TryCreate(string name, RuleSpecParser p, out TargetParser parser)
    {
        parser = name switch
        {
            "REJECT" => new Reject(),
            "MARK" => new Mark(),
            "DNAT" => new Nat(TargetKind.Dnat, "DNAT", "--to-destination"),
            "SNAT" => new Nat(TargetKind.Snat, "SNAT", "--to-source"),
            "MASQUERADE" => new Nat(TargetKind.Masquerade, "MASQUERADE", "--to-ports"),
            "TRACE" => new Trace(),
            "LOG" => new Log(),
            _ => null!,
        };
        return parser is not null;
    }

    protected static void NoInvert(bool invert, string option, RuleSpecParser p)
    {
        if (invert)
            throw p.Error($"'!' cannot precede target option '{option}'");
    }

    private sealed class Reject : TargetParser
    {
        private RejectWith _with = RejectWith.IcmpPortUnreachable;

        public override string Name => "REJECT";

        public override IReadOnlyList<string> Options => ["--reject-with"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            if (option != "--reject-with")
                return false;
            NoInvert(invert, option, p);
            string v = p.Next(option);
            _with = v switch
            {
                "icmp-net-unreachable" or "net-unreach" => RejectWith.IcmpNetUnreachable,
                "icmp-host-unreachable" or "host-unreach" => RejectWith.IcmpHostUnreachable,
                "icmp-port-unreachable" or "port-unreach" => RejectWith.IcmpPortUnreachable,
                "icmp-proto-unreachable" or "proto-unreach" => RejectWith.IcmpProtoUnreachable,
                "icmp-net-prohibited" or "net-prohib" => RejectWith.IcmpNetProhibited,
                "icmp-host-prohibited" or "host-prohib" => RejectWith.IcmpHostProhibited,
                "icmp-admin-prohibited" or "admin-prohib" => RejectWith.IcmpAdminProhibited,
                "tcp-reset" or "tcp-rst" => RejectWith.TcpReset,
                _ => throw p.Error($"unknown --reject-with type '{v}'"),
            };
            return true;
        }

        public override RuleTarget Build(RuleSpecParser p)
        {
            if (p.Table.Name != "filter")
                throw p.Error($"target 'REJECT' is not valid in table '{p.Table.Name}'");
            if (_with == RejectWith.TcpReset && (p.Protocol != IpProtocols.Tcp || p.ProtocolInverted))
                throw p.Error("--reject-with tcp-reset needs -p tcp");
            return new RuleTarget(TargetKind.Reject, "REJECT") { RejectWith = _with };
        }
    }

    private sealed class Mark : TargetParser
    {
        private bool _set;
        private uint _value, _mask;

        public override string Name => "MARK";

        public override IReadOnlyList<string> Options => ["--set-xmark", "--set-mark", "--and-mark", "--or-mark", "--xor-mark"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            uint v, m;
            switch (option)
            {
                case "--set-xmark":
                    p.ParseValueMask(p.Next(option), "mark", out v, out m, out _);
                    break;
                case "--set-mark":
                    // libxt_MARK: --set-mark v/m is --set-xmark v/(m|v); without a mask, m = 0xffffffff.
                    p.ParseValueMask(p.Next(option), "mark", out v, out m, out bool hasMask);
                    if (hasMask)
                        m |= v;
                    break;
                case "--and-mark":
                    v = 0;
                    m = ~p.ParseUInt32(p.Next(option), "mark");
                    break;
                case "--or-mark":
                    v = p.ParseUInt32(p.Next(option), "mark");
                    m = v;
                    break;
                case "--xor-mark":
                    v = p.ParseUInt32(p.Next(option), "mark");
                    m = 0;
                    break;
                default:
                    return false;
            }
            NoInvert(invert, option, p);
            if (_set)
                throw p.Error("MARK takes one of --set-xmark, --set-mark, --and-mark, --or-mark, --xor-mark");
            _set = true;
            _value = v;
            _mask = m;
            return true;
        }

        public override RuleTarget Build(RuleSpecParser p)
        {
            if (!_set)
                throw p.Error("MARK needs --set-xmark, --set-mark, --and-mark, --or-mark or --xor-mark");
            return new RuleTarget(TargetKind.Mark, "MARK")
            {
                MarkValue = _value,
                MarkMask = _mask,
                TraceVerdict = string.Create(CultureInfo.InvariantCulture, $"MARK:0x{_value:x}/0x{_mask:x}"),
            };
        }
    }

    private sealed class Nat(TargetKind kind, string name, string rangeOption) : TargetParser
    {
        private NatRange _range;
        private bool _hasRange;
        private NatRangeFlags _flags;

        public override string Name => name;

        public override IReadOnlyList<string> Options => kind switch
        {
            TargetKind.Dnat => [rangeOption, "--random", "--persistent"],
            TargetKind.Snat => [rangeOption, "--random", "--random-fully", "--persistent"],
            _ => [rangeOption, "--random", "--random-fully"],
        };

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            if (option == rangeOption)
            {
                NoInvert(invert, option, p);
                if (_hasRange)
                    throw p.Error($"{name} takes one {rangeOption}");
                _range = kind == TargetKind.Masquerade ? ParsePorts(p.Next(option), p) : ParseRange(p.Next(option), p);
                _hasRange = true;
                return true;
            }
            NatRangeFlags f = option switch
            {
                "--random" => NatRangeFlags.ProtoRandom,
                "--random-fully" when kind != TargetKind.Dnat => NatRangeFlags.ProtoRandomFully,
                "--persistent" when kind != TargetKind.Masquerade => NatRangeFlags.Persistent,
                _ => NatRangeFlags.None,
            };
            if (f == NatRangeFlags.None)
                return false;
            NoInvert(invert, option, p);
            _flags |= f;
            return true;
        }

        private NatRange ParseRange(string text, RuleSpecParser p)
        {
            // [ipaddr[-ipaddr]][:port[-port]]
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            string ips = colon >= 0 ? text[..colon] : text;
            string? ports = colon >= 0 ? text[(colon + 1)..] : null;
            var flags = NatRangeFlags.None;
            uint lo = 0, hi = 0;
            if (ips.Length > 0)
            {
                int dash = ips.IndexOf('-', StringComparison.Ordinal);
                if (!Ipv4Address.TryParse(dash >= 0 ? ips[..dash] : ips, out var a)
                    || !Ipv4Address.TryParse(dash >= 0 ? ips[(dash + 1)..] : ips, out var b))
                    throw p.Error($"'{ips}' is not an address or address range");
                if (b.Value < a.Value)
                    throw p.Error($"address range '{ips}' is backwards");
                lo = a.Value;
                hi = b.Value;
                flags |= NatRangeFlags.MapIps;
            }
            else if (ports is null)
            {
                throw p.Error($"{rangeOption} needs an address or :port");
            }
            ushort pmin = 0, pmax = 0;
            if (ports is not null)
            {
                var r = p.ParsePortRange(ports, '-');
                pmin = r.Min;
                pmax = r.Max;
                flags |= NatRangeFlags.ProtoSpecified;
            }
            return new NatRange(lo, hi, pmin, pmax, flags);
        }

        private static NatRange ParsePorts(string text, RuleSpecParser p)
        {
            var r = p.ParsePortRange(text, '-');
            return new NatRange(0, 0, r.Min, r.Max, NatRangeFlags.ProtoSpecified);
        }

        public override RuleTarget Build(RuleSpecParser p)
        {
            if (p.Table.Name != "nat")
                throw p.Error($"target '{name}' is only valid in table 'nat'");
            if (kind != TargetKind.Masquerade && !_hasRange)
                throw p.Error($"{name} needs {rangeOption}");
            var range = _range with { Flags = _range.Flags | _flags | (kind == TargetKind.Masquerade ? NatRangeFlags.Masquerade : 0) };
            if (range.MapsPort && (p.ProtocolInverted || p.Protocol is not (IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp or 33 or 136)))
                throw p.Error("a port range needs -p tcp, udp, sctp, dccp or udplite");
            string verdict = _hasRange && kind != TargetKind.Masquerade ? name + ":" + range : name;
            return new RuleTarget(kind, name) { NatRange = range, TraceVerdict = verdict };
        }
    }

    private sealed class Trace : TargetParser
    {
        public override string Name => "TRACE";

        public override IReadOnlyList<string> Options => [];

        public override bool TryOption(string option, bool invert, RuleSpecParser p) => false;

        public override RuleTarget Build(RuleSpecParser p)
        {
            if (p.Table.Name != "raw")
                throw p.Error("target 'TRACE' is only valid in table 'raw'");
            return new RuleTarget(TargetKind.Trace, "TRACE");
        }
    }

    private sealed class Log : TargetParser
    {
        private string? _prefix;
        private byte _level = 4;
        private byte _flags;

        public override string Name => "LOG";

        public override IReadOnlyList<string> Options => ["--log-prefix", "--log-level", "--log-tcp-sequence", "--log-tcp-options", "--log-ip-options", "--log-uid", "--log-macdecode"];

        public override bool TryOption(string option, bool invert, RuleSpecParser p)
        {
            switch (option)
            {
                case "--log-prefix":
                    NoInvert(invert, option, p);
                    _prefix = p.Next(option);
                    if (_prefix.Length > 29)
                        throw p.Error("--log-prefix is longer than 29 characters");
                    return true;
                case "--log-level":
                {
                    NoInvert(invert, option, p);
                    string v = p.Next(option);
                    int level = uint.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out uint lvl) && lvl <= 7 ? (int)lvl
                        : v switch
                        {
                            "emerg" or "panic" => 0,
                            "alert" => 1,
                            "crit" => 2,
                            "error" or "err" => 3,
                            "warning" or "warn" => 4,
                            "notice" => 5,
                            "info" => 6,
                            "debug" => 7,
                            _ => -1,
                        };
                    if (level < 0)
                        throw p.Error($"'{v}' is not a log level");
                    _level = (byte)level;
                    return true;
                }
                case "--log-tcp-sequence":
                case "--log-tcp-options":
                case "--log-ip-options":
                case "--log-uid":
                case "--log-macdecode":
                    NoInvert(invert, option, p);
                    // XT_LOG_TCPSEQ, XT_LOG_TCPOPT, XT_LOG_IPOPT, XT_LOG_UID, XT_LOG_MACDECODE
                    _flags |= option switch
                    {
                        "--log-tcp-sequence" => (byte)0x01,
                        "--log-tcp-options" => (byte)0x02,
                        "--log-ip-options" => (byte)0x04,
                        "--log-uid" => (byte)0x08,
                        _ => (byte)0x20,
                    };
                    return true;
                default:
                    return false;
            }
        }

        public override RuleTarget Build(RuleSpecParser p) => new(TargetKind.Log, "LOG") { LogPrefix = _prefix, LogLevel = _level, LogFlags = _flags };
    }
}
