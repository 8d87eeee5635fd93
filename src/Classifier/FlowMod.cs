namespace Datapath.Classifier;

/// <summary>The OpenFlow flow-mod commands (ovs-ofctl add-flow, mod-flows [--strict], del-flows [--strict]).</summary>
public enum FlowModCommand
{
    Add,
    Modify,
    ModifyStrict,
    Delete,
    DeleteStrict,
}

/// <summary>
/// One flow-mod.  Add carries the new rule.  Modify and delete select rules by table (null = all),
/// match (non-strict: every rule at least as specific as it; strict: the identical match and
/// priority) and cookie/mask; modify replaces the selected rules' actions with <see cref="Rule"/>'s.
/// </summary>
public sealed class FlowMod
{
    private FlowMod(FlowModCommand command, byte? table, Match match, ushort priority, ulong cookie, ulong cookieMask, FlowRule? rule, ulong? newCookie)
    {
        Command = command;
        Table = table;
        Match = match;
        Priority = priority;
        Cookie = cookie;
        CookieMask = cookieMask;
        Rule = rule;
        NewCookie = newCookie;
    }

    public FlowModCommand Command { get; }
    public byte? Table { get; }
    public Match Match { get; }
    /// <summary>For strict commands and add.</summary>
    public ushort Priority { get; }
    public ulong Cookie { get; }
    public ulong CookieMask { get; }
    /// <summary>Add: the rule. Modify: the template whose actions the selected rules take.</summary>
    public FlowRule? Rule { get; }
    /// <summary>Modify: the cookie the selected rules take, if any.</summary>
    public ulong? NewCookie { get; }

    public static FlowMod Add(FlowRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return new FlowMod(FlowModCommand.Add, rule.TableId, rule.Match, rule.Priority, rule.Cookie, 0, rule, null);
    }

    public static FlowMod Modify(Match match, FlowRule actionsFrom, byte? table = null, bool strict = false,
        ushort priority = Match.DefaultPriority, ulong cookie = 0, ulong cookieMask = 0, ulong? newCookie = null)
    {
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(actionsFrom);
        return new FlowMod(strict ? FlowModCommand.ModifyStrict : FlowModCommand.Modify, table, match, priority, cookie, cookieMask, actionsFrom, newCookie);
    }

    public static FlowMod Delete(Match match, byte? table = null, bool strict = false,
        ushort priority = Match.DefaultPriority, ulong cookie = 0, ulong cookieMask = 0)
    {
        ArgumentNullException.ThrowIfNull(match);
        return new FlowMod(strict ? FlowModCommand.DeleteStrict : FlowModCommand.Delete, table, match, priority, cookie, cookieMask, null, null);
    }

    /// <summary>The flow-mod a parsed line stands for under <paramref name="command"/> (as ovs-ofctl builds it).</summary>
    public static FlowMod FromParsed(ParsedFlow flow, FlowModCommand command)
    {
        ArgumentNullException.ThrowIfNull(flow);
        return command switch
        {
            FlowModCommand.Add => Add(flow.ToRule()),
            FlowModCommand.Modify or FlowModCommand.ModifyStrict => Modify(flow.Match, flow.ToRule(), flow.Table,
                command == FlowModCommand.ModifyStrict, flow.Priority, flow.Cookie, flow.CookieMask,
                flow.CookieMask == 0 && flow.Cookie != 0 ? flow.Cookie : null),
            _ => Delete(flow.Match, flow.Table, command == FlowModCommand.DeleteStrict, flow.Priority, flow.Cookie, flow.CookieMask),
        };
    }

    /// <summary>The rule is selected by this modify/delete.</summary>
    internal bool Selects(FlowRule rule)
    {
        if (Table is { } t && t != 255 && rule.TableId != t)
            return false;
        if (((rule.Cookie ^ Cookie) & CookieMask) != 0)
            return false;
        if (Command is FlowModCommand.ModifyStrict or FlowModCommand.DeleteStrict)
            return rule.Priority == Priority && rule.Match.Equals(Match);
        return rule.Match.IsWithin(Match);
    }

    public override string ToString() => $"{Command} table={Table?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "all"} {Match.Format(null, Priority)}";
}
