using System.Text.Json;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>`datapath trace`: the seed walks from the command line, as text and as DESIGN.md's JSON.</summary>
public class TraceCommandTests
{
    private const string FrontendSyn =
        "tcp,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,nw_src=10.222.1.48,nw_dst=10.104.65.133,tp_src=56670,tp_dst=80,tcp_flags=syn";

    [Fact]
    public void Phase1_bridge_only_walks_tables_0_10_30_31_40_105_110_and_leaves_on_antrea_gw0()
    {
        var (code, json, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "frontend-a3ba2f", "--bridge-only", "--json", FrontendSyn);
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        var tables = doc.RootElement.GetProperty("steps").EnumerateArray()
            .Where(s => s.GetProperty("kind").GetString() == "openflow")
            .Select(s => s.GetProperty("table").GetInt32()).ToArray();
        Assert.Equal([0, 10, 30, 31, 40, 105, 110], tables);
        Assert.All(doc.RootElement.GetProperty("steps").EnumerateArray(), s => Assert.Equal("worker1", s.GetProperty("node").GetString()));
        var outputs = doc.RootElement.GetProperty("verdict").GetProperty("outputs").EnumerateArray().ToArray();
        var output = Assert.Single(outputs);
        Assert.Equal("antrea-gw0", output.GetProperty("port").GetString());
        Assert.Equal(2, output.GetProperty("ofport").GetInt32());
        Assert.Matches("^[0-9a-f]+$", output.GetProperty("frame").GetString());
        Assert.Empty(doc.RootElement.GetProperty("verdict").GetProperty("drops").EnumerateArray());
    }

    [Fact]
    public void An_ipv6_flow_text_walks_the_tables_as_the_same_packet_from_a_pcap_does()
    {
        var (code, json, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "frontend-a3ba2f", "--bridge-only", "--json",
            "tcp6,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,ipv6_src=fd00:10:222:1::30,ipv6_dst=fd00:10:96::177,tp_src=56670,tp_dst=80,tcp_flags=syn");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        var tables = doc.RootElement.GetProperty("steps").EnumerateArray()
            .Where(s => s.GetProperty("kind").GetString() == "openflow")
            .Select(s => s.GetProperty("table").GetInt32()).ToArray();
        Assert.True(tables.Length >= 2, $"the IPv6 packet stopped before the tables: {json}");
        Assert.DoesNotContain("malformed", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_flow_text_error_points_at_the_users_column_not_past_the_in_port_we_add()
    {
        const string flow = "tcp,nw_src=10.222.1.48,nw_dst=10.104.65.133,tp_dst=8x0";
        var (code, _, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "frontend-a3ba2f", flow);
        Assert.Equal(1, code);
        Assert.Contains($"FLOW:1:{flow.IndexOf("8x0", StringComparison.Ordinal) + 1}: tp_dst", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_trace_reads_like_ofproto_trace()
    {
        var (code, text, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "49", "--bridge-only", FrontendSyn);
        Assert.True(code == 0, err);
        Assert.Contains("bridge(\"br-int\")", text, StringComparison.Ordinal);
        Assert.Contains("ct(table=31,zone=65520)", text, StringComparison.Ordinal);
        Assert.Contains("load:0x2->NXM_NX_REG1[]", text, StringComparison.Ordinal);
        Assert.Contains("antrea-gw0", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_spoofed_source_is_dropped_in_table_10()
    {
        var (code, json, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "frontend-a3ba2f", "--bridge-only", "--json",
            "tcp,dl_src=be:2c:bf:e4:ec:c5,nw_src=10.222.1.99,nw_dst=10.104.65.133,tp_dst=80");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        var drop = Assert.Single(doc.RootElement.GetProperty("verdict").GetProperty("drops").EnumerateArray());
        Assert.Equal(10, drop.GetProperty("table").GetInt32());
        Assert.Equal("worker1", drop.GetProperty("node").GetString());
        Assert.Empty(doc.RootElement.GetProperty("verdict").GetProperty("outputs").EnumerateArray());
    }

    [Fact]
    public void Phase2_follows_the_tunnel_to_backend2_on_worker2()
    {
        var (code, json, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "antrea-gw0", "--json",
            "tcp,dl_src=4e:99:08:c1:53:be,dl_dst=aa:bb:cc:dd:ee:ff,nw_src=10.222.1.48,nw_dst=10.222.2.34,nw_ttl=63,tp_src=56670,tp_dst=80,tcp_flags=syn");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        var outputs = doc.RootElement.GetProperty("verdict").GetProperty("outputs").EnumerateArray()
            .Select(o => (o.GetProperty("node").GetString(), o.GetProperty("port").GetString())).ToArray();
        Assert.Contains(("worker2", "backend2-202ff6"), outputs);
        var worker2Tables = doc.RootElement.GetProperty("steps").EnumerateArray()
            .Where(s => s.GetProperty("kind").GetString() == "openflow" && s.GetProperty("node").GetString() == "worker2")
            .Select(s => s.GetProperty("table").GetInt32()).ToArray();
        Assert.Equal([0, 30, 31, 40, 50, 60, 70, 80, 90, 105, 110], worker2Tables);
    }

    [Fact]
    public void An_unknown_port_is_an_input_error_that_lists_the_ports()
    {
        var (code, _, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "nosuchport", FrontendSyn);
        Assert.Equal(1, code);
        Assert.Contains("no port 'nosuchport'", err, StringComparison.Ordinal);
        Assert.Contains("49(frontend-a3ba2f)", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_flow_names_the_column_and_the_field()
    {
        var (code, _, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "49", "tcp,w_dst=10.96.0.1");
        Assert.Equal(1, code);
        Assert.Contains("w_dst", err, StringComparison.Ordinal);
        Assert.StartsWith("error: FLOW:1:", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_node_is_an_input_error()
    {
        var (code, _, err) = CliRunner.Run("trace", "--node", "worker9", "--in-port", "49", FrontendSyn);
        Assert.Equal(1, code);
        Assert.Contains("worker1", err, StringComparison.Ordinal);
        Assert.Contains("worker2", err, StringComparison.Ordinal);
    }
}
