using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// One OpenFlow action as ovs-actions(7) defines it. Immutable once parsed; the translator
/// switches on <see cref="Kind"/> (no virtual dispatch per packet).
/// </summary>
public abstract class FlowAction
{
    private protected FlowAction(ActionKind kind) => Kind = kind;

    public ActionKind Kind { get; }

    /// <summary>Appends the action in ovs-ofctl syntax, in the form the user loaded it.</summary>
    public abstract void Format(StringBuilder sb, IPortMap? ports);

    public override string ToString()
    {
        var sb = new StringBuilder();
        Format(sb, null);
        return sb.ToString();
    }
}
