using Datapath.Netfilter.IpSets;

namespace Datapath.Netfilter.Tests;

public sealed class SeedFileTests
{
    [Theory]
    [InlineData("worker1.iptables", "10.222.1.0/24")]
    [InlineData("worker2.iptables", "10.222.2.0/24")]
    public void Seed_iptables_files_load(string file, string podCidr)
    {
        var rules = IptablesSaveParser.ParseFile(RepoPaths.Scenario(file));
        var nat = rules.Nat!;
        Assert.NotNull(rules.Filter);
        Assert.Null(rules.Raw);
        Assert.Equal(31, nat.Chains.Count);
        Assert.Equal(15, nat.GetChain("KUBE-SERVICES").Rules.Count);
        Assert.Equal(2, nat.GetChain("KUBE-SVC-EKL7ZEFK3VFJKKGJ").Rules.Count);
        var masq = Assert.Single(nat.GetChain("ANTREA-POSTROUTING").Rules);
        Assert.Contains(podCidr, masq.Text, StringComparison.Ordinal);
        Assert.Equal("Antrea: masquerade pod to external packets", masq.Comment);
        Assert.Equal(TargetKind.Masquerade, masq.Target.Kind);
        Assert.Equal(3, rules.Filter!.GetChain("KUBE-FORWARD").Rules.Count);
    }

    [Fact]
    public void Kube_services_dispatch_is_indexed_and_the_nodeport_rule_splits_the_run()
    {
        var rules = IptablesSaveParser.ParseFile(RepoPaths.Scenario("worker1.iptables"));
        var services = rules.Nat!.GetChain("KUBE-SERVICES");
        Assert.Equal(1, services.IndexedSegmentCount);
        Assert.Equal(0, services.SegmentOf[0]);
        Assert.Equal(0, services.SegmentOf[13]);
        Assert.Equal(-1, services.SegmentOf[14]);
    }

    [Fact]
    public void Seed_ipsets_load()
    {
        var sets = IpsetSaveParser.ParseFile(RepoPaths.Scenario("ipsets.save"));
        var set = sets["ANTREA-POD-IP"];
        Assert.Equal(IpSetType.HashNet, set.Type);
        Assert.Equal(3, set.Count);
        Assert.True(set.ContainsAddress(Packets.Ip("10.222.2.34")));
        Assert.False(set.ContainsAddress(Packets.Ip("10.104.65.133")));
    }

    [Fact]
    public void Seed_rules_bind_to_seed_sets()
    {
        var rules = IptablesSaveParser.ParseFile(RepoPaths.Scenario("worker1.iptables"));
        var sets = IpsetSaveParser.ParseFile(RepoPaths.Scenario("ipsets.save"));
        _ = new NetfilterEngine(rules, new NetfilterEngineOptions { Sets = sets });
    }

    [Fact]
    public void A_rule_set_naming_a_missing_set_is_refused()
    {
        var rules = IptablesSaveParser.ParseFile(RepoPaths.Scenario("worker1.iptables"));
        var e = Assert.Throws<Datapath.Packets.InputException>(() => new NetfilterEngine(rules));
        Assert.EndsWith("worker1.iptables:42:127: set 'ANTREA-POD-IP' does not exist", e.Message, StringComparison.Ordinal);
    }
}
