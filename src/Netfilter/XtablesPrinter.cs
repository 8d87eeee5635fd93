using System.Globalization;
using System.Text;
using Datapath.Netfilter.Matches;
using Datapath.Packets;

namespace Datapath.Netfilter;

// The extensions' print and save forms
// ====================================
//
// What?
// -----
// Each libxt_*/libipt_* extension of iptables 1.8 has two printers: `print` (the tail of an `iptables -L`
// line) and `save` (its options in iptables-save and `iptables -S`). This type is both, for every match and
// target the parser builds, word for word as iptables-nft 1.8.9 prints them (Debian 12's `iptables`).
//
// Design
// ------
// A switch on the match's type and the target's kind, appending to one StringBuilder; every piece starts with
// its own space, as the C printers do (`printf(" tcp")`), so the callers just concatenate. Off the packet path.
//
// Invariants
// ----------
//  - With numeric = true (iptables -n) every number is printed as a number; without it ports, ICMP types,
//    TCP flags and protocols get the names iptables would give from its own tables (host files are not read:
//    ports use the names ServicePorts knows, as the parser does).
//  - IptablesListingKernelTests compares both forms with the kernel's for every fixture and seed file.
internal static class XtablesPrinter
{
    private static readonly (int Flag, string Name)[] s_addressTypeNames =
    [
        ((int)AddressTypes.Unspec, "UNSPEC"), ((int)AddressTypes.Unicast, "UNICAST"), ((int)AddressTypes.Local, "LOCAL"),
        ((int)AddressTypes.Broadcast, "BROADCAST"), ((int)AddressTypes.Anycast, "ANYCAST"), ((int)AddressTypes.Multicast, "MULTICAST"),
        ((int)AddressTypes.Blackhole, "BLACKHOLE"), ((int)AddressTypes.Unreachable, "UNREACHABLE"), ((int)AddressTypes.Prohibit, "PROHIBIT"),
        ((int)AddressTypes.Throw, "THROW"), ((int)AddressTypes.Nat, "NAT"), ((int)AddressTypes.XResolve, "XRESOLVE"),
    ];

    /// <summary>libxt_conntrack's print_state order.</summary>
    private static readonly (int Flag, string Name)[] s_stateNames =
    [
        ((int)ConntrackStates.Invalid, "INVALID"), ((int)ConntrackStates.New, "NEW"), ((int)ConntrackStates.Related, "RELATED"),
        ((int)ConntrackStates.Established, "ESTABLISHED"), ((int)ConntrackStates.Untracked, "UNTRACKED"),
        ((int)ConntrackStates.Snat, "SNAT"), ((int)ConntrackStates.Dnat, "DNAT"),
    ];

    private static readonly (int Flag, string Name)[] s_statusNames =
    [
        ((int)CtStatusFlags.Expected, "EXPECTED"), ((int)CtStatusFlags.SeenReply, "SEEN_REPLY"),
        ((int)CtStatusFlags.Assured, "ASSURED"), ((int)CtStatusFlags.Confirmed, "CONFIRMED"),
    ];

    private static readonly (byte Flag, string Name)[] s_tcpFlags =
        [(0x01, "FIN"), (0x02, "SYN"), (0x04, "RST"), (0x08, "PSH"), (0x10, "ACK"), (0x20, "URG")];

    /// <summary>libipt_icmp's icmp_codes, in its order (the first entry that fits names a type/code range).</summary>
    private static readonly (string Name, byte Type, byte Min, byte Max)[] s_icmpNames =
    [
        ("any", 0xFF, 0, 0xFF), ("echo-reply", 0, 0, 0xFF), ("destination-unreachable", 3, 0, 0xFF),
        ("network-unreachable", 3, 0, 0), ("host-unreachable", 3, 1, 1), ("protocol-unreachable", 3, 2, 2),
        ("port-unreachable", 3, 3, 3), ("fragmentation-needed", 3, 4, 4), ("source-route-failed", 3, 5, 5),
        ("network-unknown", 3, 6, 6), ("host-unknown", 3, 7, 7), ("network-prohibited", 3, 9, 9),
        ("host-prohibited", 3, 10, 10), ("TOS-network-unreachable", 3, 11, 11), ("TOS-host-unreachable", 3, 12, 12),
        ("communication-prohibited", 3, 13, 13), ("host-precedence-violation", 3, 14, 14), ("precedence-cutoff", 3, 15, 15),
        ("source-quench", 4, 0, 0xFF), ("redirect", 5, 0, 0xFF), ("network-redirect", 5, 0, 0), ("host-redirect", 5, 1, 1),
        ("TOS-network-redirect", 5, 2, 2), ("TOS-host-redirect", 5, 3, 3), ("echo-request", 8, 0, 0xFF),
        ("router-advertisement", 9, 0, 0xFF), ("router-solicitation", 10, 0, 0xFF), ("time-exceeded", 11, 0, 0xFF),
        ("ttl-zero-during-transit", 11, 0, 0), ("ttl-zero-during-reassembly", 11, 1, 1), ("parameter-problem", 12, 0, 0xFF),
        ("ip-header-bad", 12, 0, 0), ("required-option-missing", 12, 1, 1), ("timestamp-request", 13, 0, 0xFF),
        ("timestamp-reply", 14, 0, 0xFF), ("address-mask-request", 17, 0, 0xFF), ("address-mask-reply", 18, 0, 0xFF),
    ];

    /// <summary>The protocol's name as /etc/protocols gives it (iptables-save's <c>-p</c>, the prot column without -n).</summary>
    public static string? ProtocolName(byte protocol) => protocol switch
    {
        0 => "all",
        1 => "icmp",
        2 => "igmp",
        6 => "tcp",
        17 => "udp",
        33 => "dccp",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "ipv6-icmp",
        132 => "sctp",
        136 => "udplite",
        _ => null,
    };

    public static string RejectName(RejectWith with) => with switch
    {
        RejectWith.IcmpNetUnreachable => "icmp-net-unreachable",
        RejectWith.IcmpHostUnreachable => "icmp-host-unreachable",
        RejectWith.IcmpProtoUnreachable => "icmp-proto-unreachable",
        RejectWith.IcmpNetProhibited => "icmp-net-prohibited",
        RejectWith.IcmpHostProhibited => "icmp-host-prohibited",
        RejectWith.IcmpAdminProhibited => "icmp-admin-prohibited",
        RejectWith.TcpReset => "tcp-reset",
        _ => "icmp-port-unreachable",
    };

    /// <summary>xtables_ipmask_to_numeric: "" for /32, "/n" for a prefix, "/a.b.c.d" otherwise.</summary>
    public static string MaskSuffix(uint mask)
    {
        if (mask == uint.MaxValue)
            return string.Empty;
        int bits = PrefixLength(mask);
        return bits >= 0 ? "/" + bits.ToString(CultureInfo.InvariantCulture) : "/" + new Ipv4Address(mask);
    }

    /// <summary>The prefix length of a contiguous mask, -1 for a mask with holes.</summary>
    public static int PrefixLength(uint mask)
    {
        int bits = System.Numerics.BitOperations.PopCount(mask);
        return bits == 0 || mask == Ipv4Address.PrefixMask(bits) ? bits : -1;
    }

    /// <summary>xtables_save_string: bare when only [A-Za-z0-9_-], else double-quoted with " \ ' escaped.</summary>
    public static void SaveString(StringBuilder sb, string value)
    {
        sb.Append(' ');
        bool bare = value.Length > 0;
        foreach (char c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                bare = false;
                break;
            }
        }
        if (bare)
        {
            sb.Append(value);
            return;
        }
        sb.Append('"');
        foreach (char c in value)
        {
            if (c is '"' or '\\' or '\'')
                sb.Append('\\');
            sb.Append(c);
        }
        sb.Append('"');
    }

    private static StringBuilder U(this StringBuilder sb, uint value) => sb.Append(value.ToString(CultureInfo.InvariantCulture));

    private static StringBuilder Hex(this StringBuilder sb, uint value) => sb.Append("0x").Append(value.ToString("x", CultureInfo.InvariantCulture));

    private static string PortText(ushort port, bool numeric, string protocol)
        => !numeric && ServicePorts.TryGetName(port, protocol, out string? name) ? name : port.ToString(CultureInfo.InvariantCulture);

    // ---- matches: print (iptables -L)

    public static void PrintMatch(StringBuilder sb, XtMatch match, bool numeric)
    {
        switch (match)
        {
            case CommentMatch c:
                sb.Append(" /* ").Append(c.Text).Append(" */");
                break;
            case TcpUdpMatch t:
                sb.Append(' ').Append(t.Name);
                PrintPorts(sb, "spt", t.SourcePorts, t.SourceInvert, numeric, t.Name);
                PrintPorts(sb, "dpt", t.DestinationPorts, t.DestinationInvert, numeric, t.Name);
                if (t.FlagMask != 0 || t.FlagInvert)
                {
                    sb.Append(" flags:").Append(t.FlagInvert ? "!" : "");
                    if (numeric)
                    {
                        sb.Append(string.Create(CultureInfo.InvariantCulture, $"0x{t.FlagMask:X2}/0x{t.FlagCompare:X2}"));
                    }
                    else
                    {
                        TcpFlagNames(sb, t.FlagMask);
                        sb.Append('/');
                        TcpFlagNames(sb, t.FlagCompare);
                    }
                }
                break;
            case IcmpMatch i:
                sb.Append(" icmp");
                PrintIcmpType(sb, i, numeric);
                break;
            case MultiportMatch m:
                sb.Append(" multiport ").Append(m.Flags switch
                {
                    MultiportMatch.Direction.Source => "sports",
                    MultiportMatch.Direction.Destination => "dports",
                    _ => "ports",
                });
                sb.Append(m.Invert ? "  !" : " ");
                AppendPortList(sb, m.Ports, numeric);
                break;
            case StatisticMatch s:
                PrintStatistic(sb, s, "");
                break;
            case MarkMatch k:
                sb.Append(" mark match").Append(k.Invert ? " !" : "").Append(' ').Hex(k.Value);
                if (k.Mask != uint.MaxValue)
                    sb.Append('/').Hex(k.Mask);
                break;
            case AddrTypeMatch a:
                sb.Append(" ADDRTYPE match");
                if (a.SourceTypes != AddressTypes.None)
                    sb.Append(" src-type ").Append(a.SourceInvert ? "!" : "").Append(AddressTypeList(a.SourceTypes));
                if (a.DestinationTypes != AddressTypes.None)
                    sb.Append(" dst-type ").Append(a.DestinationInvert ? "!" : "").Append(AddressTypeList(a.DestinationTypes));
                if (a.LimitInterfaceIn)
                    sb.Append(" limit-in");
                if (a.LimitInterfaceOut)
                    sb.Append(" limit-out");
                break;
            case ConntrackMatch ct:
                DumpConntrack(sb, ct, ct.Name == "state" ? "" : "ct");
                break;
            case SetMatch set:
                sb.Append(set.Invert ? " !" : "").Append(" match-set ").Append(set.SetName).Append(' ');
                AppendDimensions(sb, set);
                break;
            case RecentMatch r:
                DumpRecent(sb, r, save: false);
                break;
        }
    }

    private static void PrintPorts(StringBuilder sb, string name, PortRange range, bool invert, bool numeric, string protocol)
    {
        if (range.Min == 0 && range.Max == 65535 && !invert)
            return;
        sb.Append(' ').Append(name);
        if (range.IsSingle)
        {
            sb.Append(':').Append(invert ? "!" : "").Append(PortText(range.Min, numeric, protocol));
        }
        else
        {
            sb.Append("s:").Append(invert ? "!" : "").Append(PortText(range.Min, numeric, protocol))
                .Append(':').Append(PortText(range.Max, numeric, protocol));
        }
    }

    private static void AppendPortList(StringBuilder sb, IReadOnlyList<PortRange> ports, bool numeric)
    {
        for (int i = 0; i < ports.Count; i++)
        {
            if (i > 0)
                sb.Append(',');
            sb.Append(PortText(ports[i].Min, numeric, "tcp"));
            if (!ports[i].IsSingle)
                sb.Append(':').Append(PortText(ports[i].Max, numeric, "tcp"));
        }
    }

    private static void TcpFlagNames(StringBuilder sb, byte flags)
    {
        bool any = false;
        foreach (var (flag, name) in s_tcpFlags)
        {
            if ((flags & flag) == 0)
                continue;
            if (any)
                sb.Append(',');
            sb.Append(name);
            any = true;
        }
        if (!any)
            sb.Append("NONE");
    }

    private static void PrintIcmpType(StringBuilder sb, IcmpMatch i, bool numeric)
    {
        if (!numeric)
        {
            foreach (var (name, type, min, max) in s_icmpNames)
            {
                if (type == i.Type && min == i.MinCode && max == i.MaxCode)
                {
                    sb.Append(' ').Append(i.Invert ? "!" : "").Append(name);
                    return;
                }
            }
        }
        if (i.Invert)
            sb.Append(" !");
        sb.Append("type ").U(i.Type);
        if (i.MinCode == i.MaxCode)
            sb.Append(" code ").U(i.MinCode);
        else if (i.MinCode != 0 || i.MaxCode != 0xFF)
            sb.Append(" codes ").U(i.MinCode).Append('-').U(i.MaxCode);
    }

    /// <summary>libxt_statistic's print (prefix "") and save (prefix "--").</summary>
    private static void PrintStatistic(StringBuilder sb, StatisticMatch s, string prefix)
    {
        if (prefix.Length == 0)
            sb.Append(" statistic");
        if (s.IsRandom)
        {
            sb.Append(' ').Append(prefix).Append("mode random").Append(s.Invert ? " !" : "");
            double p = s.Probability / (double)0x80000000u;
            sb.Append(' ').Append(prefix).Append("probability ").Append(p.ToString("F11", CultureInfo.InvariantCulture));
            return;
        }
        sb.Append(' ').Append(prefix).Append("mode nth").Append(s.Invert ? " !" : "");
        sb.Append(' ').Append(prefix).Append("every ").U(s.Every);
        if (s.Packet != 0 || prefix.Length > 0)
            sb.Append(' ').Append(prefix).Append("packet ").U(s.Packet);
    }

    private static string AddressTypeList(AddressTypes types) => FlagList((int)types, s_addressTypeNames);

    /// <summary>The names of the bits set in <paramref name="value"/>, in the table's order, joined by commas.</summary>
    private static string FlagList(int value, (int Flag, string Name)[] names)
        => string.Join(',', names.Where(n => (value & n.Flag) != 0).Select(n => n.Name));

    private static void AppendDimensions(StringBuilder sb, SetMatch set)
    {
        for (int d = 0; d < set.SourceDimensions.Count; d++)
        {
            if (d > 0)
                sb.Append(',');
            sb.Append(set.SourceDimensions[d] ? "src" : "dst");
        }
    }

    /// <summary>libxt_conntrack's conntrack_dump: prefix "ct" to print, "--ct" to save ("" and "--" for -m state).</summary>
    private static void DumpConntrack(StringBuilder sb, ConntrackMatch ct, string prefix)
    {
        if (ct.HasStates)
        {
            sb.Append(ct.StatesInvert ? " !" : "").Append(' ').Append(prefix).Append("state ").Append(FlagList((int)ct.States, s_stateNames));
        }
        if (ct.HasCtProto)
            sb.Append(ct.CtProtoInvert ? " !" : "").Append(' ').Append(prefix).Append("proto ").U(ct.CtProto);
        CtAddress(sb, prefix, "origsrc", ct.OrigSrc);
        CtAddress(sb, prefix, "origdst", ct.OrigDst);
        CtAddress(sb, prefix, "replsrc", ct.ReplSrc);
        CtAddress(sb, prefix, "repldst", ct.ReplDst);
        CtPort(sb, prefix, "origsrcport", ct.OrigSrcPort);
        CtPort(sb, prefix, "origdstport", ct.OrigDstPort);
        CtPort(sb, prefix, "replsrcport", ct.ReplSrcPort);
        CtPort(sb, prefix, "repldstport", ct.ReplDstPort);
        if (ct.HasStatus)
        {
            string status = FlagList((int)ct.Status, s_statusNames);
            sb.Append(ct.StatusInvert ? " !" : "").Append(' ').Append(prefix).Append("status ").Append(status.Length == 0 ? "NONE" : status);
        }
        if (ct.Direction != 0)
            sb.Append(' ').Append(prefix).Append("dir ").Append(ct.Direction == 2 ? "REPLY" : "ORIGINAL");
    }

    private static void CtAddress(StringBuilder sb, string prefix, string name, ConntrackMatch.AddressTest test)
    {
        if (!test.IsSet)
            return;
        sb.Append(test.Invert ? " !" : "").Append(' ').Append(prefix).Append(name).Append(' ')
            .Append(new Ipv4Address(test.Address).ToString()).Append(MaskSuffix(test.Mask));
    }

    private static void CtPort(StringBuilder sb, string prefix, string name, ConntrackMatch.PortTest test)
    {
        if (!test.IsSet)
            return;
        sb.Append(test.Invert ? " !" : "").Append(' ').Append(prefix).Append(name).Append(' ').U(test.Range.Min);
        if (!test.Range.IsSingle)
            sb.Append(':').U(test.Range.Max);
    }

    private static void DumpRecent(StringBuilder sb, RecentMatch r, bool save)
    {
        if (r.Invert)
            sb.Append(" !");
        string command = r.Mode switch
        {
            RecentMatch.Command.Set => save ? " --set" : " SET",
            RecentMatch.Command.Check => save ? " --rcheck" : " CHECK",
            RecentMatch.Command.Update => save ? " --update" : " UPDATE",
            _ => save ? " --remove" : " REMOVE",
        };
        if (!save)
            sb.Append(" recent:");
        sb.Append(command);
        if (r.Seconds != 0)
            sb.Append(save ? " --seconds " : " seconds: ").U(r.Seconds);
        if (r.Reap)
            sb.Append(save ? " --reap" : " reap");
        if (r.HitCount != 0)
            sb.Append(save ? " --hitcount " : " hit_count: ").U(r.HitCount);
        sb.Append(save ? " --name " : " name: ").Append(r.List.Name);
        if (save)
        {
            sb.Append(" --mask ").Append(new Ipv4Address(r.Mask).ToString()).Append(r.UseDestination ? " --rdest" : " --rsource");
        }
        else
        {
            sb.Append(r.UseDestination ? " side: dest" : " side: source").Append(" mask: ").Append(new Ipv4Address(r.Mask).ToString());
        }
    }

    // ---- matches: save (iptables-save, iptables -S)

    /// <summary>The match's name after <c>-m</c> and its options, each with a leading space.</summary>
    public static void SaveMatch(StringBuilder sb, XtMatch match)
    {
        sb.Append(" -m ").Append(match.Name);
        switch (match)
        {
            case CommentMatch c:
                sb.Append(" --comment");
                SaveString(sb, c.Text);
                break;
            case TcpUdpMatch t:
                SavePorts(sb, "--sport", t.SourcePorts, t.SourceInvert);
                SavePorts(sb, "--dport", t.DestinationPorts, t.DestinationInvert);
                if (t.FlagMask != 0 || t.FlagInvert)
                {
                    sb.Append(t.FlagInvert ? " !" : "").Append(" --tcp-flags ");
                    TcpFlagNames(sb, t.FlagMask);
                    sb.Append(' ');
                    TcpFlagNames(sb, t.FlagCompare);
                }
                break;
            case IcmpMatch i:
                sb.Append(i.Invert ? " !" : "");
                if (i.Type == 0xFF)
                {
                    sb.Append(" --icmp-type any");
                }
                else
                {
                    sb.Append(" --icmp-type ").U(i.Type);
                    if (i.MinCode != 0 || i.MaxCode != 0xFF)
                        sb.Append('/').U(i.MinCode);
                }
                break;
            case MultiportMatch m:
                sb.Append(m.Invert ? " !" : "").Append(m.Flags switch
                {
                    MultiportMatch.Direction.Source => " --sports ",
                    MultiportMatch.Direction.Destination => " --dports ",
                    _ => " --ports ",
                });
                AppendPortList(sb, m.Ports, numeric: true);
                break;
            case StatisticMatch s:
                PrintStatistic(sb, s, "--");
                break;
            case MarkMatch k:
                sb.Append(k.Invert ? " !" : "").Append(" --mark ").Hex(k.Value);
                if (k.Mask != uint.MaxValue)
                    sb.Append('/').Hex(k.Mask);
                break;
            case AddrTypeMatch a:
                if (a.SourceTypes != AddressTypes.None)
                    sb.Append(a.SourceInvert ? " !" : "").Append(" --src-type ").Append(AddressTypeList(a.SourceTypes));
                if (a.DestinationTypes != AddressTypes.None)
                    sb.Append(a.DestinationInvert ? " !" : "").Append(" --dst-type ").Append(AddressTypeList(a.DestinationTypes));
                if (a.LimitInterfaceIn)
                    sb.Append(" --limit-iface-in");
                if (a.LimitInterfaceOut)
                    sb.Append(" --limit-iface-out");
                break;
            case ConntrackMatch ct:
                DumpConntrack(sb, ct, ct.Name == "state" ? "--" : "--ct");
                break;
            case SetMatch set:
                sb.Append(set.Invert ? " !" : "").Append(" --match-set ").Append(set.SetName).Append(' ');
                AppendDimensions(sb, set);
                break;
            case RecentMatch r:
                DumpRecent(sb, r, save: true);
                break;
        }
    }

    private static void SavePorts(StringBuilder sb, string option, PortRange range, bool invert)
    {
        if (range.Min == 0 && range.Max == 65535 && !invert)
            return;
        sb.Append(invert ? " !" : "").Append(' ').Append(option).Append(' ').U(range.Min);
        if (!range.IsSingle)
            sb.Append(':').U(range.Max);
    }

    // ---- targets

    /// <summary>The target's print form (after the matches on an <c>iptables -L</c> line).</summary>
    public static void PrintTarget(StringBuilder sb, RuleTarget target, bool numeric)
    {
        switch (target.Kind)
        {
            case TargetKind.Reject:
                sb.Append(" reject-with ").Append(RejectName(target.RejectWith));
                break;
            case TargetKind.Mark:
            {
                uint v = target.MarkValue, m = target.MarkMask;
                if (v == 0)
                    sb.Append(" MARK and ").Hex(~m);
                else if (v == m)
                    sb.Append(" MARK or ").Hex(v);
                else if (m == 0)
                    sb.Append(" MARK xor ").Hex(v);
                else if (m == uint.MaxValue)
                    sb.Append(" MARK set ").Hex(v);
                else
                    sb.Append(" MARK xset ").Hex(v).Append('/').Hex(m);
                break;
            }
            case TargetKind.Dnat:
            case TargetKind.Snat:
                sb.Append(" to:").Append(target.NatRange.ToString());
                NatFlags(sb, target.NatRange.Flags, save: false);
                break;
            case TargetKind.Masquerade:
                if (target.NatRange.MapsPort)
                    sb.Append(" masq ports: ").Append(PortSpan(target.NatRange));
                NatFlags(sb, target.NatRange.Flags, save: false);
                break;
            case TargetKind.Log:
                sb.Append(" LOG");
                if (numeric)
                {
                    sb.Append(" flags ").U(target.LogFlags).Append(" level ").U(target.LogLevel);
                }
                else
                {
                    sb.Append(" level ").Append(target.LogLevel switch
                    {
                        0 => "emerg",
                        1 => "alert",
                        2 => "crit",
                        3 => "error",
                        4 => "warning",
                        5 => "notice",
                        6 => "info",
                        _ => "debug",
                    });
                    LogFlagWords(sb, target.LogFlags, save: false);
                }
                if (!string.IsNullOrEmpty(target.LogPrefix))
                    sb.Append(" prefix \"").Append(target.LogPrefix).Append('"');
                break;
        }
    }

    /// <summary>The target's part of a saved rule: <c> -j NAME</c> (<c> -g</c> for goto) and its options; nothing without a target.</summary>
    public static void SaveTarget(StringBuilder sb, RuleTarget target)
    {
        switch (target.Kind)
        {
            case TargetKind.None:
                return;
            case TargetKind.Goto:
                sb.Append(" -g ").Append(target.Name);
                return;
        }
        sb.Append(" -j ").Append(target.Name);
        switch (target.Kind)
        {
            case TargetKind.Reject:
                sb.Append(" --reject-with ").Append(RejectName(target.RejectWith));
                break;
            case TargetKind.Mark:
                sb.Append(" --set-xmark ").Hex(target.MarkValue).Append('/').Hex(target.MarkMask);
                break;
            case TargetKind.Dnat:
            case TargetKind.Snat:
                sb.Append(target.Kind == TargetKind.Dnat ? " --to-destination " : " --to-source ").Append(target.NatRange.ToString());
                NatFlags(sb, target.NatRange.Flags, save: true);
                break;
            case TargetKind.Masquerade:
                if (target.NatRange.MapsPort)
                    sb.Append(" --to-ports ").Append(PortSpan(target.NatRange));
                NatFlags(sb, target.NatRange.Flags, save: true);
                break;
            case TargetKind.Log:
                if (!string.IsNullOrEmpty(target.LogPrefix))
                {
                    sb.Append(" --log-prefix");
                    SaveString(sb, target.LogPrefix);
                }
                if (target.LogLevel != 4)
                    sb.Append(" --log-level ").U(target.LogLevel);
                LogFlagWords(sb, target.LogFlags, save: true);
                break;
        }
    }

    private static string PortSpan(NatRange range)
        => range.MinPort == range.MaxPort
            ? range.MinPort.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{range.MinPort}-{range.MaxPort}");

    private static void NatFlags(StringBuilder sb, NatRangeFlags flags, bool save)
    {
        string dashes = save ? " --" : " ";
        if ((flags & NatRangeFlags.ProtoRandom) != 0)
            sb.Append(dashes).Append("random");
        if ((flags & NatRangeFlags.ProtoRandomFully) != 0)
            sb.Append(dashes).Append("random-fully");
        if ((flags & NatRangeFlags.Persistent) != 0)
            sb.Append(dashes).Append("persistent");
    }

    private static void LogFlagWords(StringBuilder sb, byte flags, bool save)
    {
        string dashes = save ? " --log-" : " ";
        if ((flags & 0x01) != 0)
            sb.Append(dashes).Append("tcp-sequence");
        if ((flags & 0x02) != 0)
            sb.Append(dashes).Append("tcp-options");
        if ((flags & 0x04) != 0)
            sb.Append(dashes).Append("ip-options");
        if ((flags & 0x08) != 0)
            sb.Append(dashes).Append("uid");
        if ((flags & 0x20) != 0)
            sb.Append(dashes).Append("macdecode");
    }
}
