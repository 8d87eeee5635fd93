namespace Datapath.Antrea;

/// <summary>Antrea v0.10's OpenFlow tables (pkg/agent/openflow/pipeline.go): ids and names.</summary>
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

    /// <summary>The table's name in Antrea, or null for a table Antrea does not use.</summary>
    public static string? Name(byte table) => table switch
    {
        Classification => "ClassificationTable",
        SpoofGuard => "SpoofGuardTable",
        ArpResponder => "ARPResponderTable",
        Conntrack => "ConntrackTable",
        ConntrackState => "ConntrackStateTable",
        Dnat => "DNATTable",
        EgressRule => "EgressRuleTable",
        EgressDefault => "EgressDefaultTable",
        L3Forwarding => "L3ForwardingTable",
        L2Forwarding => "L2ForwardingCalcTable",
        IngressRule => "IngressRuleTable",
        IngressDefault => "IngressDefaultTable",
        ConntrackCommit => "ConntrackCommitTable",
        L2ForwardingOut => "L2ForwardingOutTable",
        _ => null,
    };

    /// <summary>All tables of the pipeline in order.</summary>
    public static IReadOnlyList<byte> All { get; } =
        [Classification, SpoofGuard, ArpResponder, Conntrack, ConntrackState, Dnat, EgressRule, EgressDefault,
         L3Forwarding, L2Forwarding, IngressRule, IngressDefault, ConntrackCommit, L2ForwardingOut];
}
