using System.Globalization;
using System.Text.RegularExpressions;
using Datapath.Antrea;
using Datapath.Classifier;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>`datapath dump-flows`: the embedded seed tables print back as they were loaded.</summary>
public partial class DumpFlowsCommandTests
{
    [Theory]
    [InlineData("worker1")]
    [InlineData("worker2")]
    public void No_stats_dump_equals_the_loaded_flow_file(string node)
    {
        // --names: as a terminal shows it (ovs-ofctl's default there), with the seed's Antrea v0.10 table names.
        var (code, text, err) = CliRunner.Run("dump-flows", "--node", node, "--no-stats", "--names");
        Assert.True(code == 0, err);
        string file = Path.Combine(CliRunner.RepoRoot, "src", "Antrea", "Scenario", node + ".flows");
        var expected = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => TableZero().Replace(l, "$1, table=0,", 1))
            .Select(l => TableNumbers().Replace(l, m => m.Groups[1].Value + TableNameMap.Format(AntreaTables.Name(byte.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))!))).ToArray();
        var actual = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        Assert.Equal(Normalize(expected), Normalize(actual));
    }

    [Fact]
    public void With_stats_every_line_has_counters_and_a_table_filter_keeps_one_table()
    {
        var (code, text, err) = CliRunner.Run("dump-flows", "--node", "worker1", "table=50");
        Assert.True(code == 0, err);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, l =>
        {
            Assert.Contains("n_packets=0", l, StringComparison.Ordinal);
            Assert.Contains("table=50", l, StringComparison.Ordinal);
        });
    }

    /// <summary>L3Forwarding (table 70): the filter keeps the flows within the match, as ovs-ofctl dump-flows FLOWS does.</summary>
    [Fact]
    public void A_match_filter_keeps_the_flows_within_it()
    {
        var (code, text, err) = CliRunner.Run("dump-flows", "--node", "worker1", "--no-stats", "table=70,ip,nw_dst=10.222.1.47");
        Assert.True(code == 0, err);
        var line = Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("nw_dst=10.222.1.47 actions=", line, StringComparison.Ordinal); // backend1's L3 forwarding rule
        var (bad, _, badErr) = CliRunner.Run("dump-flows", "--node", "worker1", "ip,nw_dts=10.222.1.47");
        Assert.Equal(1, bad);
        Assert.Contains("FILTER:1:4", badErr, StringComparison.Ordinal);
        Assert.Contains("nw_dst", badErr, StringComparison.Ordinal);
    }

    /// <summary>--rsort: every table's flows by priority, highest first; --sort=nw_dst: flows matching nw_dst first, ascending, the rest after.</summary>
    [Fact]
    public void Sort_and_rsort_order_the_flows_as_ovs_ofctl_does()
    {
        var all = CliRunner.Run("dump-flows", "--node", "worker1", "--no-stats").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var (code, text, err) = CliRunner.Run("dump-flows", "--node", "worker1", "--no-stats", "--rsort");
        Assert.True(code == 0, err);
        var sorted = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(all.Order(), sorted.Order());
        var priorities = sorted.Select(Priority).ToList();
        Assert.Equal(priorities.OrderDescending(), priorities);
        Assert.True(priorities.Distinct().Count() > 3);

        var byDst = CliRunner.Run("dump-flows", "--node", "worker1", "--no-stats", "--sort=nw_dst", "table=70").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var dsts = byDst.Select(l => NwDst().Match(l)).ToList();
        int firstWithout = dsts.FindIndex(m => !m.Success);
        Assert.True(firstWithout > 1, "table 70 has several nw_dst rules");
        Assert.All(dsts.Skip(firstWithout), m => Assert.False(m.Success)); // flows without nw_dst sort last
        var values = dsts.Take(firstWithout).Select(m => Packets.Ipv4Address.Parse(m.Groups[1].Value).Value).ToList();
        Assert.Equal(values.Order(), values);
        Assert.Equal(1, CliRunner.Run("dump-flows", "--node", "worker1", "--sort=nw_dts").Code);
    }

    private static int Priority(string line) => int.Parse(PriorityRegex().Match(line) is { Success: true } m ? m.Groups[1].Value : "32768", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"priority=(\d+)")]
    private static partial Regex PriorityRegex();

    [GeneratedRegex(@"nw_dst=([0-9.]+)")]
    private static partial Regex NwDst();

    [Fact]
    public void A_bad_table_filter_is_an_input_error()
    {
        var (code, _, err) = CliRunner.Run("dump-flows", "--node", "worker1", "table=300");
        Assert.Equal(1, code);
        Assert.Contains("table=300", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scenario_directory_with_a_typo_names_file_line_and_column()
    {
        WithSeedScenarioCopy(dir =>
        {
            string flows = Path.Combine(dir, "worker1.flows");
            File.WriteAllText(flows, File.ReadAllText(flows).Replace("ip,nw_dst=10.96.0.0/12", "ip,w_dst=10.96.0.0/12", StringComparison.Ordinal));
            var (code, _, err) = CliRunner.Run("dump-flows", "--scenario", dir, "--node", "worker1");
            Assert.Equal(1, code);
            Assert.Contains("worker1.flows:", err, StringComparison.Ordinal);
            Assert.Contains("w_dst", err, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        });
    }

    /// <summary>
    /// Conjunctive flows that overlap at one priority (ovs-fields(7): unpredictable) load with a
    /// warning naming both flows' lines; under --strict they are an error and nothing is printed.
    /// </summary>
    [Fact]
    public void Overlapping_conjunctive_flows_warn_and_fail_under_strict()
    {
        WithSeedScenarioCopy(dir =>
        {
            string flows = Path.Combine(dir, "worker1.flows");
            int first = File.ReadAllLines(flows).Length + 1;
            File.AppendAllLines(flows,
            [
                "table=50, priority=300,ip,nw_src=10.222.1.99 actions=conjunction(7,1/2)",
                "table=50, priority=300,tcp actions=conjunction(7,2/2)",
                "table=50, priority=300,ip,nw_dst=10.222.1.5 actions=conjunction(8,1/2)",
                "table=50, priority=300,ip actions=conjunction(8,2/2)",
            ]);

            var (code, text, err) = CliRunner.Run("dump-flows", "--scenario", dir, "--node", "worker1", "table=50");
            Assert.True(code == 0, err);
            Assert.Contains("conjunction(7,1/2)", text, StringComparison.Ordinal);
            string warning = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"warning: worker1.flows:{first}: conjunctive flows conjunction(7,...) and conjunction(8,...) overlap at priority 300 in table 50", warning, StringComparison.Ordinal);
            Assert.Contains($"worker1.flows:{first + 2}", warning, StringComparison.Ordinal);

            (code, text, err) = CliRunner.Run("dump-flows", "--scenario", dir, "--node", "worker1", "--strict");
            Assert.Equal(1, code);
            Assert.Empty(text);
            Assert.Contains($"error: worker1.flows:{first}: conjunctive flows", err, StringComparison.Ordinal);
            Assert.Contains("errors under --strict", err, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void The_seed_loads_without_warnings_even_under_strict()
    {
        var (code, _, err) = CliRunner.Run("dump-flows", "--node", "worker2", "--strict");
        Assert.True(code == 0, err);
        Assert.Empty(err);
    }

    /// <summary>Runs <paramref name="test"/> on a temporary copy of the seed scenario directory, then deletes it.</summary>
    private static void WithSeedScenarioCopy(Action<string> test)
    {
        var dir = Directory.CreateTempSubdirectory("dp-scn-").FullName;
        try
        {
            foreach (var f in Directory.GetFiles(Path.Combine(CliRunner.RepoRoot, "src", "Antrea", "Scenario")))
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            test(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // The seed file's table numbers, where --names prints the table's name instead.
    [GeneratedRegex(@"(table=|resubmit\(,|goto_table:)(\d+)")]
    private static partial Regex TableNumbers();

    // A line of table 0 has no table= in the file; named, table 0 prints it (ofputil_flow_stats_format).
    [GeneratedRegex(@"^(cookie=0x[0-9a-f]+),(?! table=)")]
    private static partial Regex TableZero();

    private static string[] Normalize(IEnumerable<string> lines)
        => lines.Select(l => string.Join(' ', l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)).Replace(", ", ",", StringComparison.Ordinal)).ToArray();
}
