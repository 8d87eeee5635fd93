using Datapath.Conntrack;
using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

/// <summary>The frontend's SYN to the backendsvc cluster IP through worker1's nat PREROUTING (stateless engine).</summary>
public sealed class ServiceDnatTests
{
    private static NetfilterEngine Worker1(ulong seed)
        => new(IptablesSaveParser.ParseFile(RepoPaths.Scenario("worker1.iptables")), new NetfilterEngineOptions
        {
            Sets = Harness.Sets(),
            RandomSeed = seed,
            Host = new StaticNetfilterHost().AddAddress("antrea-gw0", Packets.Ip("10.222.1.1"), 24).AddAddress("ens160", Packets.Ip("10.79.1.201"), 24),
        });

    [Fact]
    public void Frontend_syn_is_dnated_to_a_backend_with_a_trace_like_xtables_monitor()
    {
        var engine = Worker1(seed: 7);
        var frame = Packets.TcpFrame("10.222.1.48", 43210, "10.104.65.133", 80);
        var key = Packets.Key(frame);
        var (verdict, trace) = Harness.Run(engine, NetfilterHook.Prerouting, ref key, inInterface: "antrea-gw0", frame: frame);

        Assert.Equal(NetfilterVerdict.Accept, verdict);
        Assert.Equal("nat:PREROUTING:rule:1:JUMP:KUBE-SERVICES", trace[0]);
        Assert.Equal("nat:KUBE-SERVICES:rule:10:JUMP:KUBE-SVC-EKL7ZEFK3VFJKKGJ", trace[1]);
        Assert.StartsWith("nat:KUBE-SVC-EKL7ZEFK3VFJKKGJ:rule:", trace[2], StringComparison.Ordinal);
        Assert.Contains(":JUMP:KUBE-SEP-", trace[2], StringComparison.Ordinal);
        Assert.StartsWith("nat:KUBE-SEP-", trace[3], StringComparison.Ordinal);
        Assert.Contains(":rule:2:DNAT:10.222.", trace[3], StringComparison.Ordinal);
        Assert.Equal(4, trace.Count);

        string backend = new Ipv4Address(key.NwDst).ToString();
        Assert.Contains(backend, new[] { "10.222.1.47", "10.222.2.34" });
        Assert.Equal(80, key.TpDst);
        // The frame was rewritten too, with valid checksums: re-extracting gives the same fields.
        FlowKey.Extract(frame, 2, out var again);
        Assert.Equal(key.NwDst, again.NwDst);
        Assert.True(Checksums.Valid(frame));
    }

    [Fact]
    public void A_fixed_seed_gives_a_fixed_choice()
    {
        string First(ulong seed)
        {
            var key = Packets.Tcp("10.222.1.48", 43210, "10.104.65.133", 80);
            Harness.Run(Worker1(seed), NetfilterHook.Prerouting, ref key, "antrea-gw0");
            return new Ipv4Address(key.NwDst).ToString();
        }
        var choices = Enumerable.Range(1, 8).Select(s => First((ulong)s)).ToList();
        Assert.Equal(choices, Enumerable.Range(1, 8).Select(s => First((ulong)s)).ToList());
        Assert.Contains("10.222.1.47", choices);
        Assert.Contains("10.222.2.34", choices);
    }

    [Fact]
    public void Over_10k_connections_the_split_passes_a_chi_square_test()
    {
        var engine = Worker1(seed: 2026);
        int backend1 = 0, n = 10_000;
        for (int i = 0; i < n; i++)
        {
            var key = Packets.Tcp("10.222.1.48", (ushort)(10000 + i), "10.104.65.133", 80);
            var packet = new NetfilterPacket(ref key) { InInterface = "antrea-gw0" };
            engine.Run(NetfilterHook.Prerouting, ref packet);
            if (key.NwDst == Packets.Ip("10.222.1.47"))
                backend1++;
            else
                Assert.Equal(Packets.Ip("10.222.2.34"), key.NwDst);
        }
        double expected = n / 2.0;
        double chi2 = (Math.Pow(backend1 - expected, 2) + Math.Pow(n - backend1 - expected, 2)) / expected;
        Assert.True(chi2 < 6.635, $"chi-square {chi2:F3} (backend1 {backend1} of {n}) exceeds the p=0.01 critical value 6.635 for 1 dof");
        var svc = engine.Rules.Nat!.GetChain("KUBE-SVC-EKL7ZEFK3VFJKKGJ");
        Assert.Equal(n, svc.Rules[0].Packets + svc.Rules[1].Packets);
        Assert.Equal(backend1, svc.Rules[0].Packets);
    }

    [Fact]
    public void A_source_outside_the_pod_cidr_is_marked_for_masquerade_then_masqueraded_at_postrouting()
    {
        var engine = Worker1(seed: 1);
        var key = Packets.Tcp("10.79.1.50", 5555, "10.104.65.133", 80);
        var (_, pre) = Harness.Run(engine, NetfilterHook.Prerouting, ref key, "ens160");
        Assert.Equal("nat:KUBE-SERVICES:rule:9:JUMP:KUBE-MARK-MASQ", pre[1]);
        Assert.Equal("nat:KUBE-MARK-MASQ:rule:1:MARK:0x4000/0x4000", pre[2]);
        Assert.Equal(0x4000u, key.PktMark);
        var (_, post) = Harness.Run(engine, NetfilterHook.Postrouting, ref key, outInterface: "antrea-gw0");
        Assert.Contains("nat:KUBE-POSTROUTING:rule:2:MARK:0x4000/0x0", post);
        Assert.Equal("nat:KUBE-POSTROUTING:rule:3:MASQUERADE", post[^1]);
        Assert.Equal(Packets.Ip("10.222.1.1"), key.NwSrc);
    }

    [Theory]
    // ANTREA-POSTROUTING: -s 10.222.1.0/24 -m set ! --match-set ANTREA-POD-IP dst -j MASQUERADE
    [InlineData("10.222.1.48", "8.8.8.8", "ens160", true)]
    [InlineData("10.222.1.48", "10.222.2.34", "antrea-gw0", false)]
    [InlineData("10.222.2.34", "8.8.8.8", "ens160", false)]
    [InlineData("10.222.1.48", "10.79.1.202", "ens160", true)]
    public void Antrea_postrouting_masquerades_pod_to_external_only(string src, string dst, string outIf, bool masqueraded)
    {
        var engine = Worker1(seed: 1);
        var key = Packets.Tcp(src, 40000, dst, 443);
        var (verdict, trace) = Harness.Run(engine, NetfilterHook.Postrouting, ref key, outInterface: outIf);
        Assert.Equal(NetfilterVerdict.Accept, verdict);
        Assert.Equal(masqueraded, trace.Contains("nat:ANTREA-POSTROUTING:rule:1:MASQUERADE"));
        Assert.Equal(masqueraded ? Packets.Ip("10.79.1.201") : Packets.Ip(src), key.NwSrc);
        Assert.Equal(40000, key.TpSrc);
    }

    [Fact]
    public void Established_packets_skip_nat_when_conntrack_says_the_binding_exists()
    {
        var ct = new ScriptedConntrack { NeedsDecision = false };
        var rules = IptablesSaveParser.ParseFile(RepoPaths.Scenario("worker1.iptables"));
        var engine = new NetfilterEngine(rules, new NetfilterEngineOptions { Sets = Harness.Sets(), Conntrack = ct });
        var key = Packets.Tcp("10.222.1.48", 43210, "10.104.65.133", 80, TcpFlags.Ack);
        var (_, trace) = Harness.Run(engine, NetfilterHook.Prerouting, ref key, "antrea-gw0");
        Assert.Equal(["nat:PREROUTING:binding:APPLY"], trace);
        Assert.Equal(["Track", "NeedsNatDecision:Destination", "ApplyNat:Destination"], ct.Calls);
        Assert.Equal(0, rules.Nat!.GetChain("PREROUTING").Rules[0].Packets);
    }

    [Fact]
    public void A_first_packet_hands_the_dnat_decision_to_conntrack()
    {
        var ct = new ScriptedConntrack { NeedsDecision = true };
        var engine = new NetfilterEngine(IptablesSaveParser.ParseFile(RepoPaths.Scenario("worker1.iptables")),
            new NetfilterEngineOptions { Sets = Harness.Sets(), Conntrack = ct, RandomSeed = 3 });
        var key = Packets.Tcp("10.222.1.48", 43210, "10.104.65.133", 80);
        Harness.Run(engine, NetfilterHook.Prerouting, ref key, "antrea-gw0");
        Assert.Equal(["Track", "NeedsNatDecision:Destination", "SetupNat:Destination", "ApplyNat:Destination"], ct.Calls);
        var range = Assert.IsType<NatRange>(ct.LastRange);
        Assert.True(range.MinAddress == Packets.Ip("10.222.1.47") || range.MinAddress == Packets.Ip("10.222.2.34"));
        Assert.Equal(80, range.MinPort);
        // The engine left the rewrite to conntrack.
        Assert.Equal(Packets.Ip("10.104.65.133"), key.NwDst);
    }

    /// <summary>Records what the engine asks of conntrack (no tracking: a test double for call order).</summary>
    private sealed class ScriptedConntrack : INatConntrack
    {
        public bool NeedsDecision { get; init; }

        public List<string> Calls { get; } = [];

        public NatRange? LastRange { get; private set; }

        public void Track(ref NetfilterPacket packet) => Calls.Add("Track");

        public bool NeedsNatDecision(ref NetfilterPacket packet, NatManip manip)
        {
            Calls.Add("NeedsNatDecision:" + manip);
            return NeedsDecision;
        }

        public bool SetupNat(ref NetfilterPacket packet, NatManip manip, NatRange? range)
        {
            Calls.Add("SetupNat:" + manip);
            LastRange = range;
            return true;
        }

        public void ApplyNat(ref NetfilterPacket packet, NatManip manip) => Calls.Add("ApplyNat:" + manip);

        public bool Confirm(ref NetfilterPacket packet)
        {
            Calls.Add("Confirm");
            return true;
        }
    }
}
