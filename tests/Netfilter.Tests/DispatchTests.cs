using System.Globalization;
using System.Text;
using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

/// <summary>The indexed dispatch must give exactly what a linear scan gives: same verdicts, same rules, same order.</summary>
public sealed class DispatchTests
{
    private static string RandomRuleSet(Random rnd, int rules)
    {
        var sb = new StringBuilder();
        sb.Append("*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n");
        sb.Append(":SVC - [0:0]\n:MARK1 - [0:0]\n:MARK2 - [0:0]\n:BACK - [0:0]\n");
        sb.Append("-A PREROUTING -j SVC\n");
        sb.Append("-A MARK1 -j MARK --or-mark 0x1\n-A MARK2 -j MARK --xor-mark 0x2\n-A MARK2 -m mark --mark 0x3 -j RETURN\n-A MARK2 -j MARK --or-mark 0x10\n");
        sb.Append("-A BACK -p tcp -j DNAT --to-destination 10.9.0.1:8080\n-A BACK -p udp -j DNAT --to-destination 10.9.0.2:5353\n");
        for (int i = 0; i < rules; i++)
        {
            string dst = "10.0.0." + rnd.Next(1, 6).ToString(CultureInfo.InvariantCulture);
            string proto = rnd.Next(2) == 0 ? "tcp" : "udp";
            string port = rnd.Next(1, 5).ToString(CultureInfo.InvariantCulture);
            string extra = rnd.Next(6) switch
            {
                0 => "! -s 10.1.0.0/16 ",
                1 => "-s 10.1.0.0/17 ",
                2 => "-m mark --mark 0x1/0x1 ",
                _ => "",
            };
            string target = rnd.Next(8) switch
            {
                0 => "-j MARK1",
                1 => "-j MARK2",
                2 => "-j RETURN",
                3 => "-j ACCEPT",
                4 => "-j DROP",
                5 => "-g MARK2",
                _ => "-j BACK",
            };
            string match = rnd.Next(12) switch
            {
                0 => $"-d {dst}/24 -p {proto} -m {proto} --dport {port}",
                1 => $"-d {dst}/32 -p {proto} -m {proto} --dport {port}:{port}0",
                2 => $"-d {dst}/32 -p {proto}",
                3 => $"-p {proto} -m {proto} --dport {port}",
                _ => $"-d {dst}/32 -p {proto} -m {proto} --dport {port}",
            };
            sb.Append("-A SVC ").Append(extra).Append(match).Append(' ').Append(target).Append('\n');
        }
        sb.Append("COMMIT\n");
        return sb.ToString();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Indexed_and_linear_dispatch_agree_on_random_rule_sets(int seed)
    {
        var rnd = new Random(seed);
        string doc = RandomRuleSet(rnd, 300);
        var indexed = new NetfilterEngine(IptablesSaveParser.ParseText(doc, "random"));
        var linearRules = IptablesSaveParser.ParseText(doc, "random");
        foreach (var chain in linearRules.Nat!.Chains)
            ChainCompiler.Linearize(chain);
        var linear = new NetfilterEngine(linearRules);
        Assert.True(indexed.Rules.Nat!.GetChain("SVC").IndexedSegmentCount > 0);

        for (int i = 0; i < 2000; i++)
        {
            string src = rnd.Next(3) switch
            {
                0 => "10.1.5.5",
                1 => "10.1.200.5",
                _ => "192.168.0.1",
            };
            string dst = "10.0.0." + rnd.Next(1, 7).ToString(CultureInfo.InvariantCulture);
            ushort port = (ushort)rnd.Next(1, 6);
            var a = rnd.Next(2) == 0 ? Packets.Tcp(src, 1000, dst, port) : Packets.Udp(src, 1000, dst, port);
            a.PktMark = (uint)rnd.Next(2);
            var b = a;
            var (va, ta) = Harness.Run(indexed, NetfilterHook.Prerouting, ref a);
            var (vb, tb) = Harness.Run(linear, NetfilterHook.Prerouting, ref b);
            Assert.Equal(vb, va);
            Assert.Equal(tb, ta);
            Assert.Equal(b.PktMark, a.PktMark);
            Assert.Equal(b.NwDst, a.NwDst);
            Assert.Equal(b.TpDst, a.TpDst);
        }
        var ra = indexed.Rules.Nat.GetChain("SVC").Rules;
        var rb = linear.Rules.Nat!.GetChain("SVC").Rules;
        for (int r = 0; r < ra.Count; r++)
            Assert.Equal(rb[r].Packets, ra[r].Packets);
    }

    [Fact]
    public void A_steady_stream_of_decisions_allocates_nothing()
    {
        var engine = new NetfilterEngine(IptablesSaveParser.ParseFile(RepoPaths.Scenario("worker1.iptables")),
            new NetfilterEngineOptions { Sets = Harness.Sets() });
        var template = Packets.Tcp("10.222.1.48", 43210, "10.104.65.133", 80);
        void Once()
        {
            var key = template;
            var packet = new NetfilterPacket(ref key) { InInterface = "antrea-gw0" };
            engine.Run(NetfilterHook.Prerouting, ref packet);
        }
        for (int i = 0; i < 100; i++)
            Once();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            Once();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
