using System.Globalization;
using System.Text;
using Datapath.Classifier;

namespace Datapath.Engine.Actions;

/// <summary>
/// <c>sample(probability=N,collector_set_id=..,obs_domain_id=..,obs_point_id=..,sampling_port=..,ingress|egress)</c>:
/// sends one packet in N/65535 to the bridge's IPFIX collector set. This datapath has no IPFIX exporter, and OVS
/// itself does nothing for a sample when the bridge has no IPFIX configured (xlate_sample_action returns at once):
/// no frame or verdict changes. Accepted, printed as OVS's format_SAMPLE prints it.
/// </summary>
public sealed class SampleAction : FlowAction
{
    public SampleAction(ushort probability, uint collectorSetId, uint obsDomainId, uint obsPointId, uint? samplingPort, SampleDirection direction)
        : base(ActionKind.Sample)
    {
        Probability = probability;
        CollectorSetId = collectorSetId;
        ObsDomainId = obsDomainId;
        ObsPointId = obsPointId;
        SamplingPort = samplingPort;
        Direction = direction;
    }

    /// <summary>Packets sampled per 65535 (never 0).</summary>
    public ushort Probability { get; }
    public uint CollectorSetId { get; }
    public uint ObsDomainId { get; }
    public uint ObsPointId { get; }
    /// <summary>The port whose tunnel metadata the sample carries, or null (OFPP_NONE).</summary>
    public uint? SamplingPort { get; }
    public SampleDirection Direction { get; }

    public override void Format(StringBuilder sb, IPortMap? ports)
    {
        var c = CultureInfo.InvariantCulture;
        sb.Append("sample(probability=").Append(Probability.ToString(c))
            .Append(",collector_set_id=").Append(CollectorSetId.ToString(c))
            .Append(",obs_domain_id=").Append(ObsDomainId.ToString(c))
            .Append(",obs_point_id=").Append(ObsPointId.ToString(c));
        if (SamplingPort is { } p)
            sb.Append(",sampling_port=").Append(OpenFlowPorts.ReservedName(p) ?? FieldSyntax.FormatPort(p, ports));
        if (Direction != SampleDirection.Default)
            sb.Append(Direction == SampleDirection.Ingress ? ",ingress" : ",egress");
        sb.Append(')');
    }
}
