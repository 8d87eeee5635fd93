namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// `datapath dump-meters` and `meter-stats` on a copy of the seed scenario whose worker1 has cluster.yaml's
/// `meters:` (Antrea 2.x's PacketIn meters 256 and 257): printed as ovs-ofctl -O OpenFlow13 prints them, and a bad
/// meters file or a flow naming a missing meter named by file, line and column.
/// </summary>
public sealed class MetersCommandTests
{
    private const string PacketInMeters = """
        # Antrea 2.x's PacketIn meters
        meter=256,pktps,burst,stats,bands=type=drop,rate=100,burst_size=200
        meter=257,pktps,burst,stats,bands=type=drop,rate=100,burst_size=200
        """;

    [Fact]
    public void Dump_meters_and_meter_stats_print_the_scenarios_meters()
    {
        WithMeters(PacketInMeters, extraFlow: "table=105,priority=1,ip,nw_dst=192.0.2.5,actions=meter:257,controller", dir =>
        {
            var (code, text, err) = CliRunner.Run("dump-meters", "--scenario", dir, "--node", "worker1");
            Assert.True(code == 0, err);
            Assert.Equal("meter=256 pktps burst stats bands=\ntype=drop rate=100 burst_size=200\n\nmeter=257 pktps burst stats bands=\ntype=drop rate=100 burst_size=200\n", text);
            (code, text, err) = CliRunner.Run("meter-stats", "--scenario", dir, "--node", "worker1", "meter=257");
            Assert.True(code == 0, err);
            Assert.Equal("meter:257 flow_count:1 packet_in_count:0 byte_in_count:0 duration:0.000s bands:\n0: packet_count:0 byte_count:0\n", text);
            (code, text, _) = CliRunner.Run("dump-meters", "--scenario", dir, "--node", "worker1", "--json", "meter=256");
            Assert.Equal(0, code);
            Assert.Contains("\"meters\"", text, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_bad_meter_line_and_a_flow_without_its_meter_name_file_line_and_column()
    {
        WithMeters("meter=256,pktps,bands=type=drop\n", extraFlow: null, dir =>
        {
            var (code, _, err) = CliRunner.Run("dump-meters", "--scenario", dir, "--node", "worker1");
            Assert.Equal(1, code);
            Assert.Contains("worker1.meters:1:", err, StringComparison.Ordinal);
            Assert.Contains("band must have 'rate'", err, StringComparison.Ordinal);
        });
        WithMeters(PacketInMeters, extraFlow: "table=105,priority=1,ip,nw_dst=192.0.2.5,actions=meter:300,controller", dir =>
        {
            var (code, _, err) = CliRunner.Run("dump-flows", "--scenario", dir, "--node", "worker1");
            Assert.Equal(1, code);
            Assert.Contains("worker1.flows:", err, StringComparison.Ordinal);
            Assert.Contains("meter 300 does not exist (OFPMMFC_INVALID_METER)", err, StringComparison.Ordinal);
        });
    }

    private static void WithMeters(string meters, string? extraFlow, Action<string> test)
    {
        var dir = Directory.CreateTempSubdirectory("dp-meters-").FullName;
        try
        {
            foreach (var f in Directory.GetFiles(Path.Combine(CliRunner.RepoRoot, "src", "Antrea", "Scenario")))
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            File.WriteAllText(Path.Combine(dir, "worker1.meters"), meters);
            string yaml = File.ReadAllText(Path.Combine(dir, "cluster.yaml"));
            File.WriteAllText(Path.Combine(dir, "cluster.yaml"), yaml.Replace("    flows: worker1.flows\n", "    flows: worker1.flows\n    meters: worker1.meters\n", StringComparison.Ordinal));
            if (extraFlow is not null)
                File.AppendAllText(Path.Combine(dir, "worker1.flows"), extraFlow + "\n");
            test(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
