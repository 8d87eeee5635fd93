using System.Globalization;
using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// The flow one packet's <c>learn</c> adds (OVS's ofputil_flow_mod from learn_execute): table, priority, match,
/// actions, cookie, timeouts, flags, and the learn's limit. A flow cache entry that ran the learn keeps it and
/// runs it again on every hit (OVS's XC_LEARN cache entry).
/// </summary>
public sealed class LearnedFlow
{
    public LearnedFlow(byte table, ushort priority, Match match, ActionList actions, ulong cookie,
        ushort idleTimeout, ushort hardTimeout, FlowModFlags flags, uint limit)
    {
        Table = table;
        Priority = priority;
        Match = match;
        Actions = actions;
        ActionsText = actions.Format(null);
        Cookie = cookie;
        IdleTimeout = idleTimeout;
        HardTimeout = hardTimeout;
        Flags = flags;
        Limit = limit;
    }

    public byte Table { get; }
    public ushort Priority { get; }
    public Match Match { get; }
    public ActionList Actions { get; }
    public string ActionsText { get; }
    public ulong Cookie { get; }
    public ushort IdleTimeout { get; }
    public ushort HardTimeout { get; }
    public FlowModFlags Flags { get; }
    public uint Limit { get; }

    /// <summary>The flow as a rule that is never inserted: FlowTableSet.Learn compares with it and inserts a copy.</summary>
    public FlowRule Template => _template ??= new(Table, Priority, Match, ActionsText, null, Cookie, IdleTimeout, HardTimeout, 0, Flags) { Actions = Actions };

    private FlowRule? _template;

    /// <summary>
    /// The line ofproto/trace prints for the learn (xlate_learn_action):
    /// <c>table=10 tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80 priority=200 cookie=0x1234 hard=300 actions=...</c>.
    /// </summary>
    public string TraceText()
    {
        var sb = new StringBuilder();
        sb.Append("table=").Append(Table.ToString(CultureInfo.InvariantCulture));
        string match = Match.Format(null);
        if (match.Length > 0)
            sb.Append(' ').Append(match);
        sb.Append(" priority=").Append(Priority.ToString(CultureInfo.InvariantCulture));
        if (Cookie != 0)
            sb.Append(" cookie=0x").Append(Cookie.ToString("x", CultureInfo.InvariantCulture));
        if (IdleTimeout != 0)
            sb.Append(" idle=").Append(IdleTimeout.ToString(CultureInfo.InvariantCulture));
        if (HardTimeout != 0)
            sb.Append(" hard=").Append(HardTimeout.ToString(CultureInfo.InvariantCulture));
        if ((Flags & FlowModFlags.SendFlowRemoved) != 0)
            sb.Append(" send_flow_rem");
        sb.Append(" actions=").Append(ActionsText);
        return sb.ToString();
    }
}
