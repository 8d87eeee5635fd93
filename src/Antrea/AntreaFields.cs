namespace Datapath.Antrea;

/// <summary>
/// Antrea v0.10's register layout and marks (pkg/agent/openflow/pipeline.go of that release,
/// written as fields.go declares them in later releases), as the seed flows use them.
/// </summary>
public static class AntreaFields
{
    /// <summary>reg0[0..15]: where the packet came from (marksReg).</summary>
    public static readonly RegField PacketSource = new(0, 0, 15, "PacketSource");
    public static readonly RegMark FromTunnel = new(PacketSource, 0, "FromTunnel");
    public static readonly RegMark FromGateway = new(PacketSource, 1, "FromGateway");
    public static readonly RegMark FromLocal = new(PacketSource, 2, "FromLocal");

    /// <summary>reg0[16]: the output port in reg1 is set (ofPortMarkRange).</summary>
    public static readonly RegField OfPortFound = new(0, 16, 16, "OFPortFound");
    public static readonly RegMark PortFound = new(OfPortFound, 1, "OFPortFound");

    /// <summary>reg0[19]: the destination MAC must be rewritten (macRewriteMark, set for packets from the tunnel).</summary>
    public static readonly RegField MacRewrite = new(0, 19, 19, "MACRewrite");
    public static readonly RegMark RewriteMac = new(MacRewrite, 1, "RewriteMAC");

    /// <summary>reg1: the output ofport (portCacheReg), read by table 110's output:NXM_NX_REG1[].</summary>
    public static readonly RegField TargetOfPort = new(1, 0, 31, "TargetOFPort");

    /// <summary>reg5: the conj_id of the egress NetworkPolicy rule that allowed the packet (EgressReg).</summary>
    public static readonly RegField EgressRule = new(5, 0, 31, "EgressRuleID");

    /// <summary>reg6: the conj_id of the ingress NetworkPolicy rule that allowed the packet (IngressReg).</summary>
    public static readonly RegField IngressRule = new(6, 0, 31, "IngressRuleID");

    /// <summary>reg9[28..31]: the Traceflow data-plane tag copied from tun_metadata0[28..31].</summary>
    public static readonly RegField TraceflowTag = new(9, 28, 31, "TraceflowTag");

    /// <summary>ct_mark 0x20: the connection came in through the gateway (gatewayCTMark), so replies go back to it.</summary>
    public const uint GatewayCtMark = 0x20;

    /// <summary>The conntrack zone of Antrea's flows (CtZone).</summary>
    public const ushort CtZone = 65520;

    /// <summary>Antrea's global virtual MAC, the destination of routed packets (globalVirtualMAC).</summary>
    public const string GlobalVirtualMac = "aa:bb:cc:dd:ee:ff";

    /// <summary>The TLV map Antrea installs for tun_metadata0 (Traceflow).</summary>
    public const string TlvMap = "{class=0xffff,type=0,len=4}->tun_metadata0";
}
