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

    /// <summary>
    /// Appends the action as Open vSwitch 3.1 prints it back (dump-flows, ofproto/trace) after an OpenFlow 1.5
    /// controller installed it: port and table numbers, and load/mod_* as <c>set_field</c>.
    /// </summary>
    public virtual void FormatOvs(StringBuilder sb) => Format(sb, null);

    public override string ToString()
    {
        var sb = new StringBuilder();
        Format(sb, null);
        return sb.ToString();
    }
}
