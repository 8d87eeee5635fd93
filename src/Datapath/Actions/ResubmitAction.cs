using System.Globalization;
using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>resubmit(port,table)</c>, <c>resubmit(,table)</c>, <c>resubmit:port</c> and the
/// <c>goto_table:N</c> instruction: look the packet up again in a table (with in_port replaced
/// when a port is given), run that rule's actions, then continue here.
/// </summary>
public sealed class ResubmitAction : FlowAction
{
    public ResubmitAction(uint? inPort, byte? table, bool gotoTable = false, string? portText = null, bool ct = false)
        : base(ActionKind.Resubmit)
    {
        InPort = inPort;
        Table = table;
        IsGotoTable = gotoTable;
        PortText = portText;
        WithCt = ct;
    }

    /// <summary>The in_port for the lookup; null keeps the packet's in_port.</summary>
    public uint? InPort { get; }
    /// <summary>The table; null means the current table.</summary>
    public byte? Table { get; }
    public bool IsGotoTable { get; }
    public string? PortText { get; }
    /// <summary>resubmit(,,ct): look up with the conntrack original-direction tuple (accepted, treated as plain resubmit).</summary>
    public bool WithCt { get; }

    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        if (IsGotoTable)
        {
            TableNameMap.Append(sb.Append("goto_table:"), Table.GetValueOrDefault(), ports?.TableNames);
            return;
        }
        if (Table is null && !WithCt)
        {
            sb.Append("resubmit:");
            AppendPort(sb);
            return;
        }
        sb.Append("resubmit(");
        if (InPort is not null)
            AppendPort(sb);
        sb.Append(',');
        if (Table is { } t)
            TableNameMap.Append(sb, t, ports?.TableNames);
        if (WithCt)
            sb.Append(",ct");
        sb.Append(')');
    }

    private void AppendPort(StringBuilder sb)
    {
        if (PortText is not null)
            sb.Append(PortText);
        else if (InPort is { } p)
            sb.Append(OpenFlowPorts.ReservedName(p) ?? p.ToString(CultureInfo.InvariantCulture));
    }
}
