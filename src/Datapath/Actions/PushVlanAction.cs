using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary><c>push_vlan:ETHERTYPE</c>: pushes an 802.1Q (0x8100) or 802.1ad (0x88a8) tag with VID 0.</summary>
public sealed class PushVlanAction : FlowAction
{
    public PushVlanAction(ushort ethertype) : base(ActionKind.PushVlan) => EtherType = ethertype;

    public ushort EtherType { get; }

    public override void Format(StringBuilder sb, IPortMap? ports) => sb.Append("push_vlan:0x").Append(EtherType.ToString("x4"));
}
