using Datapath.Classifier;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Learn;

// The learn action run as OVS 3.1 runs it, on Antrea's session affinity flows (SessionAffinityBridge): the
// learned flow keeps a client on one endpoint, shows in dump-flows with its timeout, expires on the frames'
// clock, goes with its learning flow (delete_learned), and the flow cache gives the slow path's results.
public sealed class LearnTests
{
    private const long Start = 1_000_000;

    [Fact]
    public void Without_affinity_the_select_group_spreads_the_clients_ports()
    {
        // The control: the learned flow is what keeps one backend, not the group's hash.
        using var lab = new SessionAffinityBridge();
        var ports = new HashSet<uint>();
        for (ushort sport = 40000; sport < 40040; sport++)
        {
            lab.Bridge.Tables.Delete(Match.CatchAll, SessionAffinityBridge.SessionAffinity, cookie: 0x203000000000a, cookieMask: ulong.MaxValue);
            ports.Add(lab.Send(sport, Start));
        }
        Assert.Equal(new HashSet<uint> { 2, 3 }, ports);
    }

    [Fact]
    public void A_client_stays_on_the_endpoint_its_first_connection_chose()
    {
        using var lab = new SessionAffinityBridge();
        uint first = lab.Send(40000, Start);
        Assert.True(first is 2 or 3);
        for (ushort sport = 40001; sport < 40040; sport++)
            Assert.Equal(first, lab.Send(sport, Start + sport));
        var learned = Assert.Single(lab.Learned);
        Assert.Equal(39, learned.PacketCount); // every later connection matched the learned flow
        string backend = first == 2 ? "0xa0a0005" : "0xa0a0006";
        Assert.Equal($"cookie=0x203000000000a, table=41, hard_timeout=300, priority=200,tcp,nw_src=10.10.0.1,nw_dst=10.96.76.15,tp_dst=80 "
            + $"actions=load:0x50->NXM_NX_REG4[0..15],load:0->NXM_NX_REG4[26],load:{backend}->NXM_NX_REG3[],load:0x2->NXM_NX_REG4[16..18],load:0x1->NXM_NX_REG0[9]",
            learned.Format(null, withStats: false));
        // Another client learns its own flow.
        lab.Send(40000, Start, Ipv4Address.Parse("10.10.0.2"));
        Assert.Equal(2, lab.Learned.Count);
    }

    [Fact]
    public void The_learned_flow_expires_by_its_hard_timeout_on_the_frames_clock()
    {
        using var lab = new SessionAffinityBridge();
        lab.Send(40000, Start);
        lab.Send(40001, Start + 299_000);
        var learned = Assert.Single(lab.Learned);
        // A hit does not restart a hard timeout: at 300.001 s after the learn it is gone (OVS: now > modified + 300 s).
        Assert.Equal(Start + 300_000, learned.ExpiryDeadline(Start));
        lab.Send(40002, Start + 300_000);
        Assert.Same(learned, Assert.Single(lab.Learned));
        lab.Send(40003, Start + 300_001);
        var relearned = Assert.Single(lab.Learned);
        Assert.NotSame(learned, relearned);
        Assert.Equal(Start + 300_001, relearned.CreatedMs);
        Assert.Equal(0, relearned.PacketCount); // the packet that learned it came from the group, not through it
    }

    [Fact]
    public void An_idle_timeout_restarts_with_every_hit()
    {
        using var lab = new SessionAffinityBridge(learnTimeouts: "idle_timeout=10");
        lab.Send(40000, Start);
        for (int i = 1; i <= 5; i++)
            lab.Send((ushort)(40000 + i), Start + i * 9_000); // each hit 9 s after the last
        var learned = Assert.Single(lab.Learned);
        Assert.Equal(5, learned.PacketCount);
        // 10.001 s after the last hit, the next packet finds it expired and learns again.
        lab.Send(40010, Start + 45_000 + 10_001);
        Assert.NotSame(learned, Assert.Single(lab.Learned));
        Assert.Equal(0, lab.Learned[0].PacketCount);
    }

    [Fact]
    public void The_same_flow_learned_again_only_restarts_its_hard_timeout()
    {
        // OVS's ofproto_flow_mod_learn_refresh: the identical rule stays (counts, creation) with modified = now.
        using var lab = new SessionAffinityBridge();
        lab.Send(40000, Start);
        var learned = Assert.Single(lab.Learned);
        long version = lab.Bridge.Tables.Version;
        // Clear the affinity mark by hand so that the next packet runs the learn again (as a second learning
        // flow or a controller's re-add would).
        var flow = ((Engine.Actions.LearnAction)((Engine.Actions.ActionList)lab.Bridge.Tables.Rules(SessionAffinityBridge.ServiceLB).First(r => r.Priority == 190).Actions!).Actions[0]);
        var key = new FlowKey { EthType = EtherTypes.IPv4, NwProto = IpProtocols.Tcp, NwSrc = SessionAffinityBridge.Client.Value, NwDst = SessionAffinityBridge.ClusterIp.Value, TpDst = 80 };
        key.Regs[4] = 0x50;
        key.Regs[3] = learned.ActionsText.Contains("0xa0a0005", StringComparison.Ordinal) ? 0xa0a0005u : 0xa0a0006u;
        Assert.Equal(LearnOutcome.Refreshed, lab.Bridge.Learn(flow.Execute(in key), Start + 200_000));
        Assert.Same(learned, Assert.Single(lab.Learned));
        Assert.Equal(version, lab.Bridge.Tables.Version);
        Assert.Equal(Start + 200_000, learned.ModifiedMs);
        Assert.Equal(Start + 500_000, learned.ExpiryDeadline(Start));
    }

    [Fact]
    public void Deleting_the_learning_flow_deletes_what_it_learned()
    {
        using var lab = new SessionAffinityBridge();
        lab.Send(40000, Start);
        lab.Send(40000, Start, Ipv4Address.Parse("10.10.0.2"));
        Assert.Equal(2, lab.Learned.Count);
        var r = lab.Bridge.Tables.Apply(FlowMod.FromParsed(FlowParser.ParseFilter("table=ServiceLB,priority=190,tcp,reg4=0x30000/0x70000,nw_dst=10.96.76.15,tp_dst=80", lab.Bridge.InputNames), FlowModCommand.DeleteStrict));
        Assert.Single(r.Removed);
        Assert.Empty(lab.Learned);
        // The table's other flows stay.
        Assert.Single(lab.Bridge.Tables.Rules(SessionAffinityBridge.SessionAffinity));
    }

    [Fact]
    public void Modifying_the_learning_flow_keeps_what_it_learned_while_it_still_learns_with_delete_learned()
    {
        using var lab = new SessionAffinityBridge();
        lab.Send(40000, Start);
        var rule = lab.Bridge.Tables.Rules(SessionAffinityBridge.ServiceLB).First(r => r.Priority == 190);
        var template = FlowParser.Parse("table=ServiceLB,actions=drop", lab.Bridge.InputNames).ToRule();
        template.Actions = Engine.Actions.ActionList.Empty;
        lab.Bridge.Tables.Apply(FlowMod.Modify(rule.Match, template, SessionAffinityBridge.ServiceLB, strict: true, rule.Priority));
        Assert.Empty(lab.Learned); // its new actions learn nothing: the learned cookie has no learner left
    }

    [Fact]
    public void A_limit_stops_learning_and_result_dst_says_so()
    {
        var br = new Bridge();
        var mac = MacAddress.Parse("02:00:00:00:00:0a");
        br.AddPort(1, "p1", mac, PortKind.Pod);
        br.AddPort(2, "p2", mac, PortKind.Pod);
        br.AddPort(3, "p3", mac, PortKind.Pod);
        using var flows = new StringReader("""
            priority=10,tcp actions=learn(table=1,limit=2,result_dst=reg0[5],cookie=0x7,eth_type=0x800,nw_proto=6,NXM_OF_TCP_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,2)
            table=2,reg0=0x20/0x20 actions=output:2
            table=2,priority=0 actions=output:3
            """);
        br.LoadFlows(flows, "limit.flows");
        using var node = new Node("n", br, Ipv4Address.Parse("192.0.2.1"), mac);
        var trace = new Trace();
        var outs = new List<uint>();
        for (ushort sport = 1; sport <= 4; sport++)
        {
            var t = new Trace();
            node.Process(1, PacketBuilder.Tcp(mac, mac, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), sport, 80, TcpFlags.Syn), null, Start, t);
            outs.Add(Assert.Single(t.Outputs).OfPort);
        }
        Assert.Equal([2u, 2u, 3u, 3u], outs); // learned, learned, then the limit of 2 flows with cookie 0x7
        Assert.Equal(2, br.Tables.Rules(1).Count());
        Assert.Equal("cookie=0x7, table=1, tcp,tp_src=1 actions=output:1", br.Tables.Rules(1).First().Format(null, withStats: false));
    }

    [Fact]
    public void Trace_shows_the_learned_flow_as_ofproto_trace_prints_it()
    {
        using var lab = new SessionAffinityBridge();
        var trace = new Trace();
        lab.Node.Process(1, SessionAffinityBridge.Syn(40000), null, Start, trace);
        var learn = trace.Steps.SelectMany(s => s.Actions).Single(a => a.Text.StartsWith("learn(", StringComparison.Ordinal));
        string line = Assert.Single(learn.OvsLines);
        Assert.Matches(@"^-> table=41 tcp,nw_src=10\.10\.0\.1,nw_dst=10\.96\.76\.15,tp_dst=80 priority=200 cookie=0x203000000000a hard=300 actions=load:0x50->NXM_NX_REG4\[0\.\.15\],load:0->NXM_NX_REG4\[26\],load:0xa0a000[56]->NXM_NX_REG3\[\],load:0x2->NXM_NX_REG4\[16\.\.18\],load:0x1->NXM_NX_REG0\[9\]$", line);
        Assert.Contains(learn.Effects, e => e.StartsWith("learned: table=41", StringComparison.Ordinal));
    }

    /// <summary>
    /// The flow cache keeps a pass's learns and runs them on every hit (OVS's XC_LEARN): with the learned flows
    /// expiring and being learned again mid-run (idle and hard timeouts), cached and uncached runs give the same
    /// output for every packet, the same flows and the same rule counters.
    /// </summary>
    [Theory]
    [InlineData("hard_timeout=300", 1)]
    [InlineData("idle_timeout=20", 2)]
    [InlineData("idle_timeout=30,hard_timeout=90", 3)]
    public void Cached_and_uncached_runs_learn_and_expire_alike(string timeouts, int seed)
    {
        using var cached = new SessionAffinityBridge(useCache: true, timeouts);
        using var uncached = new SessionAffinityBridge(useCache: false, timeouts);
        var random = new Random(seed);
        long now = Start;
        var clients = Enumerable.Range(1, 6).Select(i => Ipv4Address.Parse($"10.10.0.{i}")).ToArray();
        for (int i = 0; i < 3000; i++)
        {
            now += random.Next(0, 2_000); // up to 2 s between packets: a 40-minute run, timeouts passing mid-run
            var client = clients[random.Next(clients.Length)];
            ushort sport = (ushort)random.Next(1024, 1100); // ports repeat, so megaflows hit
            using (cached.Node.Batch())
            {
                uint c = cached.Send(sport, now, client);
                uint u = uncached.Send(sport, now, client);
                Assert.True(c == u, $"packet {i}: cached went to {c}, uncached to {u}");
            }
        }
        Assert.True(cached.Node.CacheStats.Hits > 500, "the cache was hardly used: the test proves nothing");
        var clock = new FlowStatsClock(Start, now);
        Assert.Equal(uncached.Bridge.DumpFlows(withStats: true, clock: clock), cached.Bridge.DumpFlows(withStats: true, clock: clock));
        Assert.True(uncached.Bridge.Tables.Version > 20, "flows were learned and expired many times");
    }

    /// <summary>
    /// MAC learning with learn (the classic ovs-actions(7) example): every packet runs the learn, so cached passes
    /// carry it and each hit must refresh the learned flow's hard timeout, as the slow path does; a cache that
    /// skipped the learn would let flows expire that the uncached run keeps.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Cached_hits_run_their_learns_again(int seed)
    {
        static (Node Node, List<uint> Ports) Make(bool cache)
        {
            var br = new Bridge();
            for (uint p = 1; p <= 3; p++)
                br.AddPort(p, $"p{p}", MacAddress.Parse($"02:00:00:00:00:0{p}"), PortKind.Pod);
            using var flows = new StringReader("""
                priority=0 actions=learn(table=10,hard_timeout=10,priority=100,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,10)
                table=10, priority=0 actions=FLOOD
                """);
            br.LoadFlows(flows, "mac-learning.flows");
            return (new Node("n", br, Ipv4Address.Parse("192.0.2.1"), MacAddress.Parse("02:00:00:00:00:01")) { UseFlowCache = cache }, []);
        }
        var (cached, _) = Make(true);
        var (uncached, _) = Make(false);
        using (cached)
        using (uncached)
        {
            var random = new Random(seed);
            long now = Start;
            for (int i = 0; i < 2000; i++)
            {
                now += random.Next(50) == 0 ? 12_000 : random.Next(0, 1_500); // now and then a pause beyond the timeout
                uint src = (uint)random.Next(1, 4), dst = (uint)random.Next(1, 4);
                var frame = PacketBuilder.Tcp(MacAddress.Parse($"02:00:00:00:00:0{src}"), MacAddress.Parse($"02:00:00:00:00:0{dst}"),
                    Ipv4Address.Parse($"10.0.0.{src}"), Ipv4Address.Parse($"10.0.0.{dst}"), 1000, 80, TcpFlags.Ack);
                var c = cached.Process(src, frame, null, now);
                var u = uncached.Process(src, frame, null, now);
                Assert.True(c == u, $"packet {i}: cached {c}, uncached {u}");
            }
            Assert.True(cached.CacheStats.Hits > 500, "the cache was hardly used: the test proves nothing");
            var clock = new FlowStatsClock(Start, now);
            Assert.Equal(uncached.Bridge.DumpFlows(withStats: true, clock: clock), cached.Bridge.DumpFlows(withStats: true, clock: clock));
        }
    }
}
