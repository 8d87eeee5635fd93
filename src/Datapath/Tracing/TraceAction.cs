namespace Datapath.Engine.Tracing;

/// <summary>One action as run: its text and its effects (<c>reg0: 0 -> 0x2</c>, <c>output to 2(antrea-gw0)</c>).</summary>
public sealed class TraceAction
{
    public TraceAction(string text) => Text = text;

    public string Text { get; }
    public List<string> Effects { get; } = [];

    /// <summary>The action as Open vSwitch 3.1's ofproto/trace prints it (numbers, set_field); <see cref="Text"/> when not set.</summary>
    public string? OvsText { get; init; }

    /// <summary>
    /// What ofproto/trace prints under the action, in order: nested action lists at the action's own indent
    /// (ct's exec actions, or <c>drop</c> for none) and its reports, <c>-> </c> for a detail, <c>>> </c> for a
    /// warning (<c>-> output port is 2</c>, <c>-> NXM_NX_REG9[28..31] is now 0</c>).
    /// </summary>
    public List<string> OvsLines { get; } = [];

    /// <summary>The table lookups (and group buckets) this action led to (resubmit, group): ofproto/trace's tree below it.</summary>
    public List<TraceStep> Children { get; } = [];
}
