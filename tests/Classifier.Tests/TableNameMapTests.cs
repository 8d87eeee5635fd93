using Datapath.Packets;

namespace Datapath.Classifier.Tests;

/// <summary>
/// Table names as ovs-ofctl reads and prints them (lib/ofp-table.c, lib/namemap.c): <c>table=NAME</c>
/// with the bridge's names, bare or JSON-quoted; a name given twice, or two names for one table, make
/// the entry unusable both ways (namemap_put); a name prints bare when it is a letter followed by letters
/// and digits, quoted otherwise. The names here are Antrea's: v0.10's pipeline.go and Antrea 2.x's.
/// </summary>
public sealed class TableNameMapTests
{
    private static readonly TableNameMap s_antrea2 = new(
    [
        new(0, "PipelineRootClassifier"),
        new(10, "SpoofGuard"),
        new(40, "DNAT(SessionAffinity)"),
    ]);

    private static readonly PortMap s_ports = new([new("antrea-gw0", 2u)], s_antrea2);

    [Fact]
    public void A_dump_line_with_table_names_parses_to_the_numbers()
    {
        ParsedFlow f = FlowParser.Parse(" cookie=0x1000000000000, table=SpoofGuard, priority=200,ip,in_port=\"antrea-gw0\" actions=resubmit(,ConntrackZone)", s_ports);
        Assert.Equal(10, f.TableId);
        Assert.Equal(40, FlowParser.Parse("table=\"DNAT(SessionAffinity)\",actions=drop", s_ports).TableId);
        Assert.Equal(0, FlowParser.Parse("table=PipelineRootClassifier,actions=drop", s_ports).TableId);
    }

    [Fact]
    public void An_unknown_table_name_is_located_with_a_did_you_mean()
    {
        var e = Assert.Throws<InputException>(() => FlowParser.Parse("cookie=0x1, table=Spoofguard, priority=200,ip actions=drop", s_ports, "worker1.flows", 12));
        Assert.Equal("worker1.flows:12:19: unknown table \"Spoofguard\" (did you mean SpoofGuard?)", e.Message);
    }

    [Fact]
    public void A_table_name_without_a_name_map_is_an_error_that_says_so()
    {
        var e = Assert.Throws<InputException>(() => FlowParser.Parse("table=PipelineRootClassifier,actions=drop", null, "x.flows", 1));
        Assert.Equal("x.flows:1:7: unknown table \"PipelineRootClassifier\"", e.Message);
        Assert.Contains("no table names", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Numbers_are_decimal_as_ovs_ofctl_reads_them_and_255_is_every_table()
    {
        Assert.True(TableNameMap.TryParse("254", s_antrea2, out byte t) && t == 254);
        Assert.True(TableNameMap.TryParse("255", null, out t) && t == 255);
        Assert.False(TableNameMap.TryParse("256", s_antrea2, out _));
        Assert.False(TableNameMap.TryParse("0x10", s_antrea2, out _));
        Assert.Null(FlowParser.Parse("table=255,actions=drop", null).Table);
    }

    [Fact]
    public void Names_print_bare_or_json_quoted_as_namemap_put_name_does()
    {
        Assert.Equal("SpoofGuard", TableNameMap.Format("SpoofGuard"));
        Assert.Equal("\"DNAT(SessionAffinity)\"", TableNameMap.Format("DNAT(SessionAffinity)"));
        Assert.Equal("\"l3-fwd\"", TableNameMap.Format("l3-fwd"));
        Assert.Equal("\"2nd\"", TableNameMap.Format("2nd"));
        Assert.Equal("\"a\\\"b\"", TableNameMap.Format("a\"b"));
        Assert.True(TableNameMap.TryParse("\"a\\\"b\"", new TableNameMap([new(7, "a\"b")]), out byte t) && t == 7);
    }

    [Fact]
    public void A_name_given_twice_or_two_names_for_one_table_are_unusable_as_in_ovs()
    {
        var map = new TableNameMap([new(40, "DNAT(SessionAffinity)"), new(40, "SessionAffinity"), new(50, "EgressRule"), new(51, "EgressRule"), new(70, "L3Forwarding")]);
        Assert.Null(map.NameOf(40));
        Assert.False(map.TryGetTable("SessionAffinity", out _));
        Assert.False(map.TryGetTable("DNAT(SessionAffinity)", out _));
        Assert.Null(map.NameOf(50));
        Assert.False(map.TryGetTable("EgressRule", out _));
        Assert.Equal("L3Forwarding", map.NameOf(70));
        Assert.Equal(["L3Forwarding"], map.Names);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    public void A_name_that_is_empty_or_a_number_is_refused(string name)
        => Assert.Throws<ArgumentException>(() => new TableNameMap([new(3, name)]));

    [Fact]
    public void A_rule_prints_its_table_by_name_only_when_the_map_given_to_the_printer_has_names()
    {
        FlowRule rule = FlowParser.Parse("cookie=0x1, table=SpoofGuard, priority=200,ip,in_port=\"antrea-gw0\" actions=drop", s_ports).ToRule();
        Assert.Equal("cookie=0x1, table=SpoofGuard, priority=200,ip,in_port=\"antrea-gw0\" actions=drop", rule.Format(s_ports, withStats: false));
        Assert.Equal("cookie=0x1, table=10, priority=200,ip,in_port=\"antrea-gw0\" actions=drop", rule.Format(NameView.For(s_ports, null, NamesShown.Ports), withStats: false));
        Assert.Equal("cookie=0x1, table=10, priority=200,ip,in_port=2 actions=drop", rule.Format(NameView.For(s_ports, null, NamesShown.None), withStats: false));
    }

    [Fact]
    public void What_prints_with_names_parses_back_to_the_same_rule()
    {
        FlowRule rule = FlowParser.Parse("table=40, priority=200,ip,nw_dst=10.96.0.0/12 actions=drop", s_ports).ToRule();
        string printed = rule.Format(s_ports, withStats: true);
        Assert.Contains("table=\"DNAT(SessionAffinity)\"", printed, StringComparison.Ordinal);
        FlowRule back = FlowParser.Parse(printed, s_ports).ToRule();
        Assert.Equal(rule.TableId, back.TableId);
        Assert.Equal(rule.Match, back.Match);
        Assert.Equal(rule.Priority, back.Priority);
    }

    [Fact]
    public void Unknown_table_hint_lists_the_names_when_none_is_close()
    {
        var (what, hint) = TableNameMap.UnknownTable("Output", s_antrea2);
        Assert.Equal("unknown table \"Output\"", what);
        Assert.Equal("the bridge's tables are named PipelineRootClassifier, SpoofGuard, \"DNAT(SessionAffinity)\"", hint);
    }
}
