using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>push:FIELD[range]</c> and <c>pop:FIELD[range]</c> (ovs-actions(7) "Stack Actions"): one stack of bit strings per
/// translation pass; push puts the range's bits on it, pop takes the top and writes its low bits into the range (an
/// empty stack: nothing written, as OVS's "stack underflow"). Printed as OVS prints them, with NXM names.
/// </summary>
public sealed class StackAction : FlowAction
{
    public StackAction(ActionKind kind, FieldRef field)
        : base(kind)
    {
        if (kind is not (ActionKind.Push or ActionKind.Pop))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "push or pop");
        Field = field;
    }

    public FieldRef Field { get; }

    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        sb.Append(Kind == ActionKind.Push ? "push:" : "pop:");
        OvsFieldNames.AppendSubfield(sb, Field);
    }
}
