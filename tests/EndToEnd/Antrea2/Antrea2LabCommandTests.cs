using System.Text.Json;

using Datapath.EndToEnd.Tests.Cli;

namespace Datapath.EndToEnd.Tests.Antrea2;

/// <summary>
/// The Antrea 2.x lab from the command line: `demo --lab antrea-2` ends each phase where Antrea 2.x's pipeline sends it,
/// `trace`, `replay`, `dump-flows`, `dump-groups` and `dump-meters` take `--lab antrea-2`, and a user's typo gets the lab's name.
/// </summary>
public sealed class Antrea2LabCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("a2cli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] Where(JsonElement verdict, string kind, Func<JsonElement, string> f)
        => [.. verdict.GetProperty(kind).EnumerateArray().Select(f)];

    [Fact]
    public void Demo_verdicts_are_the_pipelines_services_nodeport_and_policies()
    {
        var (code, json, err) = CliRunner.Run("demo", "--lab", "antrea-2", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        var verdicts = doc.RootElement.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("trace").GetProperty("verdict")).ToArray();
        string[] Out(int i) => Where(verdicts[i], "outputs", o => $"{o.GetProperty("node").GetString()}/{o.GetProperty("port").GetString()}");
        string[] Drops(int i) => Where(verdicts[i], "drops", d => $"{d.GetProperty("node").GetString()}/{d.GetProperty("table").GetInt32()}/{d.GetProperty("reason").GetString()}");
        Assert.Equal(["worker1/backend1-bab86f"], Out(0));           // backendsvc: the select group's bucket for this 5-tuple
        Assert.Equal(["worker1/frontend-a3ba2f"], Out(1));           // backend1's SYN-ACK, un-DNATed
        Assert.Equal(["worker2/backend2-202ff6"], Out(2));           // the affinity Service, across the tunnel
        Assert.Equal(["worker1/frontend-a3ba2f"], Out(3));           // worker2's curl to its NodePort, across the tunnel
        Assert.Equal(["worker1/15/drop-action"], Drops(4));          // EgressDefaultRule: backendpolicy isolates egress
        Assert.Equal(["worker1/ens160"], Out(5));                    // UDP 53 allowed, out through the host
        Assert.Equal(["worker1/4/drop-action"], Drops(6));           // SpoofGuard
        var learned = CliRunner.Run("dump-flows", "--lab", "antrea-2", "--node", "worker1", "--names", "--no-stats", "table=SessionAffinity");
        Assert.True(learned.Code == 0, learned.Err);
        Assert.Contains("table=SessionAffinity, priority=0 actions=set_field:0x10000/0x70000->reg4", learned.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Trace_by_name_walks_antrea_2s_tables_to_the_select_group_and_across_the_tunnel()
    {
        var (code, json, err) = CliRunner.Run("trace", "--lab", "antrea-2", "--node", "worker1", "--in-port", "frontend-a3ba2f", "--json",
            "tcp,dl_src=be:2c:bf:e4:ec:c5,nw_src=10.222.1.48,nw_dst=10.104.65.140,tp_src=40000,tp_dst=80,tcp_flags=syn");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        var rules = doc.RootElement.GetProperty("steps").EnumerateArray().Where(s => s.GetProperty("kind").GetString() == "openflow" && s.GetProperty("rule").ValueKind == JsonValueKind.String)
            .Select(s => s.GetProperty("rule").GetString()!).ToArray();
        Assert.Contains(rules, r => r.Contains("learn(table=10,hard_timeout=10800", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Contains("nat(dst=10.222.2.34:80)", StringComparison.Ordinal) || r.Contains("nat(dst=10.222.1.47:80)", StringComparison.Ordinal));
        Assert.NotEmpty(doc.RootElement.GetProperty("verdict").GetProperty("outputs").EnumerateArray());
    }

    [Fact]
    public void Dump_groups_and_meters_print_as_ovs_ofctl_with_table_names()
    {
        var groups = CliRunner.Run("dump-groups", "--lab", "antrea-2", "--node", "worker2", "--names");
        Assert.True(groups.Code == 0, groups.Err);
        Assert.Contains(" group_id=2,type=select,bucket=bucket_id:0,weight:100,actions=set_field:0x4000000/0x4000000->reg4,set_field:0xade012f->reg3,set_field:0x50/0xffff->reg4,resubmit(,ServiceLB),",
            groups.Out, StringComparison.Ordinal);
        var meters = CliRunner.Run("dump-meters", "--lab", "antrea-2", "--node", "worker1");
        Assert.True(meters.Code == 0, meters.Err);
        Assert.Contains("meter=256 pktps burst bands=\ntype=drop rate=5000 burst_size=10000", meters.Out.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void The_demos_capture_replays_through_the_lab_to_the_same_ports()
    {
        var (code, _, err) = CliRunner.Run("demo", "--lab", "antrea-2", "--no-frames", "--out", _dir);
        Assert.True(code == 0, err);
        (code, string json, err) = CliRunner.Run("replay", "--lab", "antrea-2", "--cluster", Path.Combine(_dir, "phases.pcapng"), "--out", Path.Combine(_dir, "out"), "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        var outputs = doc.RootElement.GetProperty("outputs");
        Assert.True(outputs.TryGetProperty("worker2/backend2-202ff6", out _), json);   // the affinity Service's SYN across the tunnel
        Assert.True(outputs.TryGetProperty("worker1/backend1-bab86f", out _), json);   // backendsvc's SYN
        Assert.Equal(2, doc.RootElement.GetProperty("drops").GetProperty("drop-action").GetInt32()); // EgressDefaultRule and SpoofGuard
    }

    [Fact]
    public void A_misspelt_lab_is_refused_with_the_labs_names()
    {
        var (code, _, err) = CliRunner.Run("demo", "--lab", "antrea2");
        Assert.Equal(1, code);
        Assert.Contains("no such embedded lab (labs: seed, calico, antrea-2); did you mean 'antrea-2'?", err, StringComparison.Ordinal);
    }
}
