using System.Globalization;
using System.Text.RegularExpressions;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// `datapath show`, `dump-tables` and `dump-group-stats`, and replay's --dump-tables: the seed bridge as Open vSwitch
/// 3.1 printed it (tests/Data/ovs-3.1), table statistics that agree with the flows' own counters after a replay, and
/// group statistics of a scenario's groups with the flows that use them.
/// </summary>
public sealed partial class OfctlRepliesCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ofctl").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Sample => Path.Combine(CliRunner.RepoRoot, "samples", "seed-curl.pcapng");

    [Fact]
    public void Show_prints_the_seed_bridge_line_for_line_as_ovs_3_1_printed_it()
    {
        var (code, text, err) = CliRunner.Run("show", "--node", "worker1");
        Assert.True(code == 0, err);
        // OVS ran the seed with dummy ports, whose MACs (and the bridge's, hence the dpid) it picked itself.
        string[] theirs = File.ReadAllLines(Path.Combine(CliRunner.RepoRoot, "tests", "Data", "ovs-3.1", "worker1.show.txt"));
        Assert.Equal(theirs.Select(Unaddressed), text.TrimEnd('\n').Split('\n').Select(Unaddressed));
        Assert.Contains(" 2(antrea-gw0): addr:4e:99:08:c1:53:be", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_tables_after_a_replay_counts_what_each_table_s_flows_counted()
    {
        var (code, tables, err) = CliRunner.Run("replay", "--cluster", Sample, "--out", Path.Combine(_dir, "a"), "--dump-tables");
        Assert.True(code == 0, err);
        var (code2, flows, err2) = CliRunner.Run("replay", "--cluster", Sample, "--out", Path.Combine(_dir, "b"), "--dump-flows");
        Assert.True(code2 == 0, err2);
        foreach (string node in new[] { "worker1", "worker2" })
        {
            var matchedByTable = MatchedByTable(NodeSection(tables, node));
            var sums = NodeSection(flows, node).Select(l => FlowLine().Match(l)).Where(m => m.Success)
                .GroupBy(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
                .ToDictionary(g => g.Key, g => g.Sum(m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)));
            Assert.True(sums[0] > 0, $"{node}: no frame matched table 0");
            foreach (var (table, packets) in sums.Where(s => s.Value > 0))
                Assert.Equal(packets, matchedByTable[table]);
        }
        Assert.Contains("  table 5 (\"Uplink\"): ditto\n  tables 6...9: ditto\n", tables, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_group_stats_lists_a_scenario_s_groups_with_the_flows_that_use_them()
    {
        string scenario = Path.Combine(_dir, "scenario");
        Directory.CreateDirectory(scenario);
        foreach (string f in Directory.GetFiles(Path.Combine(CliRunner.RepoRoot, "src", "Antrea", "Scenario")))
            File.Copy(f, Path.Combine(scenario, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(scenario, "worker1.groups"), "group_id=7,type=select,bucket=output:48,bucket=weight:3,actions=output:49\ngroup_id=8,type=all,bucket=output:3\n");
        File.AppendAllText(Path.Combine(scenario, "worker1.flows"), "table=70,priority=300,ip,nw_dst=10.96.7.7,actions=group:7\ntable=70,priority=300,ip,nw_dst=10.96.7.8,actions=group:7\n");
        string yaml = Path.Combine(scenario, "cluster.yaml");
        File.WriteAllText(yaml, File.ReadAllText(yaml).Replace("    flows: worker1.flows\n", "    flows: worker1.flows\n    groups: worker1.groups\n", StringComparison.Ordinal));
        var (code, text, err) = CliRunner.Run("dump-group-stats", "--scenario", scenario, "--node", "worker1");
        Assert.True(code == 0, err);
        Assert.Equal(
            " group_id=7,duration=0s,ref_count=2,packet_count=0,byte_count=0,bucket0:packet_count=0,byte_count=0,bucket1:packet_count=0,byte_count=0\n" +
            " group_id=8,duration=0s,ref_count=0,packet_count=0,byte_count=0,bucket0:packet_count=0,byte_count=0\n", text);
        Assert.Equal(" group_id=8,duration=0s,ref_count=0,packet_count=0,byte_count=0,bucket0:packet_count=0,byte_count=0\n",
            CliRunner.Run("dump-group-stats", "--scenario", scenario, "--node", "worker1", "group_id=8").Out);
        var (bad, _, badErr) = CliRunner.Run("dump-group-stats", "--scenario", scenario, "--node", "worker1", "eight");
        Assert.Equal(1, bad);
        Assert.Equal("error: GROUP 'eight': not a group id (a number, or group_id=N)", badErr.TrimEnd());
    }

    private static IEnumerable<string> NodeSection(string output, string node)
        => output.Split('\n').SkipWhile(l => l != node + ":").Skip(1).TakeWhile(l => !(l.EndsWith(':') && !l.StartsWith(' ')));

    // "  table N[ ("NAME")]:" then "    active=A, lookup=L, matched=M".
    private static Dictionary<int, long> MatchedByTable(IEnumerable<string> lines)
    {
        var result = new Dictionary<int, long>();
        int? table = null;
        foreach (string l in lines)
        {
            var t = TableHeader().Match(l);
            var s = StatsLine().Match(l);
            if (t.Success)
                table = int.Parse(t.Groups[1].Value, CultureInfo.InvariantCulture);
            else if (s.Success && table is { } n)
                result[n] = long.Parse(s.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return result;
    }

    private static string Unaddressed(string line) => Dpid().Replace(Address().Replace(line, "addr:MAC"), "dpid:DPID");

    [GeneratedRegex(@"addr:[0-9a-f:]{17}")]
    private static partial Regex Address();

    [GeneratedRegex(@"dpid:[0-9a-f]{16}")]
    private static partial Regex Dpid();

    [GeneratedRegex(@"^  table (\d+)(?: \(""[^""]*""\))?:$")]
    private static partial Regex TableHeader();

    [GeneratedRegex(@"^    active=\d+, lookup=\d+, matched=(\d+)$")]
    private static partial Regex StatsLine();

    [GeneratedRegex(@"table=(\d+), n_packets=(\d+)")]
    private static partial Regex FlowLine();
}
