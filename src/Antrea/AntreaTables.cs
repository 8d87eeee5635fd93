namespace Datapath.Antrea;

/// <summary>
/// Antrea's OpenFlow tables: v0.10's fixed ids and names (pkg/agent/openflow/pipeline.go at v0.10.0), the seed lab's,
/// and Antrea 2.x's names in the numbers its flexible pipeline gives them for the Antrea 2.x lab's feature set
/// (<see cref="V2FlowTables"/>).
/// </summary>
public static class AntreaTables
{
    public const byte Classification = 0;
    public const byte SpoofGuard = 10;
    public const byte ArpResponder = 20;
    public const byte Conntrack = 30;
    public const byte ConntrackState = 31;
    public const byte Dnat = 40;
    public const byte EgressRule = 50;
    public const byte EgressDefault = 60;
    public const byte L3Forwarding = 70;
    public const byte L2Forwarding = 80;
    public const byte IngressRule = 90;
    public const byte IngressDefault = 100;
    public const byte ConntrackCommit = 105;
    public const byte L2ForwardingOut = 110;

    /// <summary>
    /// Antrea v0.10's FlowTables list (pkg/agent/openflow/pipeline.go at v0.10.0), in its order: the
    /// name of every table its pipeline can use, the seed's and those of features the seed lab does not
    /// turn on (uplink, service hairpin and load balancing, Antrea-native policy tiers, metrics). Table 40 has two
    /// entries (dnatTable and sessionAffinityTable share the number).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<byte, string>> V010FlowTables { get; } =
    [
        new(Classification, "Classification"),
        new(5, "Uplink"),
        new(SpoofGuard, "SpoofGuard"),
        new(ArpResponder, "ARPResponder"),
        new(29, "ServiceHairpin"),
        new(Conntrack, "ConntrackZone"),
        new(ConntrackState, "ConntrackState"),
        new(Dnat, "DNAT(SessionAffinity)"),
        new(Dnat, "SessionAffinity"),
        new(41, "ServiceLB"),
        new(42, "EndpointDNAT"),
        new(45, "AntreaPolicyMultiTierEgressRule"),
        new(49, "AntreaPolicyAppTierEgressRule"),
        new(EgressRule, "EgressRule"),
        new(EgressDefault, "EgressDefaultRule"),
        new(61, "EgressMetric"),
        new(L3Forwarding, "l3Forwarding"),
        new(L2Forwarding, "L2Forwarding"),
        new(85, "AntreaPolicyMultiTierIngressRule"),
        new(89, "AntreaPolicyAppTierIngressRule"),
        new(IngressRule, "IngressRule"),
        new(IngressDefault, "IngressDefaultRule"),
        new(101, "IngressMetric"),
        new(ConntrackCommit, "ConntrackCommit"),
        new(106, "HairpinSNATTable"),
        new(L2ForwardingOut, "Output"),
    ];

    /// <summary>
    /// Antrea 2.x's tables as its agent realizes them for the Antrea 2.x lab's feature set (defaults plus
    /// antreaProxy.proxyAll; IPv4; encap; no TrafficControl, L7NetworkPolicy, Multicast, EgressTrafficShaping or DSR).
    /// Antrea v2.7.0 numbers its tables in realization order (pkg/agent/openflow/client.go and pipeline.go
    /// generatePipeline: pipelineRoot, then pipelineARP, then pipelineIP, each in pipeline.go's declaration order, only
    /// the tables some activated feature's getRequiredTables names), so the numbers hold for this feature set only: with
    /// Multicast PipelineIPClassifier comes after SpoofGuard, with TrafficControl TrafficControl after L2ForwardingCalc.
    /// Left out here, as the agent leaves them out: IPv6, PipelineIPClassifier, DSRServiceMark, DNAT,
    /// EgressSecurityClassifier, EgressQoS, TrafficControl, VLAN and the Multicast and NonIP pipelines.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<byte, string>> V2FlowTables { get; } =
    [
        .. new[]
        {
            "PipelineRootClassifier", "ARPSpoofGuard", "ARPResponder", "Classifier", "SpoofGuard", "UnSNAT", "ConntrackZone",
            "ConntrackState", "PreRoutingClassifier", "NodePortMark", "SessionAffinity", "ServiceLB", "EndpointDNAT",
            "AntreaPolicyEgressRule", "EgressRule", "EgressDefaultRule", "EgressMetric", "L3Forwarding", "EgressMark", "L3DecTTL",
            "SNATMark", "SNAT", "L2ForwardingCalc", "IngressSecurityClassifier", "AntreaPolicyIngressRule", "IngressRule",
            "IngressDefaultRule", "IngressMetric", "ConntrackCommit", "Output",
        }.Select((name, id) => new KeyValuePair<byte, string>((byte)id, name)),
    ];

    /// <summary>The table's name as Antrea v0.10's GetFlowTableName gives it (the first entry for the number), or null.</summary>
    public static string? Name(byte table)
        => V010FlowTables.FirstOrDefault(t => t.Key == table).Value;

    /// <summary>The name sets a scenario's <c>tables:</c> key can name, with the set itself.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<byte, string>>> NameSets { get; } =
        new Dictionary<string, IReadOnlyList<KeyValuePair<byte, string>>>(StringComparer.Ordinal)
        {
            // One name per table, as GetFlowTableName answers (table 40: "DNAT(SessionAffinity)").
            ["antrea-v0.10"] = [.. V010FlowTables.DistinctBy(t => t.Key)],
            ["antrea-2"] = V2FlowTables,
        };

    /// <summary>All tables of the pipeline in order.</summary>
    public static IReadOnlyList<byte> All { get; } =
        [Classification, SpoofGuard, ArpResponder, Conntrack, ConntrackState, Dnat, EgressRule, EgressDefault,
         L3Forwarding, L2Forwarding, IngressRule, IngressDefault, ConntrackCommit, L2ForwardingOut];
}
