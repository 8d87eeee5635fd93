using System.Globalization;
using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>enqueue:PORT:QUEUE</c> / <c>enqueue(PORT,QUEUE)</c>: output to PORT through its QoS queue QUEUE (OpenFlow 1.0's
/// OFPAT_ENQUEUE; OpenFlow 1.1+ spells it <c>set_queue:QUEUE,output:PORT,pop_queue</c>, and OVS installs it so from an
/// OpenFlow 1.5 connection). Queues are not emulated (see <see cref="ActionKind.Queue"/>), and OVS's userspace datapath
/// has none either: its xlate_enqueue_action falls back to a plain output when the datapath cannot map the queue
/// (dpif-netdev cannot), so the frames are those of <c>output:PORT</c>.
/// </summary>
public sealed class EnqueueAction : FlowAction
{
    public EnqueueAction(uint port, uint queue) : base(ActionKind.Enqueue)
    {
        Port = port;
        Queue = queue;
        Output = new OutputAction(port);
    }

    public uint Port { get; }
    public uint Queue { get; }
    /// <summary>What runs: output to <see cref="Port"/>.</summary>
    public OutputAction Output { get; }

    /// <summary>format_ENQUEUE: <c>enqueue:PORT:QUEUE</c>, as a dump over OpenFlow 1.0 (ovs-ofctl's default) prints it.</summary>
    public override void Format(StringBuilder sb, IPortMap? ports)
        => sb.Append("enqueue:").Append(OpenFlowPorts.ReservedName(Port) ?? FieldSyntax.FormatPort(Port, ports))
            .Append(':').Append(Queue.ToString(CultureInfo.InvariantCulture));

    /// <summary>As OVS 3.1 holds it after an OpenFlow 1.5 controller installed it: <c>set_queue:Q,output:P,pop_queue</c>.</summary>
    public override void FormatOvs(StringBuilder sb)
    {
        sb.Append("set_queue:").Append(Queue.ToString(CultureInfo.InvariantCulture)).Append(',');
        Output.Format(sb, null);
        sb.Append(",pop_queue");
    }
}
