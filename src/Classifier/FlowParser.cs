using System.Globalization;
using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>
/// Parses OpenFlow flow text as <c>ovs-ofctl(8)</c> "Flow Syntax" defines it: the lines of
/// <c>add-flow</c>/<c>add-flows</c> input and of <c>dump-flows</c> output (whose statistics
/// <c>duration=</c>, <c>n_packets=</c>, <c>n_bytes=</c>, <c>idle_age=</c>, <c>hard_age=</c> are
/// accepted and kept, as ovs-ofctl accepts them so dumps can be fed back).
/// </summary>
/// <remarks>
/// Tokens are split as OVS's <c>ofputil_parse_key_value</c> does: pairs separated by commas or
/// white space, <c>key=value</c> or <c>key:value</c>; everything after the first <c>actions=</c>
/// is the action text, kept verbatim.  Field prerequisites are checked after the whole match is
/// read, so <c>tp_dst=80,tcp</c> is as good as <c>tcp,tp_dst=80</c>.  Errors are
/// <see cref="InputException"/>s naming FILE:LINE:COL, worded as ovs-ofctl words them.
/// </remarks>
public static class FlowParser
{
    private static readonly Dictionary<string, (ushort DlType, byte NwProto)> s_shorthands = new(StringComparer.Ordinal)
    {
        ["ip"] = (EtherTypes.IPv4, 0),
        ["ipv6"] = (EtherTypes.IPv6, 0),
        ["icmp"] = (EtherTypes.IPv4, IpProtocols.Icmp),
        ["icmp6"] = (EtherTypes.IPv6, IpProtocols.Icmpv6),
        ["tcp"] = (EtherTypes.IPv4, IpProtocols.Tcp),
        ["tcp6"] = (EtherTypes.IPv6, IpProtocols.Tcp),
        ["udp"] = (EtherTypes.IPv4, IpProtocols.Udp),
        ["udp6"] = (EtherTypes.IPv6, IpProtocols.Udp),
        ["sctp"] = (EtherTypes.IPv4, IpProtocols.Sctp),
        ["sctp6"] = (EtherTypes.IPv6, IpProtocols.Sctp),
        ["igmp"] = (EtherTypes.IPv4, 2),
        ["arp"] = (EtherTypes.Arp, 0),
        ["rarp"] = (EtherTypes.Rarp, 0),
        ["mpls"] = (EtherTypes.Mpls, 0),
        ["mplsm"] = (EtherTypes.MplsMulticast, 0),
    };

    private static readonly string[] s_keywords =
    [
        "table", "priority", "cookie", "idle_timeout", "hard_timeout", "importance", "duration", "n_packets",
        "n_bytes", "idle_age", "hard_age", "send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts",
        "no_byte_counts", "out_port", "out_group", "actions", "dl_vlan", "vlan_vid", "dl_vlan_pcp", "vlan_pcp",
    ];

    /// <summary>Words that are not fields but may start a key (for "did you mean" suggestions).</summary>
    public static IEnumerable<string> Keywords => s_keywords.Concat(s_shorthands.Keys);

    /// <summary>Parses an add-flow / dump-flows line; <c>actions=</c> is required.</summary>
    public static ParsedFlow Parse(string line, IPortMap? ports, string file = "<input>", int lineNumber = 1)
        => ParseCore(line, ports, file, lineNumber, requireActions: true);

    /// <summary>Parses a match-only line as <c>del-flows</c> and <c>dump-flows</c> filters take it (no actions).</summary>
    public static ParsedFlow ParseFilter(string line, IPortMap? ports, string file = "<input>", int lineNumber = 1)
        => ParseCore(line, ports, file, lineNumber, requireActions: false);

    /// <summary>
    /// Parses every flow line of an add-flows file as ovs-ofctl reads one (ds_get_preprocessed_line): a <c>#</c>
    /// starts a comment wherever it stands, and lines left blank are skipped.
    /// </summary>
    public static IEnumerable<ParsedFlow> ParseFile(TextReader reader, IPortMap? ports, string file = "<input>")
    {
        ArgumentNullException.ThrowIfNull(reader);
        int n = 0;
        while (reader.ReadLine() is { } line)
        {
            n++;
            int comment = line.IndexOf('#', StringComparison.Ordinal);
            string text = comment >= 0 ? line[..comment] : line;
            if (string.IsNullOrWhiteSpace(text))
                continue;
            yield return Parse(text, ports, file, n);
        }
    }

    private static ParsedFlow ParseCore(string line, IPortMap? ports, string file, int lineNumber, bool requireActions)
    {
        ArgumentNullException.ThrowIfNull(line);
        int actionsAt = line.IndexOf("action", StringComparison.Ordinal);
        string? actions = null;
        int actionsColumn = 0;
        int matchEnd = line.Length;
        if (actionsAt >= 0)
        {
            int eq = line.IndexOf('=', actionsAt);
            if (eq < 0)
                throw Error(file, lineNumber, actionsAt, "must specify an action after \"actions=\"");
            matchEnd = actionsAt;
            int start = eq + 1;
            while (start < line.Length && char.IsWhiteSpace(line[start]))
                start++;
            actions = line[start..].TrimEnd();
            actionsColumn = start + 1;
            if (!requireActions)
                throw Error(file, lineNumber, actionsAt, "actions are not allowed here (only a match)");
        }
        else if (requireActions)
        {
            throw Error(file, lineNumber, line.Length, "must specify an action (\"actions=...\")");
        }

        var b = new MatchBuilder();
        var set = new List<(FieldInfo Field, int Column)>();
        byte? table = null;
        int tableColumn = 0, cookieColumn = 0;
        ushort? priority = null;
        ulong cookie = 0, cookieMask = 0;
        ushort idle = 0, hard = 0, importance = 0;
        FlowModFlags flags = FlowModFlags.None;
        uint? outPort = null;
        TimeSpan? duration = null;
        long? nPackets = null, nBytes = null, idleAge = null, hardAge = null;

        int pos = 0;
        while (NextPair(line, ref pos, matchEnd, out int keyAt, out string key, out int valueAt, out string? value))
        {
            switch (key)
            {
                case "table":
                {
                    // ofputil_table_from_string: 0..255, where 255 (OFPTT_ALL) is "not given", or a
                    // name of the bridge's tables, bare or quoted.
                    string v = Need(file, lineNumber, keyAt, key, value);
                    TableNameMap? names = ports?.TableNames;
                    if (!TableNameMap.TryParse(v, names, out byte t))
                    {
                        var (what, hint) = TableNameMap.UnknownTable(v, names);
                        throw Error(file, lineNumber, valueAt, what, hint);
                    }
                    table = t == 255 ? null : t;
                    tableColumn = t == 255 ? 0 : keyAt + 1;
                    break;
                }
                case "priority":
                    priority = (ushort)ParseUInt(file, lineNumber, valueAt, key, value, ushort.MaxValue);
                    break;
                case "cookie":
                {
                    string v = Need(file, lineNumber, keyAt, key, value);
                    cookieColumn = keyAt + 1;
                    int slash = v.IndexOf('/', StringComparison.Ordinal);
                    cookie = (ulong)ParseUInt(file, lineNumber, valueAt, key, slash < 0 ? v : v[..slash], ulong.MaxValue);
                    if (slash >= 0)
                    {
                        string m = v[(slash + 1)..];
                        cookieMask = m == "-1" ? ulong.MaxValue : (ulong)ParseUInt(file, lineNumber, valueAt + slash + 1, key, m, ulong.MaxValue);
                    }
                    break;
                }
                case "idle_timeout":
                    idle = (ushort)ParseUInt(file, lineNumber, valueAt, key, value, ushort.MaxValue);
                    break;
                case "hard_timeout":
                    hard = (ushort)ParseUInt(file, lineNumber, valueAt, key, value, ushort.MaxValue);
                    break;
                case "importance":
                    importance = (ushort)ParseUInt(file, lineNumber, valueAt, key, value, ushort.MaxValue);
                    break;
                case "duration":
                {
                    string v = Need(file, lineNumber, keyAt, key, value).TrimEnd('s');
                    if (!double.TryParse(v, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double secs))
                        throw Error(file, lineNumber, valueAt, $"duration: '{value}' is not a number of seconds");
                    duration = TimeSpan.FromSeconds(secs);
                    break;
                }
                case "n_packets":
                    nPackets = (long)ParseUInt(file, lineNumber, valueAt, key, value, long.MaxValue);
                    break;
                case "n_bytes":
                    nBytes = (long)ParseUInt(file, lineNumber, valueAt, key, value, long.MaxValue);
                    break;
                case "idle_age":
                    idleAge = (long)ParseUInt(file, lineNumber, valueAt, key, value, long.MaxValue);
                    break;
                case "hard_age":
                    hardAge = (long)ParseUInt(file, lineNumber, valueAt, key, value, long.MaxValue);
                    break;
                case "send_flow_rem":
                    flags |= FlowModFlags.SendFlowRemoved;
                    break;
                case "check_overlap":
                    flags |= FlowModFlags.CheckOverlap;
                    break;
                case "reset_counts":
                    flags |= FlowModFlags.ResetCounts;
                    break;
                case "no_packet_counts":
                    flags |= FlowModFlags.NoPacketCounts;
                    break;
                case "no_byte_counts":
                    flags |= FlowModFlags.NoByteCounts;
                    break;
                case "out_port":
                {
                    FieldInfo inPort = FieldRegistry.Get(FieldId.InPort);
                    if (!FieldSyntax.TryParseValue(inPort, Need(file, lineNumber, keyAt, key, value), ports, out UInt128 p, out _, out string? perr))
                        throw Error(file, lineNumber, valueAt, perr!.Replace("in_port", "out_port", StringComparison.Ordinal));
                    outPort = (uint)p;
                    break;
                }
                case "dl_vlan" or "vlan_vid" or "dl_vlan_pcp" or "vlan_pcp":
                    SetVlan(b, file, lineNumber, valueAt, key, value);
                    break;
                default:
                    if (s_shorthands.TryGetValue(key, out var sh))
                    {
                        if (value is not null && value.Length > 0)
                            throw Error(file, lineNumber, keyAt, $"'{key}' is a protocol shorthand and takes no value");
                        b.Set(FieldId.EthType, sh.DlType);
                        if (sh.NwProto != 0)
                            b.Set(FieldId.NwProto, sh.NwProto);
                        break;
                    }
                    if (key.Contains('[', StringComparison.Ordinal))
                    {
                        set.Add((SetSubfield(b, file, lineNumber, keyAt, valueAt, key, value), keyAt));
                        break;
                    }
                    if (!FieldRegistry.TryGet(key, out FieldInfo? f))
                        throw Error(file, lineNumber, keyAt, FieldSyntax.UnknownFieldMessage(key));
                    if (f.Id is FieldId.TunTos or FieldId.TunTtl)
                        throw Error(file, lineNumber, keyAt, $"{key}: no OpenFlow version can match this field (ovs-ofctl: actions are invalid with specified match (OFPBAC_MATCH_INCONSISTENT))", "OVS has tun_tos and tun_ttl in its flows, but neither NXM nor OXM can carry a match on them");
                    // ovs-ofctl's parse_field reads an empty value as "0/0": a wildcard for a number,
                    // an error for an address or a port, which have no such form.
                    bool empty = string.IsNullOrEmpty(value);
                    if (!FieldSyntax.TryParseValue(f, empty ? "0/0" : value!, ports, out UInt128 fv, out UInt128 fm, out string? err))
                    {
                        throw empty
                            ? Error(file, lineNumber, valueAt, $"{key}: missing value", $"ovs-ofctl reads an empty value as 0/0, which {key} does not accept ({err})")
                            : Error(file, lineNumber, valueAt, err!);
                    }
                    b.Set(f, fv, fm);
                    set.Add((f, keyAt));
                    break;
            }
        }

        Match match = b.Build();
        foreach (var (f, col) in set)
        {
            if (match.GetMask(f) == 0)
                continue;
            // icmp_type and icmp_code are tp_src/tp_dst of ICMP or ICMPv6: after icmp6 they are ICMPv6's, as OVS reads them.
            FieldInfo checkedAs = f.Id switch
            {
                FieldId.IcmpType when Prerequisites.Check(match, FieldRegistry.Get(FieldId.Icmpv6Type)) is null => FieldRegistry.Get(FieldId.Icmpv6Type),
                FieldId.IcmpCode when Prerequisites.Check(match, FieldRegistry.Get(FieldId.Icmpv6Code)) is null => FieldRegistry.Get(FieldId.Icmpv6Code),
                _ => f,
            };
            if (Prerequisites.Check(match, checkedAs) is { } why)
                throw Error(file, lineNumber, col, why);
        }

        IReadOnlyList<Conjunction> conj = [];
        if (actions is not null)
        {
            try
            {
                conj = ConjunctionActions.Extract(actions);
            }
            catch (FormatException ex)
            {
                throw Error(file, lineNumber, actionsColumn - 1, ex.Message);
            }
        }

        return new ParsedFlow
        {
            File = file,
            Line = lineNumber,
            Table = table,
            TableColumn = tableColumn,
            CookieColumn = cookieColumn,
            PriorityGiven = priority,
            Cookie = cookie,
            CookieMask = cookieMask,
            Match = match,
            IdleTimeout = idle,
            HardTimeout = hard,
            Importance = importance,
            Flags = flags,
            OutPort = outPort,
            ActionsText = actions,
            ActionsColumn = actionsColumn,
            Conjunctions = conj,
            Duration = duration,
            PacketCount = nPackets,
            ByteCount = nBytes,
            IdleAge = idleAge,
            HardAge = hardAge,
        };
    }

    /// <summary>
    /// The OpenFlow 1.0 and OXM views of the 802.1Q tag, written into vlan_tci as OVS's match_set_dl_vlan,
    /// match_set_vlan_vid_masked and match_set_dl_vlan_pcp do: <c>dl_vlan=N</c> is VID N with the tag
    /// present (0xffff: no tag), <c>vlan_vid=0x1000|N</c> the OXM form with its present bit, and
    /// <c>dl_vlan_pcp=N</c> / <c>vlan_pcp=N</c> the priority with the tag present. An empty value is
    /// no constraint, as ovs-ofctl's 0/0. A value wider than the field is refused: ovs-ofctl would
    /// silently keep its low bits (dl_vlan=5000 matching VLAN 904).
    /// </summary>
    private static void SetVlan(MatchBuilder b, string file, int line, int valueAt, string key, string? value)
    {
        if (string.IsNullOrEmpty(value))
            return;
        bool pcp = key.EndsWith("pcp", StringComparison.Ordinal);
        int slash = value.IndexOf('/', StringComparison.Ordinal);
        string v = slash < 0 ? value : value[..slash];
        uint max = pcp ? 7u : key == "vlan_vid" ? 0x1fffu : 0xfffu;
        if (!FieldSyntax.TryParseInteger(v, out UInt128 n) || (n > max && !(key == "dl_vlan" && n == 0xffff)))
            throw Error(file, line, valueAt, $"{v}: invalid value for field {key}", $"{key} is a number from 0 to {max}" + (key == "dl_vlan" ? " (or 0xffff: no VLAN tag)" : ""));
        UInt128 m = UInt128.MaxValue;
        if (slash >= 0 && (key != "vlan_vid" || !FieldSyntax.TryParseInteger(value.AsSpan(slash + 1), out m)))
            throw Error(file, line, valueAt, $"{value}: invalid mask for field {key}");
        FieldInfo tci = FieldRegistry.Get(FieldId.VlanTci);
        uint tv = (uint)FieldRegistry.Read(in b.Value, tci), tm = (uint)FieldRegistry.Read(in b.Mask, tci);
        (uint bits, uint set) = key switch
        {
            "dl_vlan" when n == 0xffff => (0xffffu, 0u),
            "dl_vlan" => (0x1fffu, VlanTag.Cfi | (uint)n),
            "vlan_vid" => ((uint)(m & 0x1fff), (uint)n & (uint)(m & 0x1fff)),
            _ => (0xf000u, VlanTag.Cfi | ((uint)n << 13)),
        };
        b.Set(tci, (tv & ~bits) | set, tm | bits);
    }

    /// <summary>
    /// A subfield match, <c>reg0[0..3]=0x5</c> or <c>NXM_NX_REG0[4]=1</c>, merged into the field's value and mask as
    /// OVS's parse_subfield does: the bits of the range take the value, the field's other bits keep what earlier
    /// keys set (<c>reg0=0x10/0xf0,reg0[0..3]=5</c> is <c>reg0=0x15/0xff</c>). The value is a plain integer.
    /// </summary>
    private static FieldInfo SetSubfield(MatchBuilder b, string file, int line, int keyAt, int valueAt, string key, string? value)
    {
        if (!FieldSyntax.TryParseSubfield(key, out Subfield sf, out string? error))
            throw Error(file, line, keyAt, error!);
        if (!FieldSyntax.TryParseInteger(value ?? "", out UInt128 v) || (value ?? "").Trim().Length != (value ?? "").Length)
            throw Error(file, line, valueAt, $"{key}: cannot parse integer value: {value}");
        if (sf.Count < 128 && v >> sf.Count != 0)
            throw Error(file, line, valueAt, $"{key}: value {FieldSyntax.CHex(v)} does not fit into {sf.Count} bits");
        FieldInfo f = sf.Field;
        if (!f.Maskable && !sf.IsWholeField)
            throw Error(file, line, keyAt, $"{key}: {f.Name} does not support masking (ovs-fields(7) lists it as not maskable), so only the whole field may be matched");
        UInt128 bits = sf.FieldMask;
        UInt128 oldValue = FieldRegistry.Read(in b.Value, f), oldMask = FieldRegistry.Read(in b.Mask, f);
        b.Set(f, (oldValue & ~bits) | (v << sf.Start), oldMask | bits);
        return f;
    }

    // ofputil_parse_key_value: skip ", \t\r\n"; key ends at one of ":=(, \t\r\n"; a value after
    // '=' or ':' ends at ", \t\r\n" outside quotes and parentheses; after '(' it ends at ')'.
    private static bool NextPair(string s, ref int pos, int end, out int keyAt, out string key, out int valueAt, out string? value)
    {
        while (pos < end && s[pos] is ',' or ' ' or '\t' or '\r' or '\n')
            pos++;
        keyAt = pos;
        valueAt = pos;
        key = string.Empty;
        value = null;
        if (pos >= end)
            return false;
        int k = pos;
        while (k < end && s[k] is not (':' or '=' or '(' or ',' or ' ' or '\t' or '\r' or '\n'))
            k++;
        key = s[pos..k];
        char delim = k < end ? s[k] : '\0';
        pos = k < end ? k + 1 : k;
        if (delim is not (':' or '=' or '('))
            return true;
        valueAt = pos;
        int depth = delim == '(' ? 1 : 0;
        bool quoted = false;
        int v = pos;
        while (v < end)
        {
            char c = s[v];
            if (quoted)
            {
                if (c == '\\' && v + 1 < end)
                    v++;
                else if (c == '"')
                    quoted = false;
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == '(')
            {
                depth++;
            }
            else if (c == ')')
            {
                depth--;
                if (depth == 0 && delim == '(')
                    break;
            }
            else if (depth == 0 && c is ',' or ' ' or '\t' or '\r' or '\n')
            {
                break;
            }
            v++;
        }
        value = s[pos..v];
        pos = v < end && delim == '(' ? v + 1 : v;
        return true;
    }

    // A keyword's empty value is an error, in ovs-ofctl's words, located at the keyword.
    private static string Need(string file, int line, int col, string key, string? value)
        => string.IsNullOrEmpty(value) ? throw Error(file, line, col, $"field {key} missing value") : value;

    private static UInt128 ParseUInt(string file, int line, int col, string key, string? value, UInt128 max)
    {
        string v = Need(file, line, col, key, value);
        if (!FieldSyntax.TryParseInteger(v, out UInt128 n) || n > max)
            throw Error(file, line, col, $"invalid {key} \"{v}\"", $"{key} is a number from 0 to {max}");
        return n;
    }

    private static InputException Error(string file, int line, int zeroBasedColumn, string message, string? hint = null)
        => new(file, line, zeroBasedColumn + 1, message, hint);
}
