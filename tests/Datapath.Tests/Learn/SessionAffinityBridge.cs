using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Learn;

/// <summary>
/// A bridge with Antrea 2.x's session affinity flows (docs/design/ovs-pipeline.md, "SessionAffinity" and
/// "ServiceLB"), for the ClusterIP 10.96.76.15:80 with two endpoints, 10.10.0.5 (pod port 2) and 10.10.0.6 (pod
/// port 3): PreRoutingClassifier resubmits to SessionAffinity then ServiceLB; a first packet selects an endpoint in
/// group 11 and comes back to ServiceLB, whose learn writes the choice into SessionAffinity for 300 s.
/// EndpointDNAT stands for the DNAT by sending to the endpoint's port.
/// </summary>
internal sealed class SessionAffinityBridge : IDisposable
{
    public const byte PreRoutingClassifier = 0, SessionAffinity = 41, ServiceLB = 42, EndpointDNAT = 43;
    public static readonly Ipv4Address Client = Ipv4Address.Parse("10.10.0.1");
    public static readonly Ipv4Address ClusterIp = Ipv4Address.Parse("10.96.76.15");
    private static readonly MacAddress Mac = MacAddress.Parse("02:00:00:00:00:0a");

    public SessionAffinityBridge(bool useCache = true, string learnTimeouts = "hard_timeout=300")
    {
        var br = new Bridge();
        br.TableNames = new TableNameMap([new(0, "PreRoutingClassifier"), new(41, "SessionAffinity"), new(42, "ServiceLB"), new(43, "EndpointDNAT")]);
        br.AddPort(1, "client", Mac, PortKind.Pod);
        br.AddPort(2, "backend1", Mac, PortKind.Pod);
        br.AddPort(3, "backend2", Mac, PortKind.Pod);
        br.AddGroup("group_id=11,type=select,bucket=bucket_id:0,weight:100,actions=set_field:0xa0a0005->reg3,set_field:0x50/0xffff->reg4,resubmit(,ServiceLB),"
            + "bucket=bucket_id:1,weight:100,actions=set_field:0xa0a0006->reg3,set_field:0x50/0xffff->reg4,resubmit(,ServiceLB)");
        using var flows = new StringReader($"""
            table=PreRoutingClassifier, priority=200,ip actions=resubmit(,SessionAffinity),resubmit(,ServiceLB)
            table=SessionAffinity, priority=0 actions=set_field:0x10000/0x70000->reg4
            table=ServiceLB, priority=200,tcp,reg4=0x10000/0x70000,nw_dst=10.96.76.15,tp_dst=80 actions=set_field:0x200/0x200->reg0,set_field:0x30000/0x70000->reg4,set_field:0xa->reg7,group:11
            table=ServiceLB, priority=190,tcp,reg4=0x30000/0x70000,nw_dst=10.96.76.15,tp_dst=80 actions=learn(table=SessionAffinity,{learnTimeouts},priority=200,delete_learned,cookie=0x203000000000a,eth_type=0x800,nw_proto=6,NXM_OF_TCP_DST[],NXM_OF_IP_DST[],NXM_OF_IP_SRC[],load:NXM_NX_REG4[0..15]->NXM_NX_REG4[0..15],load:NXM_NX_REG4[26]->NXM_NX_REG4[26],load:NXM_NX_REG3[]->NXM_NX_REG3[],load:0x2->NXM_NX_REG4[16..18],load:0x1->NXM_NX_REG0[9]),set_field:0x20000/0x70000->reg4,goto_table:EndpointDNAT
            table=ServiceLB, priority=0 actions=goto_table:EndpointDNAT
            table=EndpointDNAT, priority=200,tcp,reg3=0xa0a0005,reg4=0x20050/0x7ffff actions=output:2
            table=EndpointDNAT, priority=200,tcp,reg3=0xa0a0006,reg4=0x20050/0x7ffff actions=output:3
            """);
        br.LoadFlows(flows, "session-affinity.flows");
        Node = new Node("worker1", br, Ipv4Address.Parse("192.0.2.1"), Mac) { UseFlowCache = useCache };
    }

    public Node Node { get; }
    public Bridge Bridge => Node.Bridge;

    /// <summary>A SYN from the client's <paramref name="sourcePort"/> to the ClusterIP.</summary>
    public static byte[] Syn(ushort sourcePort, Ipv4Address? client = null)
        => PacketBuilder.Tcp(Mac, Mac, client ?? Client, ClusterIp, sourcePort, 80, TcpFlags.Syn);

    /// <summary>The port the packet went out of (0 if none).</summary>
    public uint Send(ushort sourcePort, long nowMs, Ipv4Address? client = null)
    {
        var sink = new CapturingSink();
        Node.Process(1, Syn(sourcePort, client), sink, nowMs);
        return sink.Ports.Count == 1 ? sink.Ports[0] : 0;
    }

    public IReadOnlyList<FlowRule> Learned => [.. Bridge.Tables.Rules(SessionAffinity).Where(r => r.Priority == 200)];

    public void Dispose() => Node.Dispose();

    private sealed class CapturingSink : IPacketSink
    {
        public List<uint> Ports { get; } = [];

        public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame) => Ports.Add(port.OfPort);
    }
}
