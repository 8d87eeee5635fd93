using System.Globalization;
using Datapath.Classifier;
using Datapath.Conntrack;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

/// <summary>
/// Parses the <c>actions=</c> part of an ovs-ofctl flow (ovs-actions(7) syntax) into an
/// <see cref="ActionList"/>. Not a hot path; port names are resolved through <see cref="IPortMap"/>.
/// </summary>
/// <remarks>
/// The action text is a fragment of a larger input (a flow line after <c>actions=</c>, a group's
/// bucket), so errors are <see cref="InputException"/>s located in <see cref="Fragment"/>: line 1,
/// the 1-based column of the offending token within the action text. The caller, which knows where
/// the text starts, re-bases them with <see cref="InputException.Within"/>.
/// </remarks>
public static partial class ActionParser
{
    /// <summary>The file name of an action-text error before its caller re-bases it.</summary>
    public const string Fragment = "ACTIONS";

    /// <summary>An error at the 0-based <paramref name="offset"/> of the action text.</summary>
    internal static InputException Error(string what, int offset, string? hint = null) => new(Fragment, 1, offset + 1, what, hint);

    /// <summary>Parses a comma-separated action list. An empty text or <c>drop</c> alone gives an empty list.</summary>
    public static ActionList Parse(string text, IPortMap? ports)
    {
        ArgumentNullException.ThrowIfNull(text);
        var items = new List<FlowAction>();
        var offsets = new List<int>();
        int dropAt = -1;
        foreach (var (start, length) in SplitTopLevel(text, 0, text.Length))
        {
            var action = ParseOne(text, start, length, ports);
            if (action is SimpleAction { Kind: ActionKind.Drop })
                dropAt = dropAt < 0 ? start : dropAt;
            if (action is not null)
            {
                items.Add(action);
                offsets.Add(start);
            }
        }
        for (int i = 1; i < items.Count; i++)
        {
            if (items[i] is MeterAction)
                throw Error("invalid instruction ordering: meter must appear before apply_actions, for OpenFlow 1.1+ compatibility", offsets[i]);
        }
        if (dropAt >= 0 && items.Any(a => a is not SimpleAction { Kind: ActionKind.Drop }))
            throw Error("\"drop\" must not be accompanied by any other action or instruction", dropAt);
        CheckInstructionOrder(items, offsets);
        for (int i = 0; i < items.Count; i++)
        {
            // ofpacts_check: ct_mark and ct_label are written by ct(commit,exec(...)) only.
            FieldRef? dst = items[i] switch { SetFieldAction sf => sf.Destination, MoveAction mv => mv.Destination, StackAction { Kind: ActionKind.Pop } p => p.Field, _ => null };
            if (dst is { Field.Id: FieldId.CtMark or FieldId.CtLabel })
                throw Error("cannot set CT fields outside of ct action", offsets[i], "write ct_mark and ct_label inside ct(commit,exec(...))");
        }
        return new ActionList([.. items], [.. offsets]);
    }

    // ofpacts_verify's instruction order (OpenFlow 1.1+): apply_actions, clear_actions, write_actions,
    // write_metadata, goto_table, each instruction at most once.
    private static void CheckInstructionOrder(List<FlowAction> items, List<int> offsets)
    {
        int last = 0;
        for (int i = 0; i < items.Count; i++)
        {
            int rank = InstructionRank(items[i]);
            if (rank != 0 && rank == last)
                throw Error($"duplicate {InstructionName(rank)} instruction not allowed, for OpenFlow 1.1+ compatibility", offsets[i]);
            if (rank < last)
                throw Error($"invalid instruction ordering: {InstructionName(rank)} must appear before {InstructionName(last)}, for OpenFlow 1.1+ compatibility", offsets[i]);
            last = rank;
        }
    }

    private static int InstructionRank(FlowAction a) => a switch
    {
        SimpleAction { Kind: ActionKind.ClearActions } => 1,
        NestedActions { Kind: ActionKind.WriteActions } => 2,
        SetFieldAction { Keyword: "write_metadata" } => 3,
        ResubmitAction { IsGotoTable: true } => 4,
        _ => 0,
    };

    private static string InstructionName(int rank) => rank switch
    {
        1 => "clear_actions",
        2 => "write_actions",
        3 => "write_metadata",
        4 => "goto_table",
        _ => "apply_actions",
    };

    // An inner list's offsets made relative to the whole action text.
    private static ActionList Rebased(ActionList inner, int offset)
    {
        var offsets = new int[inner.Count];
        for (int i = 0; i < offsets.Length; i++)
            offsets[i] = inner.OffsetOf(i) + offset;
        return new ActionList([.. inner.Items], offsets);
    }

    // write_metadata:VALUE[/MASK]: metadata = (metadata & ~MASK) | (VALUE & MASK), printed as OVS prints it (%#x, the
    // mask only when it is not all ones).
    private static SetFieldAction ParseWriteMetadata(string arg, int offset)
    {
        int slash = arg.IndexOf('/', StringComparison.Ordinal);
        UInt128 v = ParseUInt128(slash < 0 ? arg : arg[..slash], offset, "write_metadata");
        UInt128 m = slash < 0 ? ulong.MaxValue : ParseUInt128(arg[(slash + 1)..], offset + slash + 1, "write_metadata mask");
        if (v > ulong.MaxValue || m > ulong.MaxValue)
            throw Error($"write_metadata: {arg} does not fit in 64 bits", offset);
        var metadata = FieldRegistry.Get(FieldId.Metadata);
        string text = FieldSyntax.CHex(v) + (m == ulong.MaxValue ? "" : "/" + FieldSyntax.CHex(m));
        return new SetFieldAction(FieldRef.Whole(metadata), v, m, SetFieldSyntax.Mod, "write_metadata", text);
    }

    /// <summary>Splits [start, start+length) at commas outside parentheses, trimming spaces.</summary>
    internal static List<(int Start, int Length)> SplitTopLevel(string text, int start, int length)
    {
        var parts = new List<(int, int)>();
        int depth = 0, begin = start, end = start + length;
        for (int i = start; i <= end; i++)
        {
            char c = i < end ? text[i] : ',';
            if (c == '(')
                depth++;
            else if (c == ')')
            {
                if (--depth < 0)
                    throw Error("unbalanced ')'", i);
            }
            else if (c == ',' && depth == 0)
            {
                int s = begin, e = i;
                while (s < e && char.IsWhiteSpace(text[s]))
                    s++;
                while (e > s && char.IsWhiteSpace(text[e - 1]))
                    e--;
                if (e > s)
                    parts.Add((s, e - s)); // ovs-ofctl skips an empty element ("output:1,,output:2")
                begin = i + 1;
            }
        }
        if (depth != 0)
            throw Error("unbalanced '('", start + length);
        return parts;
    }

    private static FlowAction? ParseOne(string text, int start, int length, IPortMap? ports)
    {
        string token = text.Substring(start, length);
        int colon = token.IndexOf(':', StringComparison.Ordinal);
        int paren = token.IndexOf('(', StringComparison.Ordinal);
        string keyword;
        string? arg = null;
        int argOffset = start;
        bool parenForm = false;
        if (paren >= 0 && (colon < 0 || paren < colon))
        {
            if (token[^1] != ')')
                throw Error($"'{token}': text after ')'", start + length - 1);
            keyword = token[..paren];
            arg = token[(paren + 1)..^1];
            argOffset = start + paren + 1;
            parenForm = true;
        }
        else if (colon >= 0)
        {
            keyword = token[..colon];
            arg = token[(colon + 1)..];
            argOffset = start + colon + 1;
        }
        else
            keyword = token;

        string kw = keyword.ToLowerInvariant();
        switch (kw)
        {
            case "drop" when arg is null:
                return new SimpleAction(ActionKind.Drop, "drop");
            case "dec_ttl" when arg is null || parenForm:
                return DecTtlAction.Parse(arg ?? "", argOffset);
            case "push" or "pop" when !parenForm:
                {
                    var f = kw == "pop" ? ParseWritable(RequireArg(arg, keyword, start), argOffset) : ParseFieldRef(RequireArg(arg, keyword, start), argOffset);
                    return new StackAction(kw == "pop" ? ActionKind.Pop : ActionKind.Push, f);
                }
            case "pop_vlan" or "strip_vlan" when arg is null:
                return new SimpleAction(ActionKind.PopVlan, keyword);
            case "ct_clear" when arg is null:
                return new SimpleAction(ActionKind.CtClear, "ct_clear");
            case "output" when parenForm:
                return ParseOutputTruncated(RequireArg(arg, keyword, start), argOffset, ports);
            case "output":
                return ParseOutput(RequireArg(arg, keyword, start), argOffset, ports);
            case "load":
                return ParseLoad(RequireArg(arg, keyword, start), argOffset);
            case "set_field":
                return ParseSetField(RequireArg(arg, keyword, start), argOffset, ports);
            case "move":
                return ParseMove(RequireArg(arg, keyword, start), argOffset);
            case "mod_dl_src" or "mod_dl_dst":
                return ParseMod(keyword, RequireArg(arg, keyword, start), argOffset, kw == "mod_dl_src" ? FieldId.EthSrc : FieldId.EthDst);
            case "mod_nw_src" or "mod_nw_dst":
                return ParseMod(keyword, RequireArg(arg, keyword, start), argOffset, kw == "mod_nw_src" ? FieldId.NwSrc : FieldId.NwDst);
            case "mod_tp_src" or "mod_tp_dst":
                return ParseMod(keyword, RequireArg(arg, keyword, start), argOffset, kw == "mod_tp_src" ? FieldId.TpSrc : FieldId.TpDst);
            case "mod_nw_tos":
                return ParseMod(keyword, RequireArg(arg, keyword, start), argOffset, FieldId.NwTos);
            case "mod_nw_ttl":
                return ParseMod(keyword, RequireArg(arg, keyword, start), argOffset, FieldId.NwTtl);
            case "mod_nw_ecn":
                return ParseMod(keyword, RequireArg(arg, keyword, start), argOffset, FieldId.NwEcn);
            case "set_tunnel" or "set_tunnel64":
                {
                    // NXAST_SET_TUNNEL(64): tun_id; printed in hex, as set_tunnel64 when it needs more than 32 bits.
                    UInt128 id = ParseUInt128(RequireArg(arg, keyword, start), argOffset, keyword);
                    if (id > ulong.MaxValue)
                        throw Error($"{keyword}: {arg} does not fit in 64 bits", argOffset);
                    string name = kw == "set_tunnel64" || id > uint.MaxValue ? "set_tunnel64" : "set_tunnel";
                    var tunId = FieldRegistry.Get(FieldId.TunId);
                    return new SetFieldAction(FieldRef.Whole(tunId), id, tunId.FullMask, SetFieldSyntax.Mod, name, "0x" + ((ulong)id).ToString("x", System.Globalization.CultureInfo.InvariantCulture));
                }
            case "mod_vlan_vid" or "set_vlan_vid":
                return ParseVlan(keyword, RequireArg(arg, keyword, start), argOffset, pcp: false);
            case "mod_vlan_pcp" or "set_vlan_pcp":
                return ParseVlan(keyword, RequireArg(arg, keyword, start), argOffset, pcp: true);
            case "resubmit":
                return ParseResubmit(RequireArg(arg, keyword, start), argOffset, parenForm, ports);
            case "goto_table":
                return new ResubmitAction(null, ParseTable(RequireArg(arg, keyword, start), argOffset, ports), gotoTable: true);
            case "ct":
                return ParseCt(arg ?? "", argOffset, ports);
            case "conjunction" when parenForm:
                return ParseConjunction(arg!, argOffset);
            case "group":
                return new GroupAction(ParseUInt32(RequireArg(arg, keyword, start), argOffset, "group id"));
            case "push_vlan":
                {
                    ushort et = (ushort)ParseUInt32(RequireArg(arg, keyword, start), argOffset, "ethertype");
                    if (et is not (EtherTypes.Vlan or EtherTypes.QinQ))
                        throw Error($"push_vlan: ethertype 0x{et:x4} is not 0x8100 or 0x88a8", argOffset);
                    return new PushVlanAction(et);
                }
            case "note":
                return ParseNote(arg ?? "", argOffset);
            case "controller":
                return ControllerAction.Parse(arg, parenForm, argOffset);
            case "learn" when parenForm:
                return LearnAction.Parse(arg!, argOffset, ports);
            case "fin_timeout" when parenForm:
                return FinTimeoutAction.Parse(arg!, argOffset);
            case "meter":
                return new MeterAction(ParseUInt32(RequireArg(arg, keyword, start), argOffset, "meter id"));
            case "write_actions" or "clone" when parenForm:
                {
                    var inner = Parse(arg!, ports);
                    return new NestedActions(kw == "clone" ? ActionKind.Clone : ActionKind.WriteActions, Rebased(inner, argOffset));
                }
            case "clear_actions" when arg is null:
                return new SimpleAction(ActionKind.ClearActions, "clear_actions");
            case "exit" when arg is null:
                return new SimpleAction(ActionKind.Exit, "exit");
            case "set_queue":
                return new SimpleAction(ActionKind.Queue, "set_queue:" + ParseUInt32(RequireArg(arg, keyword, start), argOffset, "queue id").ToString(CultureInfo.InvariantCulture));
            case "pop_queue" when arg is null:
                return new SimpleAction(ActionKind.Queue, "pop_queue");
            case "write_metadata":
                return ParseWriteMetadata(RequireArg(arg, keyword, start), argOffset);
            case "sample" when parenForm:
                return ParseSample(arg!, argOffset, ports);
            case "enqueue":
                return ParseEnqueue(arg ?? "", argOffset, ports);
            case "bundle" or "bundle_load" when parenForm:
                return ParseBundle(arg!, argOffset, load: kw == "bundle_load", ports);
            case "multipath" when parenForm:
                return ParseMultipath(arg!, argOffset);
            case "push_mpls" or "pop_mpls":
                return ParsePushPopMpls(kw, RequireArg(arg, keyword, start), argOffset, push: kw == "push_mpls");
            case "set_mpls_label":
                return ParseSetMpls(kw, arg ?? "", argOffset, FieldId.MplsLabel);
            case "set_mpls_tc":
                return ParseSetMpls(kw, arg ?? "", argOffset, FieldId.MplsTc);
            case "set_mpls_ttl":
                return ParseSetMpls(kw, arg ?? "", argOffset, FieldId.MplsTtl);
            case "dec_mpls_ttl" when arg is null:
                return MplsAction.DecTtl();
            case "check_pkt_larger":
                throw Error($"action '{keyword}' is not supported by this datapath", start);
        }
        if (arg is null)
        {
            // A bare port: a number, a reserved name (IN_PORT, NORMAL, LOCAL...) or a port name.
            if (TryParsePort(token, ports, out _))
                return new OutputAction(ParseOutputPort(token, start, ports), token, bare: true);
        }
        throw Error($"unknown action '{keyword}'", start);
    }

    private static string RequireArg(string? arg, string keyword, int offset)
        => string.IsNullOrEmpty(arg) ? throw Error($"{keyword}: argument missing", offset) : arg;

    // ---- fields

    /// <summary>Parses <c>NAME</c>, <c>NAME[]</c>, <c>NAME[n]</c> or <c>NAME[a..b]</c>.</summary>
    public static FieldRef ParseFieldRef(string text, int offset)
    {
        text = text.Trim();
        int lb = text.IndexOf('[', StringComparison.Ordinal);
        string name = lb < 0 ? text : text[..lb];
        if (VlanFieldViews.IsMatchOnly(name))
            throw Error($"{name} is a match field only: OVS 3.1 has no OpenFlow encoding for writing it (it sends set_field:N->dl_vlan as a write of in_port); write vlan_vid, vlan_pcp or vlan_tci", offset);
        if (VlanFieldViews.TryGet(name, out int viewStart, out int viewWidth))
            return ParseVlanView(text, name, lb, viewStart, viewWidth, offset);
        if (!FieldRegistry.TryGet(name, out var field))
            throw Error($"unknown field '{name}'", offset);
        if (lb < 0)
            return FieldRef.Whole(field, name, brackets: false);
        if (text[^1] != ']')
            throw Error($"'{text}': missing ']'", offset + text.Length);
        string range = text[(lb + 1)..^1];
        if (range.Length == 0)
            return FieldRef.Whole(field, name);
        int dots = range.IndexOf("..", StringComparison.Ordinal);
        int a, b;
        if (dots < 0)
        {
            if (!int.TryParse(range, NumberStyles.None, CultureInfo.InvariantCulture, out a))
                throw Error($"'{range}' is not a bit number", offset + lb + 1);
            b = a;
        }
        else if (!int.TryParse(range.AsSpan(0, dots), NumberStyles.None, CultureInfo.InvariantCulture, out a)
                 || !int.TryParse(range.AsSpan(dots + 2), NumberStyles.None, CultureInfo.InvariantCulture, out b))
            throw Error($"'{range}' is not a bit range (a..b)", offset + lb + 1);
        if (b < a || b >= field.BitWidth)
            throw Error($"bits {a}..{b} are outside {field.Name}, which has {field.BitWidth} bits", offset + lb + 1);
        return new FieldRef(field, a, b - a + 1, name);
    }

    // OXM_OF_VLAN_VID[a..b] / OXM_OF_VLAN_PCP[a..b] as the bits of vlan_tci they are; vlan_vid / vlan_pcp without a range
    // (set_field's spelling): the whole view (for vlan_vid the present bit too, OVS's 13-bit value).
    private static FieldRef ParseVlanView(string text, string name, int lb, int viewStart, int viewWidth, int offset)
    {
        var tci = FieldRegistry.Get(FieldId.VlanTci);
        if (lb < 0)
            return new FieldRef(tci, viewStart, viewStart == 0 ? viewWidth + 1 : viewWidth, name, brackets: false);
        if (text[^1] != ']')
            throw Error($"'{text}': missing ']'", offset + text.Length);
        string range = text[(lb + 1)..^1];
        int a = 0, b = viewWidth - 1, dots = range.IndexOf("..", StringComparison.Ordinal);
        if (range.Length > 0 && (dots < 0
                ? !int.TryParse(range, NumberStyles.None, CultureInfo.InvariantCulture, out a) || (b = a) < 0
                : !int.TryParse(range.AsSpan(0, dots), NumberStyles.None, CultureInfo.InvariantCulture, out a)
                  || !int.TryParse(range.AsSpan(dots + 2), NumberStyles.None, CultureInfo.InvariantCulture, out b)))
            throw Error($"'{range}' is not a bit range (a..b)", offset + lb + 1);
        if (b < a || b >= viewWidth)
            throw Error($"bits {a}..{b} are outside {name}, which has {viewWidth} bits", offset + lb + 1);
        return new FieldRef(tci, viewStart + a, b - a + 1, name);
    }

    private static FieldRef ParseWritable(string text, int offset)
    {
        var f = ParseFieldRef(text, offset);
        if (!f.Field.Writable)
            throw Error($"field {f.Field.Name} is read-only", offset);
        return f;
    }

    private static (string Left, string Right, int RightOffset) SplitArrow(string arg, int offset, string keyword)
    {
        int arrow = arg.IndexOf("->", StringComparison.Ordinal);
        if (arrow < 0)
            throw Error($"{keyword}: expected 'SRC->DST'", offset);
        return (arg[..arrow], arg[(arrow + 2)..], offset + arrow + 2);
    }

    private static SetFieldAction ParseLoad(string arg, int offset)
    {
        var (left, right, rightOffset) = SplitArrow(arg, offset, "load");
        var dst = ParseWritable(right, rightOffset);
        UInt128 value = ParseUInt128(left, offset, "load value");
        if ((value & ~dst.ValueMask) != UInt128.Zero)
            throw Error($"load: value {left} does not fit in {dst.Count} bits of {dst}", offset);
        return new SetFieldAction(dst, value, dst.ValueMask, SetFieldSyntax.Load);
    }

    private static SetFieldAction ParseSetField(string arg, int offset, IPortMap? ports)
    {
        var (left, right, rightOffset) = SplitArrow(arg, offset, "set_field");
        var dst = ParseWritable(right, rightOffset);
        if (VlanFieldViews.IsView(dst))
            return ParseSetVlanView(left, dst, offset);
        if (!FieldSyntax.TryParseValue(dst.Field, left, ports, out var value, out var mask, out var error))
            throw Error($"set_field: {error}", offset);
        if (!dst.IsWhole)
        {
            value = (value >> dst.Start) & dst.ValueMask;
            mask = (mask >> dst.Start) & dst.ValueMask;
            if (mask == UInt128.Zero)
                mask = dst.ValueMask;
        }
        return new SetFieldAction(dst, value, mask, SetFieldSyntax.SetField, valueText: left);
    }

    // set_field:N[/M]->vlan_vid and ->vlan_pcp. vlan_vid takes OpenFlow 1.2's 13-bit form, and its present bit goes into
    // value and mask whether written or not (OpenFlow 1.5 requires it there; OVS dumps set_field:5->vlan_vid as
    // set_field:4101->vlan_vid); both print as OVS's mf_format does, the value in decimal and a mask in hex.
    private static SetFieldAction ParseSetVlanView(string text, FieldRef dst, int offset)
    {
        bool vid = !VlanFieldViews.IsPcp(dst);
        uint max = vid ? 0x1fffu : 7u;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string v = (slash < 0 ? text : text[..slash]).Trim();
        UInt128 m = dst.ValueMask;
        if (!FieldSyntax.TryParseInteger(v, out UInt128 value) || value > max
            || (slash >= 0 && (!FieldSyntax.TryParseInteger(text.AsSpan(slash + 1).Trim(), out m) || m > max)))
            throw Error($"set_field: {text} is not a valid value for field {dst.Name} ({(vid ? "a VID, 0x1000 for the present bit: at most 0x1fff" : "0 to 7")})", offset);
        if (vid)
        {
            value |= VlanTag.Cfi;
            m |= VlanTag.Cfi;
        }
        string shown = value.ToString(CultureInfo.InvariantCulture) + (m == dst.ValueMask ? "" : "/0x" + m.ToString("x", CultureInfo.InvariantCulture));
        return new SetFieldAction(dst, value, m, SetFieldSyntax.SetField, valueText: shown);
    }

    private static MoveAction ParseMove(string arg, int offset)
    {
        var (left, right, rightOffset) = SplitArrow(arg, offset, "move");
        var src = ParseFieldRef(left, offset);
        var dst = ParseWritable(right, rightOffset);
        if (src.Count != dst.Count)
            throw Error($"move: source {src} has {src.Count} bits but destination {dst} has {dst.Count}", offset);
        return new MoveAction(src, dst);
    }

    private static SetFieldAction ParseMod(string keyword, string arg, int offset, FieldId id)
    {
        var field = FieldRegistry.Get(id);
        UInt128 value;
        switch (field.Format)
        {
            case FieldFormat.Mac:
                if (!MacAddress.TryParse(arg, out var mac))
                    throw Error($"{keyword}: '{arg}' is not a MAC address", offset);
                value = mac.Value;
                break;
            case FieldFormat.Ipv4:
                if (!Ipv4Address.TryParse(arg, out var ip))
                    throw Error($"{keyword}: '{arg}' is not an IPv4 address", offset);
                value = ip.Value;
                break;
            default:
                value = ParseUInt128(arg, offset, keyword);
                if (id == FieldId.NwTos && (value > 255 || (value & 3) != 0))
                    throw Error($"{keyword}: {arg} is not a DSCP value in place (a multiple of 4, at most 252)", offset);
                if ((value & ~field.FullMask) != UInt128.Zero)
                    throw Error($"{keyword}: {arg} does not fit in {field.BitWidth} bits", offset);
                break;
        }
        return new SetFieldAction(FieldRef.Whole(field), value, field.FullMask, SetFieldSyntax.Mod, keyword, arg);
    }

    private static SetFieldAction ParseVlan(string keyword, string arg, int offset, bool pcp)
    {
        uint v = ParseUInt32(arg, offset, keyword);
        if (pcp ? v > 7 : v > 4095)
            throw Error($"{keyword}: {arg} is out of range (0..{(pcp ? 7 : 4095)})", offset);
        var tci = FieldRegistry.Get(FieldId.VlanTci);
        // The CFI/"present" bit is set too: modifying the VID or PCP of an untagged packet pushes a tag (OpenFlow
        // 1.0). set_vlan_vid/pcp are OpenFlow 1.1's spellings, which leave an untagged packet alone; but ovs-ofctl
        // can send them to a switch only as OpenFlow 1.0's actions (its usable protocols for them are OpenFlow10
        // and NXM), so the switch installs, runs and dumps mod_vlan_vid/pcp: so do we.
        string name = pcp ? "mod_vlan_pcp" : "mod_vlan_vid";
        return pcp
            ? new SetFieldAction(FieldRef.Whole(tci), (v << 13) | 0x1000, 0xf000, SetFieldSyntax.Mod, name, arg)
            : new SetFieldAction(FieldRef.Whole(tci), v | 0x1000, 0x1fff, SetFieldSyntax.Mod, name, arg);
    }

    // ---- ports and tables

    private static bool TryParsePort(string text, IPortMap? ports, out uint port)
    {
        text = text.Trim();
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
            text = text[1..^1];
        if (text.Length > 0 && text.All(char.IsAsciiDigit))
            return OpenFlowPorts.TryParseNumber(text, out port);
        if (OpenFlowPorts.TryParseReserved(text, out port))
            return true;
        if (ports is not null && ports.TryGetPort(text, out port))
            return true;
        port = 0;
        return false;
    }

    private static uint ParsePort(string text, int offset, IPortMap? ports)
        => TryParsePort(text, ports, out uint port)
            ? port
            : throw Error(
                ports is null ? $"'{text}': a port name needs the bridge's ports" : $"unknown port '{text.Trim('"')}'", offset);

    private static OutputAction ParseOutput(string arg, int offset, IPortMap? ports)
    {
        if (arg.Contains('[', StringComparison.Ordinal))
        {
            var src = ParseFieldRef(arg, offset);
            if (src.Count > 32)
                throw Error($"output: {src} has {src.Count} bits; a port number has at most 32", offset);
            return new OutputAction(src);
        }
        return new OutputAction(ParseOutputPort(arg, offset, ports), arg);
    }

    // output(port=P,max_len=N), OVS's parse_truncate_subfield: both keys, a port below OFPP_MAX or LOCAL or IN_PORT,
    // max_len at least an Ethernet header.
    private static OutputAction ParseOutputTruncated(string arg, int offset, IPortMap? ports)
    {
        uint? port = null;
        string? portText = null;
        uint? maxLen = null;
        foreach (var (s, len) in SplitTopLevel(arg, 0, arg.Length))
        {
            string part = arg.Substring(s, len);
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? part : part[..eq], value = eq < 0 ? "" : part[(eq + 1)..];
            if (key == "port")
            {
                if (!TryParsePort(value, ports, out uint p))
                    throw Error($"output to unknown truncate port: {value}", offset + s);
                if (p >= OpenFlowPorts.Max && p is not (OpenFlowPorts.Local or OpenFlowPorts.InPort))
                    throw Error($"output to unsupported truncate port: {value}", offset + s, "output(port=...,max_len=...) sends to a port below 65280, LOCAL or IN_PORT");
                port = p;
                portText = value;
            }
            else if (key == "max_len")
            {
                uint n = ParseUInt32(value, offset + s + eq + 1, "max_len");
                if (n < EthernetHeader.Length)
                    throw Error($"max_len {n} is less than the minimum value {EthernetHeader.Length}", offset + s + eq + 1);
                maxLen = n;
            }
            else
                throw Error($"invalid key '{key}' in output_trunc argument", offset + s);
        }
        if (port is null || maxLen is null)
            throw Error($"{arg}: output to unknown port", offset, "output(port=PORT,max_len=BYTES) needs both");
        return new OutputAction(port.Value, portText) { MaxLength = maxLen.Value };
    }

    // ofpact_check_output_port: no output to NONE or to a number at or above OFPP_MAX that is not reserved.
    private static uint ParseOutputPort(string text, int offset, IPortMap? ports)
    {
        uint port = ParsePort(text, offset, ports);
        return OpenFlowPorts.IsOutputPort(port)
            ? port
            : throw Error($"output to port {text.Trim()} is invalid (OFPBAC_BAD_OUT_PORT)", offset, "an output port is below 65280 or one of IN_PORT, TABLE, NORMAL, FLOOD, ALL, CONTROLLER, LOCAL");
    }

    // ofputil_table_from_string: a number, or a name of the bridge's tables (bare or quoted).
    internal static byte ParseTable(string text, int offset, IPortMap? ports)
    {
        text = text.Trim();
        if (text.Length > 0 && !char.IsAsciiDigit(text[0]))
        {
            TableNameMap? names = ports?.TableNames;
            if (TableNameMap.TryParse(text, names, out byte named))
                return named;
            var (what, hint) = TableNameMap.UnknownTable(text, names);
            throw Error(what, offset, hint);
        }
        uint t = ParseUInt32(text, offset, "table");
        if (t > 254)
            throw Error($"table {t} is out of range (0..254)", offset);
        return (byte)t;
    }

    private static ResubmitAction ParseResubmit(string arg, int offset, bool parenForm, IPortMap? ports)
    {
        if (!parenForm)
            return new ResubmitAction(ParsePort(arg, offset, ports), null, portText: arg);
        string[] parts = arg.Split(',');
        if (parts.Length is < 1 or > 3)
            throw Error("resubmit: expected resubmit(port,table[,ct])", offset);
        uint? port = null;
        string? portText = null;
        if (parts[0].Trim().Length > 0)
        {
            portText = parts[0].Trim();
            port = ParsePort(portText, offset, ports);
        }
        byte? table = null;
        int tableOffset = offset + parts[0].Length + 1;
        if (parts.Length > 1 && parts[1].Trim().Length > 0)
            table = ParseTable(parts[1].Trim(), tableOffset, ports);
        bool ct = false;
        if (parts.Length == 3 && parts[2].Trim().Length > 0)
        {
            if (parts[2].Trim() != "ct")
                throw Error($"resubmit: unknown option '{parts[2]}'", tableOffset + parts[1].Length + 1);
            ct = true;
        }
        if (port is null && table is null)
            throw Error("resubmit: at least one of port and table is required", offset);
        return new ResubmitAction(port, table, portText: portText, ct: ct);
    }

    // ---- ct

    private static CtAction ParseCt(string arg, int offset, IPortMap? ports)
    {
        bool commit = false, force = false;
        byte? table = null;
        ushort zone = 0;
        FieldRef? zoneSource = null;
        NatSpec? nat = null;
        var exec = new List<FlowAction>();
        foreach (var (s, len) in SplitTopLevel(arg, 0, arg.Length))
        {
            string part = arg.Substring(s, len);
            int at = offset + s;
            if (part == "commit")
                commit = true;
            else if (part == "force")
            {
                force = true;
                commit = true;
            }
            else if (part.StartsWith("table=", StringComparison.Ordinal))
                table = ParseTable(part[6..], at + 6, ports);
            else if (part.StartsWith("zone=", StringComparison.Ordinal))
            {
                string z = part[5..];
                if (z.Length > 0 && char.IsAsciiDigit(z[0]))
                {
                    uint v = ParseUInt32(z, at + 5, "zone");
                    if (v > ushort.MaxValue)
                        throw Error($"ct: zone {v} is out of range (0..65535)", at + 5);
                    zone = (ushort)v;
                }
                else
                {
                    var f = ParseFieldRef(z, at + 5);
                    if (f.Count != 16)
                        throw Error($"ct: zone field {f} must be 16 bits wide", at + 5);
                    zoneSource = f;
                }
            }
            else if (part == "nat" || part.StartsWith("nat(", StringComparison.Ordinal))
                nat = ParseNat(part, at);
            else if (part.StartsWith("exec(", StringComparison.Ordinal) && part[^1] == ')')
            {
                string inner = part[5..^1];
                foreach (var (es, elen) in SplitTopLevel(inner, 0, inner.Length))
                {
                    var a = ParseOne(inner, es, elen, ports);
                    int eat = at + 5 + es;
                    FieldRef? dst = a switch
                    {
                        SetFieldAction sf => sf.Destination,
                        MoveAction mv => mv.Destination,
                        _ => null,
                    };
                    if (dst is not { } d || d.Field.Id is not (FieldId.CtMark or FieldId.CtLabel))
                        throw Error("ct: exec() may only load, set or move into ct_mark and ct_label", eat);
                    exec.Add(a!);
                }
            }
            else if (part.StartsWith("alg=", StringComparison.Ordinal))
                throw Error("ct: alg= is not supported by this datapath", at);
            else
                throw Error($"ct: unknown argument '{part}'", at);
        }
        if (exec.Count > 0 && !commit)
            throw Error("ct: exec() needs commit (OVS rejects setting ct_mark/ct_label without it)", offset);
        // OVS decode_NXAST_RAW_CT: without commit, only a bare nat may be given.
        if (nat is { Kind: not NatKind.ApplyExisting } && !commit)
            throw Error($"ct: {nat} needs commit (OFPBAC_BAD_ARGUMENT): without it only a bare nat applies a binding", offset);
        return new CtAction
        {
            Commit = commit,
            Force = force,
            Table = table,
            Zone = zoneSource is null ? zone : (ushort)0,
            ZoneSource = zoneSource,
            Nat = nat,
            Exec = exec,
        };
    }

    private static NatSpec ParseNat(string part, int offset)
    {
        string inner = part == "nat" ? "" : part[4..^1];
        return NatSpec.TryParse(inner, out var spec, out var error)
            ? spec!
            : throw Error($"ct: {error}", offset);
    }

    // ---- others

    private static ConjunctionAction ParseConjunction(string arg, int offset)
    {
        int comma = arg.IndexOf(',', StringComparison.Ordinal);
        int slash = arg.IndexOf('/', StringComparison.Ordinal);
        if (comma < 0 || slash < comma)
            throw Error("conjunction: expected conjunction(id,k/n)", offset);
        uint id = ParseUInt32(arg[..comma], offset, "conjunction id");
        uint k = ParseUInt32(arg[(comma + 1)..slash], offset + comma + 1, "clause");
        uint n = ParseUInt32(arg[(slash + 1)..], offset + slash + 1, "clause count");
        if (n is < 2 or > 64 || k < 1 || k > n)
            throw Error($"conjunction: clause {k}/{n} is invalid (need 1 <= k <= n, 2 <= n <= 64)", offset + comma + 1);
        return new ConjunctionAction(id, (byte)k, (byte)n);
    }

    private static NoteAction ParseNote(string arg, int offset)
    {
        var bytes = new List<byte>();
        int i = 0;
        while (i < arg.Length)
        {
            if (arg[i] == '.')
            {
                i++;
                continue;
            }
            if (i + 1 >= arg.Length || !byte.TryParse(arg.AsSpan(i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
                throw Error($"note: '{arg}' is not hex bytes (e.g. 00.01.02)", offset + i);
            bytes.Add(b);
            i += 2;
        }
        return new NoteAction([.. bytes], arg);
    }

    internal static uint ParseUInt32(string text, int offset, string what)
    {
        UInt128 v = ParseUInt128(text, offset, what);
        return v > uint.MaxValue ? throw Error($"{what} {text} is too large", offset) : (uint)v;
    }

    internal static UInt128 ParseUInt128(string text, int offset, string what)
    {
        text = text.Trim();
        bool ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? UInt128.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v)
            : UInt128.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        return ok ? v : throw Error($"{what}: '{text}' is not a number", offset);
    }
}
