namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// `datapath trace` and `dump-flows` on a copy of the seed scenario whose worker1 has an IPv6 EndpointDNAT in front of
/// its pipeline: the SYN to the ClusterIP leaves translated to the endpoint (its frames judged by the capture judge
/// through --json), and a range OVS cannot read is refused with file, line, column and OVS's words.
/// </summary>
public sealed class NatIpv6CommandTests
{
    private const string EndpointDnat =
        "table=0,priority=300,tcp6,tp_dst=80,actions=ct(commit,table=1,zone=65520,nat(dst=[fd00:10:222:2::34]:8080))\n" +
        "table=1,priority=300,ct_state=+trk+dnat,ipv6,actions=output:2\n";

    private const string Syn = "tcp6,ipv6_src=fd00:10:222:1::48,ipv6_dst=fd00:10:96::a,tp_src=40000,tp_dst=80,tcp_flags=syn";

    [Fact]
    public void Trace_of_an_ipv6_syn_to_the_cluster_ip_leaves_dnatted_to_the_endpoint()
    {
        WithFlows(EndpointDnat, dir =>
        {
            var (code, text, err) = CliRunner.Run("trace", Syn, "--scenario", dir, "--node", "worker1", "--in-port", "1", "--bridge-only");
            Assert.True(code == 0, err);
            Assert.Contains("Conntrack: ct(zone=65520,commit,nat(dst=[fd00:10:222:2::34]:8080)) -> ct_state=new|trk|dnat,ct_zone=65520", text, StringComparison.Ordinal);
            Assert.Contains("fd00:10:222:1::48.40000 > fd00:10:222:2::34.8080: Flags [S]", text, StringComparison.Ordinal);
            (code, text, err) = CliRunner.Run("trace", Syn, "--scenario", dir, "--node", "worker1", "--in-port", "1", "--bridge-only", "--json");
            Assert.True(code == 0, err);
            Assert.Contains("\"ct_state\": \"new|trk|dnat\"", text, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_port_after_an_unbracketed_ipv6_range_is_refused_with_its_place_and_ovs_words()
    {
        WithFlows("table=0,priority=300,ipv6,actions=ct(commit,nat(src=fd00::1-fd00::5:1000-2000))\n", dir =>
        {
            var (code, _, err) = CliRunner.Run("dump-flows", "--scenario", dir, "--node", "worker1");
            Assert.Equal(1, code);
            Assert.Matches(@"worker1\.flows:\d+:45: ct: nat: garbage \(-2000\) after nat range ""fd00::1-fd00::5:1000-2000"" \(pos: 20\)", err);
        });
    }

    private static void WithFlows(string flows, Action<string> test)
    {
        var dir = Directory.CreateTempSubdirectory("dp-nat6-").FullName;
        try
        {
            foreach (var f in Directory.GetFiles(Path.Combine(CliRunner.RepoRoot, "src", "Antrea", "Scenario")))
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            File.AppendAllText(Path.Combine(dir, "worker1.flows"), flows);
            test(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
