using System.Text.RegularExpressions;
using Datapath.Classifier;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>
/// The bridge's table names (cluster.yaml's <c>tables:</c>, OVSDB's Flow_Table names): the seed lab
/// has Antrea v0.10's built in, a scenario may give its own (Antrea 2.x names here), flows written with
/// names load, dumps printed with names load back, and OVS 3.1 takes what we print.
/// </summary>
public sealed partial class TableNamesTests
{
    private static readonly AntreaScenario s_seed = AntreaScenario.LoadEmbedded();

    [Fact]
    public void The_seed_bridges_have_antrea_v0_10_table_names()
    {
        TableNameMap names = s_seed.GetNode("worker1").Bridge.TableNames!;
        Assert.Equal("Classification", names.NameOf(AntreaTables.Classification));
        Assert.Equal("SpoofGuard", names.NameOf(AntreaTables.SpoofGuard));
        Assert.Equal("ConntrackZone", names.NameOf(AntreaTables.Conntrack));
        // pipeline.go gives table 40 two names; GetFlowTableName answers the first.
        Assert.Equal("DNAT(SessionAffinity)", names.NameOf(AntreaTables.Dnat));
        Assert.Equal("Output", names.NameOf(AntreaTables.L2ForwardingOut));
        Assert.NotNull(s_seed.GetNode("worker2").Bridge.TableNames);
    }

    [Fact]
    public void The_seed_dump_with_names_shows_the_walk_of_the_articles_by_name()
    {
        var lines = s_seed.GetNode("worker1").Bridge.DumpFlows(withStats: false, AntreaTables.Classification, NamesShown.PortsAndTables).ToList();
        Assert.Contains("cookie=0x1000000000000, table=Classification, priority=200,in_port=\"antrea-gw0\" actions=load:0x1->NXM_NX_REG0[0..15],resubmit(,SpoofGuard)", lines);
        var spoofGuard = s_seed.GetNode("worker1").Bridge.DumpFlows(withStats: false, AntreaTables.SpoofGuard, NamesShown.PortsAndTables);
        Assert.All(spoofGuard, l => Assert.StartsWith("cookie=0x", l, StringComparison.Ordinal));
        Assert.All(spoofGuard, l => Assert.Contains(", table=SpoofGuard, ", l, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("worker1")]
    [InlineData("worker2")]
    public void A_dump_printed_with_names_loads_back_into_the_same_tables(string node)
    {
        Bridge seed = s_seed.GetNode(node).Bridge;
        string named = string.Join('\n', seed.DumpFlows(withStats: true, names: NamesShown.PortsAndTables));
        Assert.Contains("resubmit(,ConntrackCommit)", named, StringComparison.Ordinal);
        var copy = BridgeLike(seed);
        using (var r = new StringReader(named))
            copy.LoadFlows(r, "named.flows");
        Assert.Equal(seed.DumpFlows(withStats: false, names: NamesShown.None), copy.DumpFlows(withStats: false, names: NamesShown.None));
    }

    [Fact]
    public void An_antrea_2_dump_with_table_names_loads_when_cluster_yaml_names_the_tables()
    {
        // What `ovs-ofctl dump-flows br-int` prints on an Antrea 2.x node (table names from OVSDB):
        // the seed's worker1 flows, renumbered into Antrea 2.x's tables and written with their names.
        using var copy = new SeedScenarioCopy();
        File.WriteAllText(copy.PathOf("worker1.flows"), """
            cookie=0x1000000000000, table=PipelineRootClassifier, priority=200,in_port="antrea-gw0" actions=load:0x1->NXM_NX_REG0[0..15],resubmit(,SpoofGuard)
            cookie=0x1000000000000, table=PipelineRootClassifier, priority=0 actions=drop
            cookie=0x1000000000000, table=SpoofGuard, priority=200,ip,in_port="antrea-gw0" actions=goto_table:ConntrackZone
            cookie=0x1000000000000, table=ConntrackZone, priority=200,ip actions=ct(table=ConntrackState,zone=65520)
            cookie=0x1000000000000, table=ConntrackState, priority=0 actions=drop
            """);
        var scenario = copy.LoadWith(SeedScenarioCopy.SeedWith("flows: worker1.flows\n    tables: antrea-v0.10",
            "flows: worker1.flows\n    tables: { 0: PipelineRootClassifier, 3: SpoofGuard, 6: ConntrackZone, 7: ConntrackState }"));
        Bridge br = scenario.GetNode("worker1").Bridge;
        Assert.Equal([0, 3, 6, 7], br.Tables.Rules(null).Select(r => (int)r.TableId).Distinct().Order());
        Assert.Contains("cookie=0x1000000000000, table=6, priority=200,ip actions=ct(table=7,zone=65520)", br.DumpFlows(withStats: false, names: NamesShown.None));
        Assert.Contains("cookie=0x1000000000000, table=SpoofGuard, priority=200,ip,in_port=\"antrea-gw0\" actions=goto_table:ConntrackZone", br.DumpFlows(withStats: false, names: NamesShown.PortsAndTables));
    }

    [Fact]
    public void A_misspelt_table_name_in_a_flows_file_is_located_with_a_did_you_mean()
    {
        using var copy = new SeedScenarioCopy();
        string flows = File.ReadAllText(copy.PathOf("worker1.flows"));
        int line = flows[..flows.IndexOf("resubmit(,10)", StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        File.WriteAllText(copy.PathOf("worker1.flows"), ReplaceFirst(flows, "resubmit(,10)", "resubmit(,SpoofGaurd)"));
        var e = Assert.Throws<InputException>(() => AntreaScenario.Load(copy.Directory));
        Assert.Equal("worker1.flows", e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal("unknown table \"SpoofGaurd\" (did you mean SpoofGuard?)", e.What);
        string text = File.ReadAllLines(copy.PathOf("worker1.flows"))[line - 1];
        Assert.Equal(text.IndexOf("SpoofGaurd", StringComparison.Ordinal) + 1, e.Column);
    }

    [Theory]
    [InlineData("tables: antrea-v0.10", "tables: antrea-v0.1", "node worker1: tables: 'antrea-v0.1' is not a table name set", "did you mean 'antrea-v0.10'?")]
    [InlineData("tables: antrea-v0.10", "tables: { 300: Classifier }", "node worker1: tables: '300' is not a table number", "a table is 0..254 (255 means every table)")]
    [InlineData("tables: antrea-v0.10", "tables: { 0: \"17\" }", "node worker1: tables: table 0: the name '17' is a number, which ovs-ofctl reads as the table's number", null)]
    [InlineData("tables: antrea-v0.10", "tables: { 0: Root, 10: Root }", "node worker1: tables: table 10: 'Root' already names table 0", "OVS uses no name that two tables share")]
    [InlineData("tables: antrea-v0.10", "tabels: antrea-v0.10", "node worker1: unknown key 'tabels'", "did you mean 'tables'?")]
    public void A_wrong_tables_key_is_refused_where_it_stands(string find, string replace, string what, string? hint)
    {
        using var copy = new SeedScenarioCopy();
        string yaml = SeedScenarioCopy.SeedWith("flows: worker1.flows\n    " + find, "flows: worker1.flows\n    " + replace);
        var e = copy.Refuses(yaml);
        Assert.Equal(copy.ClusterYaml, e.File);
        Assert.Equal(yaml[..yaml.IndexOf(replace, StringComparison.Ordinal)].Count(c => c == '\n') + 1, e.Line);
        Assert.Equal(what, e.What);
        Assert.Equal(hint, e.Hint);
    }

    [Fact]
    public void Tables_on_a_node_without_a_bridge_is_refused()
    {
        using var copy = new SeedScenarioCopy();
        var e = copy.Refuses(SeedScenarioCopy.SeedWith("    gateway: { ip: 10.222.0.1 }\n", "    gateway: { ip: 10.222.0.1 }\n    tables: antrea-v0.10\n"));
        Assert.Equal("node master: 'tables' needs 'flows' (the node's bridge)", e.What);
    }

    /// <summary>
    /// OVS 3.1 is the judge: a bridge with the seed's ports and Antrea v0.10's Flow_Table names takes our
    /// <c>--names</c> dump with <c>ovs-ofctl add-flows</c>, and its own dumps, with names and without,
    /// show the same tables, matches and resubmit/ct targets as ours.
    /// </summary>
    [JudgedFact(nameof(OvsSwitchJudge))]
    public void Ovs_3_1_loads_our_named_dump_and_dumps_the_same_tables()
    {
        Bridge seed = s_seed.GetNode("worker1").Bridge;
        using var ovs = OvsSwitchJudge.TryStart("br-int", seed.Ports.Select(p => (p.OfPort, p.Name)), seed.TableNames!.Entries.Select(e => new KeyValuePair<byte, string>(e.Table, e.Name)), out string? why)
            ?? throw new InvalidOperationException(why);
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, seed.DumpFlows(withStats: false, names: NamesShown.PortsAndTables));
            ovs.Ofctl("add-tlv-map", ovs.Bridge, AntreaFields.TlvMap);
            ovs.Ofctl("-O", "OpenFlow15", "--names", "add-flows", ovs.Bridge, file);
            foreach (var shown in new[] { NamesShown.PortsAndTables, NamesShown.None })
            {
                string[] theirs = Lines(ovs.Ofctl("-O", "OpenFlow15", shown == NamesShown.None ? "--no-names" : "--names", "--no-stats", "dump-flows", ovs.Bridge));
                string[] ours = [.. seed.DumpFlows(withStats: false, names: shown)];
                Assert.Equal(ours.Select(Essence).Order(StringComparer.Ordinal), theirs.Select(Essence).Order(StringComparer.Ordinal));
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [JudgedFact(nameof(OvsSwitchJudge))]
    public void Ovs_3_1_refuses_a_table_name_its_bridge_does_not_have_as_we_do()
    {
        using var ovs = OvsSwitchJudge.TryStart("br-int", [(2, "antrea-gw0")], [new(10, "SpoofGuard")], out string? why)
            ?? throw new InvalidOperationException(why);
        Assert.Equal(0, ovs.TryOfctl("add-flow", ovs.Bridge, "table=SpoofGuard,ip,actions=drop").Code);
        var (code, _, err) = ovs.TryOfctl("add-flow", ovs.Bridge, "table=Spoofguard,ip,actions=drop");
        Assert.NotEqual(0, code);
        Assert.Contains("unknown table \"Spoofguard\"", err, StringComparison.Ordinal);
        var ports = new PortMap([new("antrea-gw0", 2u)], new TableNameMap([new(10, "SpoofGuard")]));
        Assert.Equal(10, FlowParser.Parse("table=SpoofGuard,ip,actions=drop", ports).TableId);
        Assert.StartsWith("unknown table \"Spoofguard\"", Assert.Throws<InputException>(() => FlowParser.Parse("table=Spoofguard,ip,actions=drop", ports)).What, StringComparison.Ordinal);
    }

    private static Bridge BridgeLike(Bridge seed)
    {
        var b = new Bridge(seed.Name) { TlvMap = seed.TlvMap, TableNames = seed.TableNames };
        foreach (var p in seed.Ports)
            b.AddPort(p.OfPort, p.Name, p.Mac, p.Kind);
        return b;
    }

    private static string[] Lines(string dump)
        => [.. dump.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("actions=", StringComparison.Ordinal))];

    // The table, the match and the tables an action list goes to: OVS prints load: as set_field: and
    // some actions in other forms, which does not change what this test judges (names and numbers).
    private static string Essence(string line)
    {
        string t = line.Trim();
        int actions = t.IndexOf(" actions=", StringComparison.Ordinal);
        string match = t[..actions];
        string targets = string.Join(' ', Target().Matches(t[actions..]).Select(m => m.Value));
        return match + " -> " + targets;
    }

    [GeneratedRegex(@"resubmit\(,[^)]*\)|goto_table:[^,]*|table=[^,)]*")]
    private static partial Regex Target();

    private static string ReplaceFirst(string text, string find, string replace)
    {
        int at = text.IndexOf(find, StringComparison.Ordinal);
        return string.Concat(text.AsSpan(0, at), replace, text.AsSpan(at + find.Length));
    }
}
