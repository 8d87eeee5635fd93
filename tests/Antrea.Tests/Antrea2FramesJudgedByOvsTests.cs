using System.Buffers.Binary;
using Datapath.Classifier;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>
/// Open vSwitch 3.1 judges the Antrea 2.x lab's frames: worker1's br-int in a headless ovs-vswitchd (its ports as dummy
/// ports, antrea-tun0 a native GENEVE port with remote_ip=flow over a br-phy bridge holding 10.79.1.201 and worker2's
/// neighbour, as OVS's tunnel-push-pop tests run it) and ours take the same random traffic in the same order (pods to
/// Services, pods and the outside, replies, the host and the outside through antrea-gw0, GENEVE from worker2), and every port transmits the same frames, byte for byte, in the same order; GENEVE frames are compared
/// with their UDP source port (a hash of the inner flow, chosen differently) set aside. Conntrack, NAT, select groups,
/// learn, dec_ttl and the tunnel all take part.
/// </summary>
public sealed class Antrea2FramesJudgedByOvsTests
{
    private static readonly MacAddress FrontendMac = MacAddress.Parse("be:2c:bf:e4:ec:c5"), Backend1Mac = MacAddress.Parse("f2:32:d8:07:e2:a6");
    private static readonly MacAddress Gw1 = MacAddress.Parse("4e:99:08:c1:53:be"), Gw2 = MacAddress.Parse("02:d8:4e:3f:92:1d"), Gvmac = MacAddress.Parse("aa:bb:cc:dd:ee:ff");
    private static readonly MacAddress Node1Mac = MacAddress.Parse("00:50:56:8f:4e:82"), Node2Mac = MacAddress.Parse("00:50:56:8f:1c:f6");
    private static readonly Ipv4Address Frontend = Ipv4Address.Parse("10.222.1.48"), Backend1 = Ipv4Address.Parse("10.222.1.47"), Backend2 = Ipv4Address.Parse("10.222.2.34");
    private static readonly Ipv4Address Node1 = Ipv4Address.Parse("10.79.1.201"), Node2 = Ipv4Address.Parse("10.79.1.202");
    // backendsvc, the affinity Service and frontendsvc (from the frontend itself: a hairpin). The hairpin and the NodePort
    // from the outside (case 4) commit their DNATed connection again in zone 65520 (SNATMark, ConntrackCommit) and depend
    // on the marks that commit sets: conntrack must find the translated packet's connection by its reverse key
    // (conntrack.c initial_conn_lookup), not commit the translated tuple as a second connection.
    private static readonly string[] s_services = ["10.104.65.133", "10.104.65.140", "10.108.240.18"];
    private const string Uplink = "ens160";

    [JudgedFact(nameof(OvsSwitchJudge))]
    public void Random_traffic_through_worker1_leaves_every_port_as_it_leaves_open_vswitch()
        => JudgeWorker1(scripted: null, minimumOutputs: 100);

    // The connections whose DNATed packets are committed again in zone 65520 (SNATMark, ConntrackCommit), each SYN
    // followed at once by its SYN-ACK: the frontend to frontendsvc (a hairpin: SNATed to the virtual Service IP and sent
    // back in on its own port) and the outside to frontendsvc's NodePort (the reply leaves by antrea-gw0 through
    // L3Forwarding's from-gateway flow, with the ct_mark that second commit set).
    [JudgedFact(nameof(OvsSwitchJudge))]
    public void Service_connections_committed_twice_in_one_zone_leave_as_they_leave_open_vswitch()
        => JudgeWorker1(scripted:
        [
            ("frontend-a3ba2f", PacketBuilder.Tcp(FrontendMac, Gw1, Frontend, Ipv4Address.Parse("10.108.240.18"), 41001, 80, TcpFlags.Syn, seq: 1000)),
            ("antrea-gw0", PacketBuilder.Tcp(Gw1, Gvmac, Ipv4Address.Parse("10.79.1.5"), Ipv4Address.Parse("169.254.0.252"), 41002, 30080, TcpFlags.Syn, seq: 2000, ttl: 63)),
            ("frontend-a3ba2f", PacketBuilder.Tcp(FrontendMac, Gw1, Frontend, Ipv4Address.Parse("10.104.65.133"), 41003, 80, TcpFlags.Syn, seq: 3000)),
        ], minimumOutputs: 4);

    private static void JudgeWorker1((string Port, byte[] Frame)[]? scripted, int minimumOutputs)
    {
        var lab = AntreaScenario.LoadEmbedded("antrea-2");
        var node = lab.GetNode("worker1");
        Bridge bridge = node.Bridge;
        using var ovs = OvsSwitchJudge.TryStart("br-int", bridge.Ports.Select(p => (p.OfPort, p.Name)), AntreaTables.V2FlowTables, out string? why, nativeTunnels: true)
            ?? throw new InvalidOperationException(why);
        string dir = Directory.CreateTempSubdirectory("a2f").FullName;
        try
        {
            ovs.SetInterface("antrea-tun0", "type=geneve", "options:remote_ip=flow", "options:key=flow", "options:csum=false");
            ovs.Vsctl("add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=dummy", $"other-config:hwaddr={Node1Mac}",
                "--", "add-port", "br-phy", Uplink, "--", "set", "interface", Uplink, "type=dummy", "ofport_request=1", $"options:tx_pcap={dir}/{Uplink}.pcap");
            foreach (var p in bridge.Ports.Where(p => p.Kind != PortKind.Tunnel))
                ovs.SetInterfaceOptions(p.Name, $"tx_pcap={dir}/{p.Name}.pcap");
            ovs.Appctl("netdev-dummy/ip4addr", "br-phy", "10.79.1.201/24");
            ovs.Appctl("ovs/route/add", "10.79.1.0/24", "br-phy");
            ovs.Appctl("tnl/neigh/set", "br-phy", "10.79.1.202", Node2Mac.ToString());
            ovs.Ofctl("add-flow", "br-phy", "actions=normal");
            Antrea2JudgedByOvsTests.LoadOurDump(ovs, bridge);

            var ours = new Dictionary<string, List<byte[]>>(StringComparer.Ordinal);
            var rng = new Random(20261207);
            var replies = new List<(string Port, byte[] Frame)>();
            var queue = new Queue<(string Port, byte[] Frame)>(scripted ?? []);
            int sent = 0;
            for (int i = 0; scripted is null ? i < 160 : queue.Count > 0; i++)
            {
                // Scripted: each frame, then at once the answers to what it sent. Random: a reply to an earlier output
                // now and then (the connection's second packet), else a new frame.
                var (port, frame) = scripted is not null ? queue.Dequeue()
                    : replies.Count > 0 && rng.Next(3) == 0 ? Take(replies, rng) : NewFrame(rng, i);
                ovs.Appctl("netdev-dummy/receive", port, Convert.ToHexString(frame).ToLowerInvariant());
                var trace = new Engine.Tracing.Trace();
                uint inPort = port == Uplink ? bridge.Ports.Single(p => p.Kind == PortKind.Tunnel).OfPort : bridge.Ports.Single(p => p.Name == port).OfPort;
                node.Process(inPort, frame, null, 1000 + i, trace);
                sent++;
                foreach (var o in trace.Outputs)
                {
                    string name = bridge.Ports.Single(p => p.OfPort == o.OfPort).Kind == PortKind.Tunnel ? Uplink : bridge.Ports.Single(p => p.OfPort == o.OfPort).Name;
                    (ours.TryGetValue(name, out var l) ? l : ours[name] = []).Add(o.Frame);
                    if (ReplyTo(name, o.Frame) is { } r)
                    {
                        if (scripted is null)
                            replies.Add(r);
                        else
                            queue.Enqueue(r);
                    }
                }
            }
            int expected = ours.Values.Sum(l => l.Count);
            Assert.True(expected >= minimumOutputs, $"only {expected} frames left our bridge: the traffic proves little");
            Assert.True(scripted is not null ? ours.ContainsKey("antrea-gw0") : ours.ContainsKey(Uplink) && ours.ContainsKey("backend1-bab86f") && ours.ContainsKey("frontend-a3ba2f") && ours.ContainsKey("antrea-gw0"),
                "the traffic should leave by every port: " + string.Join(", ", ours.Keys));
            var theirs = ReadTransmitted(dir, [.. ours.Keys, .. bridge.Ports.Where(p => p.Kind != PortKind.Tunnel).Select(p => p.Name)], expected);
            foreach (var port in theirs.Keys.Union(ours.Keys).Distinct())
            {
                var a = theirs.GetValueOrDefault(port) ?? [];
                var b = ours.GetValueOrDefault(port) ?? [];
                Assert.True(a.Count == b.Count, $"{port}: OVS sent {a.Count} frames, we sent {b.Count}");
                for (int k = 0; k < a.Count; k++)
                    Assert.True(Comparable(a[k]) == Comparable(b[k]), $"{port}, frame {k + 1}:\n OVS  {Convert.ToHexString(a[k])}\n ours {Convert.ToHexString(b[k])}");
            }
            // The learned session-affinity flows are OVS's too (its OpenFlow 1.0 dump spells their loads as load:, as we do).
            byte affinity = (byte)AntreaTables.V2FlowTables.Single(t => t.Value == "SessionAffinity").Key;
            Assert.Equal(bridge.DumpFlows(withStats: false, table: affinity, names: NamesShown.None).Where(l => l.Contains("hard_timeout", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
                ovs.Ofctl("--no-names", "--no-stats", "dump-flows", ovs.Bridge, $"table={affinity}").Split('\n').Select(l => l.Trim()).Where(l => l.Contains("hard_timeout", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (string, byte[]) Take(List<(string, byte[])> list, Random rng)
    {
        int i = rng.Next(list.Count);
        var r = list[i];
        list.RemoveAt(i);
        return r;
    }

    // New connections and strays, entering where they would on worker1.
    private static (string Port, byte[] Frame) NewFrame(Random rng, int i)
    {
        ushort sport = (ushort)(20000 + i * 7 + rng.Next(5));
        switch (rng.Next(9))
        {
            case 0 or 1 or 5:   // the frontend to a Service (TCP 80): backendsvc or the affinity Service
                return ("frontend-a3ba2f", PacketBuilder.Tcp(FrontendMac, Gw1, Frontend, Ipv4Address.Parse(s_services[rng.Next(s_services.Length)]), sport, 80, TcpFlags.Syn, seq: (uint)rng.Next()));
            case 2:        // the frontend to a backend directly, allowed (80) or not (8080); or UDP 53 anywhere
                return rng.Next(3) switch
                {
                    0 => ("frontend-a3ba2f", PacketBuilder.Tcp(FrontendMac, Gw1, Frontend, rng.Next(2) == 0 ? Backend1 : Backend2, sport, 80, TcpFlags.Syn)),
                    1 => ("frontend-a3ba2f", PacketBuilder.Tcp(FrontendMac, Gw1, Frontend, Backend1, sport, 8080, TcpFlags.Syn)),
                    _ => ("frontend-a3ba2f", PacketBuilder.Udp(FrontendMac, Gw1, Frontend, Ipv4Address.Parse("10.79.1.5"), sport, 53, [1, 2, 3])),
                };
            case 3:        // backend1's own new connection (egress-isolated), or a spoofed source
                return rng.Next(2) == 0
                    ? ("backend1-bab86f", PacketBuilder.Tcp(Backend1Mac, Gw1, Backend1, Frontend, sport, 80, TcpFlags.Syn))
                    : ("backend1-bab86f", PacketBuilder.Tcp(Backend1Mac, Gw1, Ipv4Address.Parse("10.222.1.99"), Frontend, sport, 80, TcpFlags.Syn));
            case 4 when rng.Next(3) == 0:   // the outside to frontendsvc's NodePort, DNATed by the host to the virtual NodePort IP
                return ("antrea-gw0", PacketBuilder.Tcp(Gw1, Gvmac, Ipv4Address.Parse("10.79.1.5"), Ipv4Address.Parse("169.254.0.252"), sport, 30080, TcpFlags.Syn, ttl: 63));
            case 4:        // the outside through the host to the frontend (allowed) or a backend (not), unmasqueraded
                return ("antrea-gw0", PacketBuilder.Tcp(Gw1, rng.Next(2) == 0 ? FrontendMac : Backend1Mac, Ipv4Address.Parse("10.79.1.5"),
                    rng.Next(2) == 0 ? Frontend : Backend1, sport, 80, TcpFlags.Syn, ttl: 63));
            case 6:        // worker2's pods through the tunnel: backend2 (egress-isolated) or the gateway of worker2 (SNATed NodePort traffic)
                return (Uplink, Geneve(PacketBuilder.Tcp(Gw2, Gvmac, rng.Next(2) == 0 ? Backend2 : Ipv4Address.Parse("10.222.2.1"), Frontend, sport, 80, TcpFlags.Syn, ttl: 63)));
            case 7:        // ARP: a pod asks for its gateway, the host for the peer gateway (ARPResponder)
                return rng.Next(2) == 0
                    ? ("frontend-a3ba2f", PacketBuilder.Arp(1, FrontendMac, Frontend, MacAddress.Zero, Ipv4Address.Parse("10.222.1.1"), FrontendMac, MacAddress.Broadcast))
                    : ("antrea-gw0", PacketBuilder.Arp(1, Gw1, Ipv4Address.Parse("10.222.1.1"), MacAddress.Zero, Ipv4Address.Parse("10.222.2.1"), Gw1, MacAddress.Broadcast));
            default:       // the frontend pings the outside (EgressMark, the gateway)
                return ("frontend-a3ba2f", PacketBuilder.IcmpEcho(FrontendMac, Gw1, Frontend, Ipv4Address.Parse("10.79.1.1"), reply: false, id: (ushort)i, seq: 1));
        }
    }

    // The answer of whoever received an output TCP SYN: a pod answers on its port, the host on antrea-gw0, worker2's pod through the tunnel.
    private static (string, byte[])? ReplyTo(string port, byte[] frame)
    {
        byte[] inner = port == Uplink ? frame[(14 + 20 + 8 + 8)..] : frame;
        FlowKey.Extract(inner, 0, out var k);
        if (!k.IsIpv4 || k.NwProto != 6 || (k.TcpFlags & 0x12) != 0x02)
            return null;
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(inner.AsSpan(14 + 20 + 4));
        var synAck = PacketBuilder.Tcp(k.DlDst, k.DlSrc, new Ipv4Address(k.NwDst), new Ipv4Address(k.NwSrc), k.TpDst, k.TpSrc, TcpFlags.Syn | TcpFlags.Ack, seq: 77, ack: seq + 1);
        if (port == Uplink)
        {
            // backend2 on worker2 answers: its reply comes back tunnelled from worker2's gateway MAC to the global virtual MAC.
            return (Uplink, Geneve(PacketBuilder.Tcp(Gw2, Gvmac, new Ipv4Address(k.NwDst), new Ipv4Address(k.NwSrc), k.TpDst, k.TpSrc, TcpFlags.Syn | TcpFlags.Ack, seq: 77, ack: seq + 1, ttl: 63)));
        }
        return (port, synAck);
    }

    // What worker2's OVS sends: outer Ethernet/IPv4/UDP to 6081, GENEVE with VNI 0 and no options, the inner Ethernet frame.
    private static byte[] Geneve(byte[] inner)
    {
        byte[] payload = new byte[8 + inner.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(2), 0x6558);
        inner.CopyTo(payload, 8);
        return PacketBuilder.Udp(Node2Mac, Node1Mac, Node2, Node1, 51234, 6081, payload);
    }

    // A frame as compared: GENEVE's UDP source port (a hash of the inner flow) zeroed; everything else as sent.
    private static string Comparable(byte[] frame)
    {
        byte[] f = (byte[])frame.Clone();
        if (f.Length > 14 + 20 + 8 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == EtherTypes.IPv4 && f[14 + 9] == 17
            && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(14 + (f[14] & 0xf) * 4 + 2)) == 6081)
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14 + (f[14] & 0xf) * 4), 0);
        return Convert.ToHexString(f);
    }

    // Each port's transmitted frames in order, from its tx_pcap (classic pcap, written as frames leave).
    private static Dictionary<string, List<byte[]>> ReadTransmitted(string dir, IEnumerable<string> ports, int expected)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var byPort = new Dictionary<string, List<byte[]>>(StringComparer.Ordinal);
            foreach (string port in ports.Distinct())
            {
                if (DummyPortPcap.Read(Path.Combine(dir, port + ".pcap")) is { Count: > 0 } frames)
                    byPort[port] = frames;
            }
            if (byPort.Values.Sum(l => l.Count) >= expected || sw.Elapsed > TimeSpan.FromSeconds(10))
                return byPort;
            Thread.Sleep(100);
        }
    }
}
