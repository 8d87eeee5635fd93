using System.Globalization;
using Datapath.Classifier;
using Datapath.Engine.Actions;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>Parses <c>ovs-ofctl add-group</c> text (ovs-ofctl(8) "Group Syntax").</summary>
public static class GroupParser
{
    /// <summary>Parses one group; errors throw an <see cref="InputException"/> naming file, line and column.</summary>
    public static FlowGroup Parse(string text, IPortMap? ports, string file = "<input>", int line = 1)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return ParseCore(text, ports);
        }
        catch (InputException e) when (e.File == ActionParser.Fragment)
        {
            throw e.Within(file, line, 1);
        }
    }

    private static FlowGroup ParseCore(string text, IPortMap? ports)
    {
        // Everything after the first "bucket=" is buckets; each bucket runs to the next ",bucket=".
        int firstBucket = text.IndexOf("bucket=", StringComparison.Ordinal);
        string head = firstBucket < 0 ? text : text[..firstBucket].TrimEnd(',', ' ');
        uint? id = null;
        GroupType? type = null;
        string? method = null;
        ulong param = 0;
        int paramAt = -1, fieldsAt = -1;
        List<GroupHashField>? fields = null;
        foreach (var (s, len) in ActionParser.SplitTopLevel(head, 0, head.Length))
        {
            string part = head.Substring(s, len);
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? part : part[..eq];
            string val = eq < 0 ? "" : part[(eq + 1)..];
            switch (key)
            {
                case "group_id":
                    id = ActionParser.ParseUInt32(val, s + eq + 1, "group_id");
                    break;
                case "type":
                    type = val switch
                    {
                        "all" => GroupType.All,
                        "select" => GroupType.Select,
                        "indirect" => GroupType.Indirect,
                        "ff" or "fast_failover" => GroupType.FastFailover,
                        _ => throw ActionParser.Error($"unknown group type '{val}'", s + eq + 1),
                    };
                    break;
                case "selection_method":
                    if (val is not ("hash" or "dp_hash"))
                        throw ActionParser.Error($"unknown selection_method '{val}' (hash or dp_hash)", s + eq + 1);
                    method = val;
                    break;
                case "selection_method_param":
                    if (!ulong.TryParse(val, NumberStyles.None, CultureInfo.InvariantCulture, out param)
                        && !(val.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && ulong.TryParse(val.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out param)))
                        throw ActionParser.Error($"selection_method_param: '{val}' is not a 64-bit number", s + eq + 1);
                    paramAt = s;
                    break;
                case "fields":
                    fields = ParseFields(val, s + eq + 1, ports);
                    fieldsAt = s;
                    break;
                default:
                    if (part.StartsWith("fields(", StringComparison.Ordinal) && part.EndsWith(')'))
                    {
                        fields = ParseFields(part[7..^1], s + 7, ports);
                        fieldsAt = s;
                    }
                    else
                        throw ActionParser.Error($"unknown group keyword '{key}'", s);
                    break;
            }
        }
        if (id is null)
            throw ActionParser.Error("must specify a group_id", 0);
        if (type is null)
            throw ActionParser.Error("must specify a type (all, select, indirect or ff)", 0);
        if (fields is not null && method != "hash")
            throw ActionParser.Error("fields may only be specified with \"selection_method=hash\"", fieldsAt);
        if (method is null && param != 0)
            throw ActionParser.Error("selection_method_param is only allowed with \"selection_method\"", paramAt);

        var buckets = new List<GroupBucket>();
        int pos = firstBucket;
        while (pos >= 0)
        {
            int bodyStart = pos + "bucket=".Length;
            int next = text.IndexOf(",bucket=", bodyStart, StringComparison.Ordinal);
            string body = next < 0 ? text[bodyStart..] : text[bodyStart..next];
            buckets.Add(ParseBucket(body, bodyStart, (uint)buckets.Count, GroupBucket.DefaultWeight(type.Value), ports));
            pos = next < 0 ? -1 : next + 1;
        }
        if (type == GroupType.Indirect && buckets.Count != 1)
            throw ActionParser.Error("an indirect group has exactly one bucket", 0);
        return new FlowGroup(id.Value, type.Value, buckets, method, fields, param);
    }

    // fields(NAME[=MASK],...) or fields=NAME[=MASK], as parse_select_group_field.
    private static List<GroupHashField> ParseFields(string list, int offset, IPortMap? ports)
    {
        var fields = new List<GroupHashField>();
        foreach (var (s, len) in ActionParser.SplitTopLevel(list, 0, list.Length))
        {
            string element = list.Substring(s, len);
            if (!GroupHashField.TryParse(element, ports, out var f, out string? error))
                throw ActionParser.Error(error, offset + s);
            if (fields.Exists(x => x.Order == f.Order))
                throw ActionParser.Error($"{f.Name}: duplicate field", offset + s);
            fields.Add(f);
        }
        return fields;
    }

    private static GroupBucket ParseBucket(string body, int offset, uint defaultId, ushort defaultWeight, IPortMap? ports)
    {
        // bucket=[bucket_id:N,][weight:N,][watch_port:P,][watch_group:G,][actions=]ACTIONS
        ushort weight = defaultWeight;
        uint id = defaultId;
        uint? watch = null, watchGroup = null;
        string rest = body;
        int restOffset = offset;
        while (true)
        {
            if (TryTakeParam(ref rest, ref restOffset, "weight", out string? w))
                weight = (ushort)Math.Min(ushort.MaxValue, ActionParser.ParseUInt32(w, restOffset, "weight"));
            else if (TryTakeParam(ref rest, ref restOffset, "bucket_id", out string? b))
                id = ActionParser.ParseUInt32(b, restOffset, "bucket_id");
            else if (TryTakeParam(ref rest, ref restOffset, "watch_port", out string? p))
                watch = uint.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) ? n
                    : ports is not null && ports.TryGetPort(p, out n) ? n
                    : throw ActionParser.Error($"unknown port '{p}'", restOffset);
            else if (TryTakeParam(ref rest, ref restOffset, "watch_group", out string? g))
            {
                watchGroup = ActionParser.ParseUInt32(g, restOffset, "watch_group");
                if (watchGroup > 0xffffff00)
                    throw ActionParser.Error($"invalid watch_group id {watchGroup}", restOffset);
            }
            else
                break;
        }
        if (rest.StartsWith("actions=", StringComparison.Ordinal))
        {
            rest = rest[8..];
            restOffset += 8;
        }
        ActionList actions;
        try
        {
            actions = ActionParser.Parse(rest, ports);
        }
        catch (InputException e) when (e.File == ActionParser.Fragment)
        {
            throw e.Within(ActionParser.Fragment, 1, restOffset + 1);
        }
        return new GroupBucket(id, actions, weight, watch, body, watchGroup);
    }

    private static bool TryTakeParam(ref string rest, ref int offset, string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        value = null;
        if (!rest.StartsWith(name, StringComparison.Ordinal) || rest.Length <= name.Length || rest[name.Length] is not (':' or '='))
            return false;
        int end = rest.IndexOf(',', StringComparison.Ordinal);
        value = end < 0 ? rest[(name.Length + 1)..] : rest[(name.Length + 1)..end];
        int consumed = end < 0 ? rest.Length : end + 1;
        rest = rest[consumed..];
        offset += consumed;
        return true;
    }
}
