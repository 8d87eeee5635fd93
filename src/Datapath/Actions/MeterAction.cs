using System.Globalization;
using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>meter:N</c> (ovs-actions(7); the OpenFlow 1.3+ meter instruction): the packet goes through meter N's bands
/// (<see cref="Meter"/>); over a drop band's rate it is dropped, counted as <c>meter</c>, and the rest of the
/// actions do not run. A meter that does not exist lets the packet pass, as OVS's datapath does once the meter
/// is gone (a flow-mod naming a missing meter is refused at load, OFPMMFC_UNKNOWN_METER).
/// </summary>
public sealed class MeterAction : FlowAction
{
    public MeterAction(uint meterId) : base(ActionKind.Meter) => MeterId = meterId;

    public uint MeterId { get; }

    public override void Format(StringBuilder sb, IPortMap? ports)
        => sb.Append("meter:").Append(MeterId.ToString(CultureInfo.InvariantCulture));
}
