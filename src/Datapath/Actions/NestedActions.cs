using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// An action that holds an action list: <c>write_actions(...)</c> (OpenFlow's Write-Actions instruction: the actions
/// join the packet's action set, run at the end of the pipeline) and <c>clone(...)</c> (the actions run on a copy of
/// the packet and its metadata, which are then restored). ovs-actions(7) "Other Actions" and the OpenFlow 1.5 spec 5.10.
/// </summary>
public sealed class NestedActions : FlowAction
{
    public NestedActions(ActionKind kind, ActionList actions)
        : base(kind)
    {
        if (kind is not (ActionKind.WriteActions or ActionKind.Clone))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "write_actions or clone");
        Actions = actions;
    }

    public ActionList Actions { get; }

    public override void Format(StringBuilder sb, IPortMap? ports)
        => sb.Append(Kind == ActionKind.WriteActions ? "write_actions(" : "clone(").Append(Actions.Format(ports)).Append(')');
}
