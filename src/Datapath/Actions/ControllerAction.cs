using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>controller</c>, <c>controller:MAX_LEN</c> or <c>controller(key=value,...)</c>: send the packet to the
/// OpenFlow controller. This engine has no controller: the packet is counted as a punt.
/// </summary>
public sealed class ControllerAction : FlowAction
{
    public ControllerAction(string text) : base(ActionKind.Controller) => Text = text;

    /// <summary>The action as written.</summary>
    public string Text { get; }

    public override void Format(StringBuilder sb, IPortMap? ports) => sb.Append(Text);
}
