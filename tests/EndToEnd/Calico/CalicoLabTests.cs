using Datapath.Antrea;
using Datapath.EndToEnd.Tests.Cli;
using Datapath.Engine;
using Datapath.Engine.Host;
using Datapath.Engine.Tracing;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.EndToEnd.Tests.Calico;

/// <summary>
/// The embedded Calico lab (src/Antrea/Calico) walked as seeds 002 and 003 walk their clusters: the curl from a
/// node's own stack through the same chains as seed 002's xtables-monitor trace, out of vxlan.calico as VXLAN
/// (tshark's and our decoder's reading), into worker2's podinfo pod; and backend-service's three endpoints
/// chosen as kube-proxy's probabilities say.
/// </summary>
public sealed class CalicoLabTests : IDisposable
{
    private const string PodinfoVeth = "cali77c9412e024";   // podinfo/frontend-podinfo-7854c7cd4c-jvdx5 on worker2, 10.42.54.194
    private const string DebugVeth = "calie3ba9b96e53";     // default/debug on worker1, 10.42.135.132
    private static readonly Ipv4Address PodinfoClusterIp = Ipv4Address.Parse("10.43.156.98");
    private static readonly Ipv4Address BackendService = Ipv4Address.Parse("10.43.199.177");
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-calico-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Seed 002's curl: SRC chosen by routing, SPORT 49058, DPORT 9898, SYN, LEN=60.</summary>
    private static byte[] CurlSyn(ushort sport = 49058) => PacketBuilder.Tcp(MacAddress.Zero, MacAddress.Zero, default, PodinfoClusterIp, sport, 9898,
        TcpFlags.Syn, seq: 1, options: PacketBuilder.LinuxSynOptions(1460, 1, 0, 7), ipId: 45471);

    [Fact]
    public void Seed002_curl_from_the_node_walks_the_chains_of_the_seeds_xtables_monitor_trace_in_order()
    {
        var ours = WorkerOneChains(seed: 1);
        Assert.Equal(SeedChains(), ours);
    }

    [Fact]
    public void Seed002_curl_from_the_node_walks_raw_mangle_nat_filter_then_postrouting_with_cali_POSTROUTINGs_masquerade()
    {
        // What holds with or without --ctstate DNAT in later hooks: every step of the seed's trace outside the two
        // rules that test it, in the seed's order (the exact equality is the skipped test above).
        var ours = WorkerOneChains(seed: 1);
        var seed = SeedChains().Where(s => !s.StartsWith("filter:cali-to-host-endpoint", StringComparison.Ordinal)
            && !s.StartsWith("mangle:cali-to-host-endpoint", StringComparison.Ordinal) && s != "mangle:cali-POSTROUTING:rule:JUMP:cali-to-host-endpoint").ToList();
        int at = 0;
        foreach (string step in seed)
        {
            int next = ours.IndexOf(step, at);
            Assert.True(next >= 0, $"seed step '{step}' missing (after our step {at}) in:\n{string.Join('\n', ours)}");
            at = next + 1;
        }
        Assert.Equal("nat:cali-POSTROUTING:rule", ours[^1]); // the walk ends where the seed's does: MASQUERADE on vxlan.calico
    }

    [Fact]
    public void Seed002_curl_leaves_worker1_as_vxlan_to_worker2_judged_by_tshark_and_our_decoder()
    {
        var scenario = AntreaScenario.LoadEmbedded("calico");
        using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Node, seed: 1);
        var sink = new ExitSink();
        var result = journey.RunLocal(journey.GetNode("worker1"), CurlSyn(), sink, nowMs: 1000);
        Assert.Equal(1, result.Outputs);
        var (where, frame) = Assert.Single(sink.Exits);
        Assert.Equal("worker1/enp3s0", where);
        string pcap = Path.Combine(_dir, "enp3s0.pcap");
        using (var w = PcapWriter.Create(pcap))
            w.WriteFrame(frame, 1_700_000_000_000_000_000);

        string tshark = ExternalTools.Require("tshark", "tshark");
        string output = ExternalTools.Run(tshark, "-r", pcap, "-n", "-o", "ip.check_checksum:TRUE", "-T", "fields", "-E", "separator=|",
            "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.protocols", "-e", "vxlan.vni", "-e", "udp.dstport", "-e", "ip.src", "-e", "ip.dst",
            "-e", "eth.src", "-e", "eth.dst", "-e", "tcp.dstport", "-e", "tcp.flags.syn", "-e", "ip.checksum.status");
        var f = output.Trim().Split('|');
        Assert.Equal("eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:tcp", f[0]);
        Assert.Equal("4096", f[1]);
        Assert.Equal("4789", f[2]);
        // Outer: worker1's node IP to worker2's (the FDB entry of worker2's vxlan.calico MAC); inner: MASQUERADE chose
        // vxlan.calico's address, the DNAT chose the seed's endpoint 10.42.54.194.
        Assert.Equal("192.168.1.88,10.42.135.130", f[3]);
        Assert.Equal("192.168.1.89,10.42.54.194", f[4]);
        Assert.Equal("52:54:00:3a:6c:88,66:85:d4:1e:92:3b", f[5]);
        Assert.Equal("52:54:00:3a:6c:89,66:f8:2d:91:be:9a", f[6]);
        Assert.Equal("9898", f[7]);
        Assert.Equal("1", f[8]);
        Assert.Equal("1,1", f[9]);

        var (code, text, err) = CliRunner.Run("decode", pcap);
        Assert.True(code == 0, err);
        Assert.Contains("VXLAN, flags [I] (0x08), vni 4096", text, StringComparison.Ordinal);
        // MASQUERADE --random-fully may give the connection another source port; the addresses and the destination are the seed's.
        Assert.Matches(@"10\.42\.135\.130\.\d+ > 10\.42\.54\.194\.9898: Flags \[S\]", text);
    }

    [Fact]
    public void Seed002_curl_reaches_podinfo_on_worker2_and_its_syn_ack_is_delivered_back_to_worker1s_stack()
    {
        var scenario = AntreaScenario.LoadEmbedded("calico");
        using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Cluster, seed: 1);
        var sink = new ExitSink();
        var trace = new Trace();
        var result = journey.RunLocal(journey.GetNode("worker1"), CurlSyn(), sink, nowMs: 1000, trace);
        Assert.Equal((1, 1, 0), (result.Outputs, result.Transits, result.Drops));
        var (where, frame) = Assert.Single(sink.Exits);
        Assert.Equal($"worker2/{PodinfoVeth}", where);
        FlowKey.Extract(frame, 0, out var syn);
        Assert.Equal(("ee:ee:ee:ee:ee:ee", "5e:a8:33:f1:6c:04"), (syn.DlSrc.ToString(), syn.DlDst.ToString()));
        Assert.Equal(("10.42.135.130", "10.42.54.194", (ushort)9898), (new Ipv4Address(syn.NwSrc).ToString(), new Ipv4Address(syn.NwDst).ToString(), syn.TpDst));
        Assert.Equal(63, syn.NwTtl); // worker2 forwarded it (vxlan.calico -> the cali veth)
        Assert.Contains(trace.Steps, s => s.Node == "worker2" && s.Kind == TraceKind.Tunnel && s.Summary!.StartsWith("vxlan vxlan.calico: decapsulate from 192.168.1.88", StringComparison.Ordinal));

        // podinfo answers: its SYN-ACK goes back over VXLAN, worker1 undoes MASQUERADE and the DNAT, and its stack takes it.
        var synAck = PacketBuilder.Tcp(syn.DlDst, syn.DlSrc, new Ipv4Address(syn.NwDst), new Ipv4Address(syn.NwSrc), syn.TpDst, syn.TpSrc,
            TcpFlags.Syn | TcpFlags.Ack, seq: 7, ack: 2);
        var back = new ExitSink();
        var traceBack = new Trace();
        var worker2 = journey.GetNode("worker2");
        result = journey.RunHost(worker2, worker2.Host!.Interfaces.Single(i => i.Name == PodinfoVeth), synAck, back, nowMs: 1001, traceBack);
        Assert.Equal((0, 1, 1, 0), (result.Outputs, result.Transits, result.Delivered, result.Drops));
        var onWorker1 = traceBack.Steps.Where(s => s.Node == "worker1").Select(s => s.Summary ?? "").ToList();
        int decap = onWorker1.FindIndex(s => s.StartsWith("vxlan vxlan.calico: decapsulate from 192.168.1.89", StringComparison.Ordinal));
        Assert.True(decap >= 0, string.Join('\n', onWorker1));
        // After the inner PREROUTING the destination is the node's own address again (MASQUERADE undone), and INPUT delivers it.
        Assert.Contains("route 192.168.1.88: local (table local)", onWorker1.Skip(decap));
        Assert.StartsWith("deliver to the host", onWorker1[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_pods_gateway_169_254_1_1_is_answered_by_proxy_arp_with_the_veths_mac()
    {
        var scenario = AntreaScenario.LoadEmbedded("calico");
        using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Cluster, seed: 1);
        var worker1 = journey.GetNode("worker1");
        var veth = worker1.Host!.Interfaces.Single(i => i.Name == DebugVeth);
        var podMac = MacAddress.Parse("ae:91:c2:5b:08:7f");
        var request = PacketBuilder.Arp(ArpPacket.OpRequest, podMac, Ipv4Address.Parse("10.42.135.132"), MacAddress.Zero, Ipv4Address.Parse("169.254.1.1"), podMac, MacAddress.Broadcast);
        var sink = new ExitSink();
        var result = journey.RunHost(worker1, veth, request, sink, nowMs: 1);
        var (where, reply) = Assert.Single(sink.Exits);
        Assert.Equal($"worker1/{DebugVeth}", where);
        Assert.True(ArpPacket.TryRead(reply.AsSpan(EthernetHeader.Length), out var arp));
        Assert.Equal((ArpPacket.OpReply, "169.254.1.1", "ee:ee:ee:ee:ee:ee"), (arp.Operation, arp.SenderProtocolAddress.ToString(), arp.SenderHardwareAddress.ToString()));
        Assert.Equal(1, result.Delivered);

        // Proxy ARP answers only for addresses routed out of another device: the pod's own address is routed back out of its veth.
        var self = PacketBuilder.Arp(ArpPacket.OpRequest, podMac, Ipv4Address.Parse("10.42.135.132"), MacAddress.Zero, Ipv4Address.Parse("10.42.135.132"), podMac, MacAddress.Broadcast);
        var none = new ExitSink();
        result = journey.RunHost(worker1, veth, self, none, nowMs: 2);
        Assert.Empty(none.Exits);
        Assert.Equal(1, result.Drops);
    }

    [Fact]
    public void Backend_service_splits_3000_connections_over_its_three_endpoints_as_its_probabilities_say()
    {
        // KUBE-SVC-ZZAJ2COS27FT6J6V: 0.33333333349, then 0.5 of the rest, then the last: a third each. Chi-square with
        // two degrees of freedom, p > 0.01 <=> statistic < 9.2103.
        var scenario = AntreaScenario.LoadEmbedded("calico");
        using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Cluster, seed: 17);
        var worker1 = journey.GetNode("worker1");
        var veth = worker1.Host!.Interfaces.Single(i => i.Name == DebugVeth);
        var podMac = MacAddress.Parse("ae:91:c2:5b:08:7f");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        const int Connections = 3000;
        for (int i = 0; i < Connections; i++)
        {
            var syn = PacketBuilder.Tcp(podMac, veth.Mac, Ipv4Address.Parse("10.42.135.132"), BackendService, (ushort)(20000 + i), 8000, TcpFlags.Syn);
            var sink = new ExitSink();
            journey.RunHost(worker1, veth, syn, sink, nowMs: 1000 + i);
            var (where, frame) = Assert.Single(sink.Exits);
            FlowKey.Extract(frame, 0, out var k);
            string endpoint = $"{where} {new Ipv4Address(k.NwDst)}:{k.TpDst}";
            counts[endpoint] = counts.GetValueOrDefault(endpoint) + 1;
        }
        Assert.Equal(
            [$"master/calib490a6019fc 10.42.217.68:8000", $"worker1/cali6847b0d64cd 10.42.135.131:8000", $"worker2/cali8e7b5221805 10.42.54.195:8000"],
            counts.Keys.Order(StringComparer.Ordinal));
        double expected = Connections / 3.0;
        double chi2 = counts.Values.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chi2 < 9.2103, $"chi-square {chi2:F2} (p <= 0.01) for {string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}"))}");
    }

    [Fact]
    public void Trace_and_demo_run_the_calico_lab_from_the_cli()
    {
        var (code, text, err) = CliRunner.Run("trace", "--lab", "calico", "--node", "worker1", "--from-host", "--no-frames", "tcp,nw_dst=10.43.156.98,tp_dst=9898,tcp_flags=syn");
        Assert.True(code == 0, err);
        string[] inOrder =
        [
            "route 10.43.156.98 (local out): default via 192.168.1.1 dev enp3s0 proto static; ip route get: 10.43.156.98 via 192.168.1.1 dev enp3s0 src 192.168.1.88",
            "nat:KUBE-SVC-Y4T5L63IYP3YFEBS:rule:1:JUMP:KUBE-MARK-MASQ",
            "re-route 10.42.54.194 after DNAT (ip_route_me_harder): 10.42.54.192/26 via 10.42.54.193 dev vxlan.calico onlink",
            "nat:cali-POSTROUTING:rule:3:MASQUERADE",
            "neighbor 10.42.54.193 dev vxlan.calico lladdr 66:f8:2d:91:be:9a",
            "vxlan vxlan.calico: encapsulate 66:f8:2d:91:be:9a -> dst 192.168.1.89 (fdb), vni 4096",
            "node worker2",
            "filter:cali-INPUT:rule:1:ACCEPT",
            "vxlan vxlan.calico: decapsulate from 192.168.1.88, vni 4096",
            $"route 10.42.54.194: 10.42.54.194 dev {PodinfoVeth} scope link",
            $"output on worker2 port 0({PodinfoVeth})",
        ];
        int at = 0;
        foreach (string step in inOrder)
        {
            int next = text.IndexOf(step, at, StringComparison.Ordinal);
            Assert.True(next >= 0, $"'{step}' missing after offset {at} in:\n{text}");
            at = next;
        }

        (code, text, err) = CliRunner.Run("trace", "--lab", "calico", "--node", "worker1", "--in-port", DebugVeth, "--no-frames",
            "tcp,dl_src=ae:91:c2:5b:08:7f,nw_src=10.42.135.132,nw_dst=10.43.199.177,tp_src=51324,tp_dst=8000,tcp_flags=syn");
        Assert.True(code == 0, err);
        Assert.Contains("nat:KUBE-SERVICES:rule:6:JUMP:KUBE-SVC-ZZAJ2COS27FT6J6V", text, StringComparison.Ordinal);

        (code, text, err) = CliRunner.Run("demo", "--lab", "calico", "--no-frames");
        Assert.True(code == 0, err);
        Assert.Contains("5. Seed 003: the debug pod connects to backend-service", text, StringComparison.Ordinal);
        Assert.Contains("Reply 169.254.1.1 is-at ee:ee:ee:ee:ee:ee", text, StringComparison.Ordinal);
        Assert.Contains("delivered to worker1's host stack (INPUT)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_runs_a_pods_capture_and_the_nodes_stack_on_the_calico_lab()
    {
        string input = Path.Combine(_dir, "in.pcap");
        var podMac = MacAddress.Parse("ae:91:c2:5b:08:7f");
        using (var w = PcapWriter.Create(input))
        {
            for (int i = 0; i < 30; i++)
                w.WriteFrame(PacketBuilder.Tcp(podMac, MacAddress.Parse("ee:ee:ee:ee:ee:ee"), Ipv4Address.Parse("10.42.135.132"), BackendService, (ushort)(30000 + i), 8000, TcpFlags.Syn),
                    1_700_000_000_000_000_000 + i * 1_000_000L);
        }
        string outDir = Path.Combine(_dir, "out");
        var (code, text, err) = CliRunner.Run("replay", "--lab", "calico", "--node", "worker1", "--in-port", DebugVeth, input, "--out", outDir);
        Assert.True(code == 0, err + text);
        // Node scope: the local endpoint's frames leave on its veth, the others on enp3s0 as VXLAN.
        Assert.True(File.Exists(Path.Combine(outDir, "enp3s0.pcap")), text);
        Assert.True(File.Exists(Path.Combine(outDir, "cali6847b0d64cd.pcap")), text);

        (code, text, err) = CliRunner.Run("replay", "--lab", "calico", "--node", "worker1", "--from-host", input, "--out", Path.Combine(_dir, "out2"));
        Assert.True(code == 0, err + text);
    }

    [Theory]
    [InlineData(new[] { "trace", "--lab", "calicoo", "--node", "worker1", "--from-host", "tcp,nw_dst=10.43.0.10" }, "error: --lab calicoo: no such embedded lab (labs: seed, calico, antrea-2); did you mean 'calico'?")]
    [InlineData(new[] { "trace", "--lab", "calico", "--scenario", "x", "--node", "worker1", "--from-host", "tcp,nw_dst=10.43.0.10" }, "error: --scenario and --lab: give one of them (a directory, or an embedded lab)")]
    [InlineData(new[] { "trace", "--lab", "calico", "--node", "worker9", "--from-host", "tcp,nw_dst=10.43.0.10" }, "error: no node named 'worker9' in the scenario (nodes: master, worker1, worker2); did you mean 'worker1'?")]
    [InlineData(new[] { "trace", "--lab", "calico", "--node", "worker1", "--in-port", "cali0", "tcp,nw_dst=10.43.0.10" }, "error: --in-port cali0: node worker1 has no bridge, and its host no device 'cali0'")]
    [InlineData(new[] { "trace", "--lab", "calico", "--node", "worker1", "--bridge-only", "--in-port", "enp3s0", "tcp,nw_dst=10.43.0.10" }, "error: --bridge-only: node worker1 has no bridge")]
    [InlineData(new[] { "dump-flows", "--lab", "calico", "--node", "worker1" }, "error: node 'worker1' has no bridge (a Calico node: its host is the node)")]
    public void Calico_lab_mistakes_give_one_line_and_exit_1(string[] args, string message)
    {
        var (code, _, err) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.StartsWith(message, err, StringComparison.Ordinal);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    /// <summary>
    /// worker1's netfilter steps for seed 002's SYN up to vxlan.calico's encapsulation, each as TABLE:CHAIN:rule[:JUMP:TARGET],
    /// TABLE:CHAIN:return or TABLE:CHAIN:policy (the rule numbers are positions here, nft handles in the seed).
    /// </summary>
    private static List<string> WorkerOneChains(ulong seed)
    {
        var scenario = AntreaScenario.LoadEmbedded("calico");
        using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Cluster, seed);
        var trace = new Trace();
        journey.RunLocal(journey.GetNode("worker1"), CurlSyn(), sink: null, nowMs: 1000, trace);
        var steps = new List<string>();
        foreach (var s in trace.Steps)
        {
            if (s.Node != "worker1" || s.Kind == TraceKind.Tunnel)
            {
                if (s.Kind == TraceKind.Tunnel)
                    break;
                continue;
            }
            if (s.Kind == TraceKind.Netfilter)
                steps.Add(Normalize(s.Summary!));
        }
        return steps;
    }

    /// <summary>The TRACE lines of seed 002's xtables-monitor output, less the TRACE rule the article added and nft's base-chain "return" before a policy.</summary>
    private static List<string> SeedChains()
    {
        string text = File.ReadAllText(Path.Combine("Data", "seeds", "002_8aaf7da145f18415.txt"));
        int start = text.IndexOf("PACKET: 2 0427ffe5 OUT=enp3s0", StringComparison.Ordinal);
        int end = text.IndexOf("-   **PACKET:**", start, StringComparison.Ordinal);
        var lines = text[start..end].Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("TRACE: 2 0427ffe5 ", StringComparison.Ordinal))
            .Where(l => !l.EndsWith("-j TRACE", StringComparison.Ordinal)).Select(l => Normalize(l["TRACE: 2 0427ffe5 ".Length..].Split(' ')[0])).ToList();
        return lines.Where((l, i) => !(l.EndsWith(":return", StringComparison.Ordinal) && i + 1 < lines.Count
            && lines[i + 1] == l[..^"return".Length] + "policy")).ToList();
    }

    private static string Normalize(string step)
    {
        var p = step.Split(':', StringSplitOptions.RemoveEmptyEntries);
        if (p[2] != "rule")
            return $"{p[0]}:{p[1]}:{p[2]}";
        return p.Length > 5 && p[4] is "JUMP" or "GOTO" ? $"{p[0]}:{p[1]}:rule:{p[4]}:{p[5]}" : $"{p[0]}:{p[1]}:rule";
    }

    /// <summary>Where each frame left (NODE/PORT) and its bytes; what host stacks delivered.</summary>
    private sealed class ExitSink : IJourneySink
    {
        public List<(string Where, byte[] Frame)> Exits { get; } = [];
        public List<byte[]> Delivered { get; } = [];

        public void Output(in JourneyExit exit, ReadOnlySpan<byte> frame) => Exits.Add((exit.ToString(), frame.ToArray()));

        public void Transit(in JourneyExit via, ReadOnlySpan<byte> frame)
        {
        }

        public void Deliver(JourneyNode node, ReadOnlySpan<byte> frame) => Delivered.Add(frame.ToArray());

        public void Drop(in JourneyDrop drop)
        {
        }
    }
}
