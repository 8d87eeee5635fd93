using Datapath.Packets;

namespace Datapath.Classifier.Tests;

/// <summary>The cases of ovs-fields(7) "Conjunctive Match Fields", one behaviour per test.</summary>
public class ConjunctionTests
{
    private static FlowTableSet Load(params string[] lines)
    {
        var set = new FlowTableSet();
        set.Load([.. lines.Select((l, i) => FlowParser.Parse(l, null, "t.flows", i + 1))]);
        return set;
    }

    private static FlowKey Ip(string src, string dst, byte proto = IpProtocols.Tcp, ushort tpDst = 80)
        => Scenario.Ipv4(src, dst, proto, tpDst);

    private static string? Winner(FlowTableSet set, FlowKey key)
    {
        FlowKey consulted = default;
        return set.Lookup(0, in key, ref consulted)?.ActionsText;
    }

    // The man page's example: ip_src in {1,4,6,7} (1/2) and ip_dst in {2,5,7,8} (2/2).
    private static readonly string[] s_manPage =
    [
        "conj_id=1234 actions=controller",
        "ip,ip_src=10.0.0.1 actions=conjunction(1234, 1/2)",
        "ip,ip_src=10.0.0.4 actions=conjunction(1234, 1/2)",
        "ip,ip_src=10.0.0.6 actions=conjunction(1234, 1/2)",
        "ip,ip_src=10.0.0.7 actions=conjunction(1234, 1/2)",
        "ip,ip_dst=10.0.0.2 actions=conjunction(1234, 2/2)",
        "ip,ip_dst=10.0.0.5 actions=conjunction(1234, 2/2)",
        "ip,ip_dst=10.0.0.7 actions=conjunction(1234, 2/2)",
        "ip,ip_dst=10.0.0.8 actions=conjunction(1234, 2/2)",
    ];

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.2", "controller")]
    [InlineData("10.0.0.7", "10.0.0.7", "controller")]
    [InlineData("10.0.0.1", "10.0.0.3", null)]
    [InlineData("10.0.0.2", "10.0.0.2", null)]
    public void Man_page_example_matches_only_when_every_dimension_matches(string src, string dst, string? expected)
        => Assert.Equal(expected, Winner(Load(s_manPage), Ip(src, dst)));

    [Fact]
    public void Higher_priority_ordinary_rule_beats_the_conjunction()
    {
        FlowTableSet set = Load([.. s_manPage.Select(l => "priority=100," + l), "priority=200,ip,ip_src=10.0.0.1 actions=hard"]);
        Assert.Equal("hard", Winner(set, Ip("10.0.0.1", "10.0.0.2")));
    }

    [Fact]
    public void Conjunction_beats_a_lower_priority_ordinary_rule()
    {
        FlowTableSet set = Load([.. s_manPage.Select(l => "priority=100," + l), "priority=50,ip actions=low"]);
        Assert.Equal("controller", Winner(set, Ip("10.0.0.1", "10.0.0.2")));
        Assert.Equal("low", Winner(set, Ip("10.0.0.1", "10.0.0.3")));
    }

    [Fact]
    public void Ordinary_rule_wins_a_tie_with_conjunctive_rules_of_its_priority()
    {
        FlowTableSet set = Load([.. s_manPage.Select(l => "priority=100," + l), "priority=100,ip,ip_dst=10.0.0.2 actions=tie"]);
        Assert.Equal("tie", Winner(set, Ip("10.0.0.1", "10.0.0.2")));
    }

    [Fact]
    public void Conj_id_search_ignores_conjunctive_flows_and_finds_a_higher_priority_conj_id_rule()
    {
        FlowTableSet set = Load(
            "priority=10,ip,nw_src=10.0.0.1 actions=conjunction(1,1/2)",
            "priority=10,ip,nw_dst=10.0.0.2 actions=conjunction(1,2/2)",
            "priority=500,conj_id=1,ip actions=found");
        Assert.Equal("found", Winner(set, Ip("10.0.0.1", "10.0.0.2")));
    }

    [Fact]
    public void No_conj_id_rule_acts_as_if_the_conjunction_had_not_matched()
    {
        FlowTableSet set = Load(
            "priority=10,ip,nw_src=10.0.0.1 actions=conjunction(1,1/2)",
            "priority=10,ip,nw_dst=10.0.0.2 actions=conjunction(1,2/2)",
            "priority=5,ip actions=fallthrough");
        Assert.Equal("fallthrough", Winner(set, Ip("10.0.0.1", "10.0.0.2")));
    }

    [Fact]
    public void Conj_id_search_applies_the_conj_id_rules_own_match()
    {
        // ovs-fields(7): one can add the constraint to the conj_id flow (not recommended, but valid).
        FlowTableSet set = Load(
            "priority=10,ip,nw_src=10.0.0.1 actions=conjunction(1,1/2)",
            "priority=10,ip,nw_dst=10.0.0.2 actions=conjunction(1,2/2)",
            "priority=10,conj_id=1,tcp,tp_dst=80 actions=web",
            "priority=1,ip actions=other");
        Assert.Equal("web", Winner(set, Ip("10.0.0.1", "10.0.0.2", IpProtocols.Tcp, 80)));
        Assert.Equal("other", Winner(set, Ip("10.0.0.1", "10.0.0.2", IpProtocols.Tcp, 22)));
    }

    [Fact]
    public void One_flow_contributes_to_several_conjunctions()
    {
        // The seed's table 50: nw_src=10.222.1.48 is clause 1 of both conjunction 1 and 2.
        FlowTableSet set = Load(
            "priority=200,ip,nw_src=10.0.0.1 actions=conjunction(1,1/2),conjunction(2,1/2)",
            "priority=200,tcp,tp_dst=80 actions=conjunction(1,2/2)",
            "priority=200,udp,tp_dst=53 actions=conjunction(2,2/2)",
            "priority=190,conj_id=1,ip actions=one",
            "priority=190,conj_id=2,ip actions=two");
        Assert.Equal("one", Winner(set, Ip("10.0.0.1", "10.0.0.9", IpProtocols.Tcp, 80)));
        Assert.Equal("two", Winner(set, Ip("10.0.0.1", "10.0.0.9", IpProtocols.Udp, 53)));
        Assert.Null(Winner(set, Ip("10.0.0.9", "10.0.0.9", IpProtocols.Udp, 53)));
    }

    [Fact]
    public void Dimension_with_a_single_flow_works()
    {
        FlowTableSet set = Load(
            "priority=9,ip actions=conjunction(3,1/2)",
            "priority=9,ip,nw_dst=10.0.0.2 actions=conjunction(3,2/2)",
            "conj_id=3 actions=three");
        Assert.Equal("three", Winner(set, Ip("10.0.0.7", "10.0.0.2")));
    }

    [Fact]
    public void Same_id_at_different_priorities_are_different_conjunctions()
    {
        // "Flows with the same id but different priorities are currently treated as different conjunctive flows."
        FlowTableSet set = Load(
            "priority=20,ip,nw_src=10.0.0.1 actions=conjunction(1,1/2)",
            "priority=10,ip,nw_dst=10.0.0.2 actions=conjunction(1,2/2)",
            "conj_id=1 actions=never");
        Assert.Null(Winner(set, Ip("10.0.0.1", "10.0.0.2")));
    }

    [Fact]
    public void A_dimension_without_flows_never_completes()
    {
        // The seed's conjunction(5,1/2) has no clause 2.
        FlowTableSet set = Load("priority=200,ip,nw_src=10.0.0.1 actions=conjunction(5,1/2)", "conj_id=5 actions=five", "priority=0 actions=miss");
        Assert.Equal("miss", Winner(set, Ip("10.0.0.1", "10.0.0.2")));
    }

    [Fact]
    public void Lower_priority_identical_match_is_considered_when_the_conjunction_fails()
    {
        // OVS steps a failed soft match down its identical-match list: here to an ordinary rule.
        FlowTableSet set = Load(
            "priority=20,ip,nw_src=10.0.0.1 actions=conjunction(1,1/2)",
            "priority=15,ip,nw_src=10.0.0.1 actions=below",
            "priority=1,ip actions=last");
        Assert.Equal("below", Winner(set, Ip("10.0.0.1", "10.0.0.2")));
    }

    [Fact]
    public void Overlapping_conjunctions_at_one_priority_warn_naming_both_rules()
    {
        var set = new FlowTableSet();
        string[] lines =
        [
            "priority=10,ip,nw_src=10.0.0.1 actions=conjunction(1,1/2)",
            "priority=10,tcp actions=conjunction(1,2/2)",
            "priority=10,ip,nw_dst=10.0.0.2 actions=conjunction(2,1/2)",
            "priority=10,ip actions=conjunction(2,2/2)",
        ];
        FlowModResult r = set.Load([.. lines.Select((l, i) => FlowParser.Parse(l, null, "p.flows", i + 1))]);
        ClassifierWarning w = Assert.Single(r.Warnings);
        Assert.Contains("conjunction(1,...) and conjunction(2,...) overlap at priority 10 in table 0", w.Message, StringComparison.Ordinal);
        Assert.Contains("p.flows:1", w.Message, StringComparison.Ordinal);
        Assert.Contains("p.flows:3", w.Message, StringComparison.Ordinal);
        Assert.Single(set.LoadWarnings);
    }

    [Fact]
    public void Overlapping_conjunctions_under_strict_are_an_error_and_nothing_loads()
    {
        var set = new FlowTableSet();
        string[] lines =
        [
            "priority=10,ip,nw_src=10.0.0.1 actions=conjunction(1,1/2)",
            "priority=10,tcp actions=conjunction(1,2/2)",
            "priority=10,ip,nw_dst=10.0.0.2 actions=conjunction(2,1/2)",
            "priority=10,ip actions=conjunction(2,2/2)",
        ];
        var ex = Assert.Throws<InputException>(() => set.Load([.. lines.Select((l, i) => FlowParser.Parse(l, null, "p.flows", i + 1))], strict: true));
        Assert.StartsWith("p.flows:1: conjunctive flows", ex.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, set.Count);
    }

    [Fact]
    public void Disjoint_conjunctions_at_one_priority_do_not_warn()
    {
        // tcp-only against udp-only dimensions cannot both match (the seed's conjunctions 1 and 2).
        FlowTableSet set = Scenario.Load("worker1", Scenario.Worker1Ports);
        Assert.Empty(set.LoadWarnings);
    }
}
