using System.Globalization;
using System.Text;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Actions;

// Learn action
// ============
//
// What?
// -----
// learn(...) of ovs-actions(7) (OVS's struct ofpact_learn, lib/learn.c): when a packet runs it, a flow built
// from the packet is added to (or refreshed in) a table of the same bridge. The flow's match is made of
// `field=value` (an immediate), `field=src` (the packet's src bits) and `field` (the packet's own bits of the
// field) arguments; its actions of `load:value->dst`, `load:src->dst` (loads of those bits) and `output:src`
// (an output to the port the field holds); its table, priority, timeouts, cookie and flags are the learn's.
//
// Design
// ------
// Parsed as OVS's learn_parse (default table 1, priority 32768; `limit`, `result_dst` a single writable bit) and
// printed as learn_format prints it (table and timeouts first, subfields by their NXM names, a `field=src` whose
// source is the field itself as `field` alone, immediates of whole fields by mf_format). Checked as learn_check:
// a source's prerequisites hold in the learning rule's match, a learned match field's prerequisites hold in the
// immediates before it (so `eth_type=0x800,nw_proto=6` come first), a load's destination is writable.
// Execute builds the concrete flow for one packet (learn_execute) as a LearnedFlow; the translator hands it to the
// bridge's table set (FlowTableSet.Learn: add, or refresh the identical flow) and un-wildcards every source it
// read (learn_mask), so a megaflow that ran a learn stands for packets that all learn the same flow.
//
// Invariants
// ----------
//  - Immutable once parsed; Specs in argument order (the learned match is built in that order).
//  - Table is 0..254; ResultDestination, when set, is one writable bit.
public sealed class LearnAction : FlowAction
{
    /// <summary>OVS's OFP_DEFAULT_PRIORITY.</summary>
    public const ushort DefaultPriority = 0x8000;

    public LearnAction(byte table, IReadOnlyList<LearnSpec> specs) : base(ActionKind.Learn)
    {
        Table = table;
        Specs = specs;
    }

    public byte Table { get; }
    public ushort Priority { get; init; } = DefaultPriority;
    public ushort IdleTimeout { get; init; }
    public ushort HardTimeout { get; init; }
    public ushort FinIdleTimeout { get; init; }
    public ushort FinHardTimeout { get; init; }
    public ulong Cookie { get; init; }
    public bool SendFlowRemoved { get; init; }
    /// <summary>delete_learned: the flows learned into <see cref="Table"/> with <see cref="Cookie"/> go when the last rule holding this learn does.</summary>
    public bool DeleteLearned { get; init; }
    /// <summary>At most this many flows with <see cref="Cookie"/> in <see cref="Table"/> (0: no limit).</summary>
    public uint Limit { get; init; }
    /// <summary>Where 1 (learned) or 0 (the limit prevented it) is written, or null.</summary>
    public FieldRef? ResultDestination { get; init; }
    public IReadOnlyList<LearnSpec> Specs { get; }

    /// <summary>Parses the text between <c>learn(</c> and <c>)</c>, which starts at <paramref name="offset"/> of the action text.</summary>
    public static LearnAction Parse(string arg, int offset, IPortMap? ports)
    {
        ArgumentNullException.ThrowIfNull(arg);
        byte table = 1;
        ushort priority = DefaultPriority, idle = 0, hard = 0, finIdle = 0, finHard = 0;
        ulong cookie = 0;
        uint limit = 0;
        bool sendFlowRem = false, deleteLearned = false;
        FieldRef? result = null;
        var specs = new List<LearnSpec>();
        foreach (var (s, len) in ActionParser.SplitTopLevel(arg, 0, arg.Length))
        {
            string part = arg.Substring(s, len);
            int at = offset + s;
            int sep = part.IndexOfAny(['=', ':']);
            string name = sep < 0 ? part : part[..sep];
            string value = sep < 0 ? "" : part[(sep + 1)..];
            int valueAt = at + (sep < 0 ? len : sep + 1);
            switch (name)
            {
                case "table":
                    table = ActionParser.ParseTable(value, valueAt, ports);
                    break;
                case "priority":
                    priority = ParseU16(value, valueAt, name);
                    break;
                case "idle_timeout":
                    idle = ParseU16(value, valueAt, name);
                    break;
                case "hard_timeout":
                    hard = ParseU16(value, valueAt, name);
                    break;
                case "fin_idle_timeout":
                    finIdle = ParseU16(value, valueAt, name);
                    break;
                case "fin_hard_timeout":
                    finHard = ParseU16(value, valueAt, name);
                    break;
                case "cookie":
                    {
                        UInt128 c = ActionParser.ParseUInt128(value, valueAt, "learn: cookie");
                        cookie = c > ulong.MaxValue ? throw ActionParser.Error($"learn: cookie {value} is more than 64 bits", valueAt) : (ulong)c;
                        break;
                    }
                case "send_flow_rem" when sep < 0:
                    sendFlowRem = true;
                    break;
                case "delete_learned" when sep < 0:
                    deleteLearned = true;
                    break;
                case "limit":
                    limit = ActionParser.ParseUInt32(value, valueAt, "learn: limit");
                    break;
                case "result_dst":
                    {
                        var f = ActionParser.ParseFieldRef(value, valueAt);
                        if (!f.Field.Writable)
                            throw ActionParser.Error($"learn: {value} is read-only", valueAt);
                        if (f.Count != 1)
                            throw ActionParser.Error("learn: result_dst in 'learn' action must be a single bit", valueAt);
                        result = f;
                        break;
                    }
                case "load":
                    specs.Add(ParseLoad(value, valueAt));
                    break;
                case "output":
                    {
                        var port = ParseSubfield(value, valueAt);
                        specs.Add(new LearnSpec(LearnSpecKind.Output, port, port, UInt128.Zero));
                        break;
                    }
                default:
                    specs.Add(ParseMatch(part, name, sep < 0 ? null : value, at, valueAt, ports));
                    break;
            }
        }
        return new LearnAction(table, specs)
        {
            Priority = priority,
            IdleTimeout = idle,
            HardTimeout = hard,
            FinIdleTimeout = finIdle,
            FinHardTimeout = finHard,
            Cookie = cookie,
            SendFlowRemoved = sendFlowRem,
            DeleteLearned = deleteLearned,
            Limit = limit,
            ResultDestination = result,
        };
    }

    private static ushort ParseU16(string value, int at, string name)
    {
        uint v = ActionParser.ParseUInt32(value, at, "learn: " + name);
        return v > ushort.MaxValue ? throw ActionParser.Error($"learn: {name}={value} is out of range (0..65535)", at) : (ushort)v;
    }

    /// <summary>A subfield as learn reads one: NXM_OF_IN_PORT and in_port are OVS's 16-bit field.</summary>
    private static FieldRef ParseSubfield(string text, int at)
    {
        var f = ActionParser.ParseFieldRef(text, at);
        if (f.Field.Id == FieldId.InPort && OvsFieldNames.Width(f.Field, f.Name) == 16)
        {
            if (f.Start + f.Count > 16 && !f.IsWhole)
                throw ActionParser.Error($"learn: bits {f.Start}..{f.Start + f.Count - 1} are outside {f.Name}, which has 16 bits", at);
            if (f.IsWhole)
                f = new FieldRef(f.Field, 0, 16, f.Name);
        }
        return f;
    }

    private static LearnSpec ParseLoad(string value, int at)
    {
        int arrow = value.IndexOf("->", StringComparison.Ordinal);
        if (arrow == 0)
            throw ActionParser.Error($"load: missing source before `->' in `{value}'", at);
        if (arrow < 0)
            throw ActionParser.Error($"load: missing `->' in `{value}'", at);
        string left = value[..arrow].Trim();
        var dst = ParseSubfield(value[(arrow + 2)..], at + arrow + 2);
        if (!dst.Field.Writable)
            throw ActionParser.Error($"learn: load: field {dst.Field.Name} is read-only", at + arrow + 2);
        if (left.Length > 0 && char.IsAsciiDigit(left[0]))
        {
            UInt128 imm = ActionParser.ParseUInt128(left, at, "learn: load value");
            if ((imm & ~dst.ValueMask) != UInt128.Zero)
                throw ActionParser.Error($"learn: {value}: value does not fit into {dst.Count} bits", at);
            return new LearnSpec(LearnSpecKind.Load, dst, null, imm);
        }
        var src = ParseSubfield(left, at);
        if (src.Count != dst.Count)
            throw ActionParser.Error($"learn: load: source {src} has {src.Count} bits but destination {dst} has {dst.Count}", at);
        return new LearnSpec(LearnSpecKind.Load, dst, src, UInt128.Zero);
    }

    private static LearnSpec ParseMatch(string part, string name, string? value, int at, int valueAt, IPortMap? ports)
    {
        if (!FieldRegistry.TryGet(name.Split('[')[0], out _))
            throw ActionParser.Error($"learn: {part}: unknown keyword {name}", at, "learn's arguments are table=, priority=, idle_timeout=, hard_timeout=, fin_idle_timeout=, fin_hard_timeout=, cookie=, send_flow_rem, delete_learned, limit=, result_dst=, FIELD[=VALUE|=SRC], load:, output:");
        var dst = ParseSubfield(name, at);
        if (string.IsNullOrEmpty(value))
            return new LearnSpec(LearnSpecKind.Match, dst, dst, UInt128.Zero);
        string v = value.Trim();
        bool isField = FieldRegistry.TryGet(v.Split('[')[0], out _);
        if (isField)
        {
            var src = ParseSubfield(v, valueAt);
            if (src.Count != dst.Count)
                throw ActionParser.Error($"learn: {part}: bit widths of {name} ({dst.Count}) and {v} ({src.Count}) differ", valueAt);
            return new LearnSpec(LearnSpecKind.Match, dst, src, UInt128.Zero);
        }
        UInt128 imm;
        if (dst.Start == 0 && dst.Count == OvsFieldNames.Width(dst.Field, dst.Name))
        {
            if (!FieldSyntax.TryParseValue(dst.Field, v, ports, out imm, out var mask, out var error))
                throw ActionParser.Error($"learn: {part}: {name} value {v} cannot be parsed as a subfield or an immediate value ({error})", valueAt);
            if ((mask & dst.ValueMask) != dst.ValueMask)
                throw ActionParser.Error($"learn: {part}: {name} value {v} cannot be parsed as a subfield or an immediate value (wildcards not allowed here)", valueAt);
            imm &= dst.ValueMask;
        }
        else
        {
            if (!FieldSyntax.TryParseInteger(v, out imm))
                throw ActionParser.Error($"learn: {part}: cannot parse integer value", valueAt);
            if ((imm & ~dst.ValueMask) != UInt128.Zero)
                throw ActionParser.Error($"learn: {part}: value {v} does not fit into {dst.Count} bits", valueAt);
        }
        return new LearnSpec(LearnSpecKind.Match, dst, null, imm);
    }

    /// <summary>
    /// OVS's learn_check against the learning rule's <paramref name="match"/>: null when valid, else why not.
    /// </summary>
    public string? Check(Match match)
    {
        ArgumentNullException.ThrowIfNull(match);
        var learned = new MatchBuilder();
        foreach (var spec in Specs)
        {
            if (spec.Source is { } src && Prerequisites.Check(match, src.Field) is { } e)
                return $"source field {src.Field.Name} lacks correct prerequisites (OFPBAC_MATCH_INCONSISTENT): {e}";
            switch (spec.Kind)
            {
                case LearnSpecKind.Match:
                    if (Prerequisites.Check(learned.Build(), spec.Destination.Field) is { } me)
                        return $"learned match field {spec.Destination.Field.Name} lacks its prerequisites among the learn's earlier field=value arguments: {me}";
                    if (spec.Source is null)
                        WriteBits(learned, spec.Destination, spec.Immediate);
                    break;
                case LearnSpecKind.Load:
                    if (Prerequisites.Check(learned.Build(), spec.Destination.Field) is { } le)
                        return $"learned load into {spec.Destination.Field.Name} lacks its prerequisites in the learned match: {le}";
                    break;
            }
        }
        return null;
    }

    private static void WriteBits(MatchBuilder mb, FieldRef dst, UInt128 value)
    {
        UInt128 bits = dst.ValueMask << dst.Start;
        UInt128 v = FieldRegistry.Read(in mb.Value, dst.Field), m = FieldRegistry.Read(in mb.Mask, dst.Field);
        mb.Set(dst.Field, (v & ~bits) | (value << dst.Start), m | bits);
    }

    /// <summary>Marks every source the learned flow reads from the packet as consulted (OVS's learn_mask).</summary>
    internal void Consult(ref FlowKey consulted)
    {
        foreach (var spec in Specs)
            spec.Source?.Consult(ref consulted);
    }

    /// <summary>The flow this learn adds for a packet whose key is <paramref name="key"/> (OVS's learn_execute).</summary>
    public LearnedFlow Execute(in FlowKey key)
    {
        var match = new MatchBuilder();
        var actions = new List<FlowAction>();
        if (FinIdleTimeout != 0 || FinHardTimeout != 0)
            actions.Add(new FinTimeoutAction(FinIdleTimeout, FinHardTimeout));
        foreach (var spec in Specs)
        {
            UInt128 value = spec.ValueFor(in key);
            switch (spec.Kind)
            {
                case LearnSpecKind.Match:
                    WriteBits(match, spec.Destination, value);
                    break;
                case LearnSpecKind.Load:
                    {
                        var d = spec.Destination;
                        var named = new FieldRef(d.Field, d.Start, d.Count, OvsFieldNames.NxmName(d.Field, d.Name));
                        actions.Add(new SetFieldAction(named, value, named.ValueMask, SetFieldSyntax.Load));
                        break;
                    }
                default:
                    // Only a port that fits 16 bits, below OFPP_MAX or IN_PORT, FLOOD, ALL, LOCAL (learn_execute).
                    if (spec.Destination.Count <= 16 || value <= ushort.MaxValue)
                    {
                        uint port = (uint)(value & 0xffff);
                        if (port < OpenFlowPorts.Max || port is OpenFlowPorts.InPort or OpenFlowPorts.Flood or OpenFlowPorts.Local or OpenFlowPorts.All)
                            actions.Add(new OutputAction(port));
                    }
                    break;
            }
        }
        var list = new ActionList([.. actions]);
        return new LearnedFlow(Table, Priority, match.Build(), list, Cookie, IdleTimeout, HardTimeout,
            SendFlowRemoved ? FlowModFlags.SendFlowRemoved : FlowModFlags.None, Limit);
    }

    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        sb.Append("learn(");
        TableNameMap.Append(sb.Append("table="), Table, ports?.TableNames);
        if (IdleTimeout != 0)
            sb.Append(",idle_timeout=").Append(IdleTimeout.ToString(CultureInfo.InvariantCulture));
        if (HardTimeout != 0)
            sb.Append(",hard_timeout=").Append(HardTimeout.ToString(CultureInfo.InvariantCulture));
        if (FinIdleTimeout != 0)
            sb.Append(",fin_idle_timeout=").Append(FinIdleTimeout.ToString(CultureInfo.InvariantCulture));
        if (FinHardTimeout != 0)
            sb.Append(",fin_hard_timeout=").Append(FinHardTimeout.ToString(CultureInfo.InvariantCulture));
        if (Priority != DefaultPriority)
            sb.Append(",priority=").Append(Priority.ToString(CultureInfo.InvariantCulture));
        if (SendFlowRemoved)
            sb.Append(",send_flow_rem");
        if (DeleteLearned)
            sb.Append(",delete_learned");
        if (Cookie != 0)
            sb.Append(",cookie=0x").Append(Cookie.ToString("x", CultureInfo.InvariantCulture));
        if (Limit != 0)
            sb.Append(",limit=").Append(Limit.ToString(CultureInfo.InvariantCulture));
        if (ResultDestination is { } r)
            OvsFieldNames.AppendSubfield(sb.Append(",result_dst="), r);
        foreach (var spec in Specs)
            spec.Format(sb.Append(','), ports);
        sb.Append(')');
    }

    public override void FormatOvs(StringBuilder sb) => Format(sb, null);
}
