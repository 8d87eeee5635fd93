using System.Text.Json;
using Datapath.Cli.Commands;

namespace Datapath.EndToEnd.Tests.Lab;

/// <summary>
/// `datapath run` with a node that binds no live port (so no root is needed) and `datapath ctl`
/// against it: every control command on the live state, errors that leave the daemon up, and a
/// clean stop that removes the socket file.
/// </summary>
public sealed class ControlSocketTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dpt-ctl-").FullName;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _daemon;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();
    private int _exit = -1;

    public ControlSocketTests()
    {
        Lab = Path.Combine(_dir, "lab.yaml");
        Socket = Path.Combine(_dir, "worker1.sock");
        File.WriteAllText(Lab, "scenario: embedded\nnodes:\n  worker1:\n    control: worker1.sock\n");
        _daemon = new Thread(() => _exit = RunCommand.Run(Lab, null, _out, _err, _stop)) { IsBackground = true };
        _daemon.Start();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(Socket) && DateTime.UtcNow < deadline && _daemon.IsAlive)
            Thread.Sleep(50);
        Assert.True(File.Exists(Socket), $"the daemon did not create {Socket}: {_err}");
    }

    private string Lab { get; }

    private string Socket { get; }

    private (int Code, string Out, string Err) Ctl(params string[] args) => Cli.CliRunner.Run(["ctl", Socket, .. args]);

    [Fact]
    public void APingFromTheHostToAnUnboundPodGetsNoReply()
    {
        // The host stack sends from 10.222.1.1; without lab up's local probe rule table 100 drops it (and no live port serves backend1 here).
        var (code, output, err) = Ctl("ping", "-c", "2", "-i", "0", "-W", "0.2", "10.222.1.47");
        Assert.Equal(1, code);
        Assert.Contains("PING 10.222.1.47 from 10.222.1.1", output + err, StringComparison.Ordinal);
        Assert.Contains("2 packets transmitted, 0 received, 100% packet loss", output + err, StringComparison.Ordinal);
    }

    [Fact]
    public void TheControlSocketIsOwnerOnly()
    {
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Socket));
    }

    [Fact]
    public void DumpFlowsListsTheLiveRules()
    {
        var (code, output, _) = Ctl("dump-flows", "table=90");
        Assert.Equal(0, code);
        Assert.Contains("table=90, n_packets=0, n_bytes=0", output, StringComparison.Ordinal);
        Assert.Contains("conj_id=", output, StringComparison.Ordinal);
        Assert.DoesNotContain("table=80", output, StringComparison.Ordinal);
        Assert.DoesNotContain("n_packets", Ctl("dump-flows", "--no-stats", "table=90").Out, StringComparison.Ordinal);
        Assert.All(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith(" cookie=", l, StringComparison.Ordinal));
    }

    /// <summary>Groups on the live node: add-group, dump-groups as ovs-ofctl prints them, mod-group, del-groups taking its flow along.</summary>
    [Fact]
    public void GroupModsChangeTheLiveGroupsAndDelGroupsTakesTheirFlows()
    {
        Assert.Equal(0, Ctl("add-group", "group_id=9,type=select,bucket=output:2,bucket=output:3").Code);
        Assert.Equal(" group_id=9,type=select,bucket=bucket_id:0,actions=output:\"antrea-gw0\",bucket=bucket_id:1,actions=output:\"coredns--3e3abf\"\n",
            Ctl("dump-groups", "group_id=9").Out);
        Assert.Equal(1, Ctl("add-group", "group_id=9,type=all,bucket=output:2").Code); // OFPGMFC_GROUP_EXISTS
        Assert.Equal(0, Ctl("mod-group", "group_id=9,type=all,bucket=output:2").Code);
        Assert.Contains("group_id=9,type=all,", Ctl("dump-groups").Out, StringComparison.Ordinal);
        Assert.Equal(0, Ctl("add-flow", "table=200,priority=9,ip,nw_dst=192.0.2.99,actions=group:9").Code);
        Assert.Equal("deleted 1 group(s)\n", Ctl("del-groups", "group_id=9").Out);
        Assert.Equal("", Ctl("dump-groups", "group_id=9").Out);
        Assert.Equal("", Ctl("dump-flows", "table=200,ip,nw_dst=192.0.2.99").Out);
    }

    /// <summary>The live daemon's dump-flows ages rules on the wall clock: loaded at start, or when ctl add-flow ran.</summary>
    [Fact]
    public void DumpFlowsAgesRulesOnTheWallClock()
    {
        Thread.Sleep(1100);
        Assert.Equal(0, Ctl("add-flow", "table=200,priority=7,ip,nw_dst=192.0.2.9,actions=drop").Code);
        string loaded = Ctl("dump-flows", "table=90").Out.Split('\n')[0];
        string added = Ctl("dump-flows", "table=200,ip,nw_dst=192.0.2.9").Out;
        var age = new System.Text.RegularExpressions.Regex(@"duration=(\d+)\.(\d{3})s, .* idle_age=(\d+),");
        var l = age.Match(loaded);
        var a = age.Match(added);
        Assert.True(l.Success && a.Success, loaded + added);
        Assert.True(int.Parse(l.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1, loaded); // up for more than a second
        Assert.Equal("0", a.Groups[1].Value); // added just now
        Assert.True(int.Parse(l.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1, loaded);
    }

    /// <summary>The seed's bridges name their tables (Antrea v0.10's): dump-flows, mod-flows and del-flows take the names, as add-flow does.</summary>
    [Fact]
    public void FlowModsAndFiltersTakeTheTablesNames()
    {
        Assert.Equal(0, Ctl("add-flow", "table=EgressRule,priority=5,ip,nw_dst=192.0.2.7,actions=drop").Code);
        Assert.Contains("nw_dst=192.0.2.7 actions=drop", Ctl("dump-flows", "table=EgressRule,ip,nw_dst=192.0.2.7").Out, StringComparison.Ordinal);
        var mod = Ctl("mod-flows", "table=EgressRule,ip,nw_dst=192.0.2.7,actions=resubmit(,EgressDefaultRule)");
        Assert.Equal((0, "modified 1 flow(s)\n"), (mod.Code, mod.Out));
        Assert.Contains("nw_dst=192.0.2.7 actions=resubmit(,60)", Ctl("dump-flows", "table=50").Out, StringComparison.Ordinal);
        var del = Ctl("del-flows", "table=EgressRule,ip,nw_dst=192.0.2.7");
        Assert.Equal((0, "deleted 1 flow(s)\n"), (del.Code, del.Out));
        var typo = Ctl("del-flows", "table=EgresRule");
        Assert.NotEqual(0, typo.Code);
        Assert.Contains("EgressRule", typo.Out + typo.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void AddModAndDelFlowsChangeTheLiveTables()
    {
        Assert.Equal(0, Ctl("add-flow", "table=200,priority=5,ip,nw_dst=192.0.2.1,actions=drop").Code);
        Assert.Contains("nw_dst=192.0.2.1 actions=drop", Ctl("dump-flows", "table=200").Out, StringComparison.Ordinal);
        var mod = Ctl("mod-flows", "table=200,ip,nw_dst=192.0.2.1,actions=resubmit(,201)");
        Assert.Equal((0, "modified 1 flow(s)\n"), (mod.Code, mod.Out));
        Assert.Contains("nw_dst=192.0.2.1 actions=resubmit(,201)", Ctl("dump-flows", "table=200").Out, StringComparison.Ordinal);
        var del = Ctl("del-flows", "table=200");
        Assert.Equal((0, "deleted 1 flow(s)\n"), (del.Code, del.Out));
        Assert.Equal("", Ctl("dump-flows", "table=200").Out);
    }

    [Fact]
    public void TheHostsIptablesAndConntrackAnswerAsTheToolsDo()
    {
        var (code, output, err) = Ctl("iptables", "-t", "nat", "-L", "KUBE-MARK-MASQ", "-n", "-v");
        Assert.True(code == 0, err);
        Assert.Equal("Chain KUBE-MARK-MASQ (19 references)\n pkts bytes target     prot opt in     out     source               destination         \n"
            + "    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK or 0x4000\n", output);
        var save = Ctl("iptables-save", "-t", "filter");
        Assert.StartsWith("*filter\n:INPUT ACCEPT [0:0]\n", save.Out, StringComparison.Ordinal);
        var missing = Ctl("iptables", "-L", "NOPE");
        Assert.Equal(1, missing.Code);
        Assert.Equal("iptables: No chain/target/match by that name.\n", missing.Err);
        var ct = Ctl("conntrack", "-L");
        Assert.True(ct.Code == 0, ct.Err);
        Assert.Equal("", ct.Out);
        Assert.Equal(1, Ctl("conntrack", "-F").Code);
    }

    [Fact]
    public void TraceRendersTheWalkOnTheLiveState()
    {
        var (code, output, err) = Ctl("trace", "in_port=frontend-a3ba2f,tcp,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,nw_src=10.222.1.48,nw_dst=10.104.65.133,tp_dst=80,tcp_flags=syn");
        Assert.True(code == 0, err);
        Assert.Contains("antrea-gw0", output, StringComparison.Ordinal);
        var json = Ctl("trace", "--json", "in_port=frontend-a3ba2f,tcp,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,nw_src=10.222.1.48,nw_dst=10.104.65.133,tp_dst=80,tcp_flags=syn");
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal("antrea-gw0", doc.RootElement.GetProperty("verdict").GetProperty("outputs")[0].GetProperty("port").GetString());
        // Like ofproto/trace, the traced packet commits nothing to the live conntrack.
        Assert.Equal("", Ctl("dump-conntrack").Out);
    }

    [Theory]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    [InlineData(new[] { "add-flow", "table=0,nw_dts=1.2.3.4,actions=drop" }, "FLOW:1:")]
    [InlineData(new[] { "add-flow" }, "add-flow needs a FLOW")]
    [InlineData(new[] { "del-flows", "--strict" }, "needs a FLOW with its priority")]
    [InlineData(new[] { "mod-flows", "table=0,actions=output:nope" }, "FLOW:1:")]
    [InlineData(new[] { "dump-conntrack", "zone=70000" }, "expected [zone=N]")]
    [InlineData(new[] { "trace", "in_port=nope,tcp" }, "FLOW:1:")]
    [InlineData(new[] { "stats", "extra" }, "stats takes only [--json]")]
    [InlineData(new[] { "ping" }, "ping needs an IPv4 address")]
    [InlineData(new[] { "ping", "-c", "0", "10.222.1.47" }, "-c 0 is out of range")]
    [InlineData(new[] { "ping", "-W" }, "-W needs a number")]
    public void ABadCommandGetsAnErrorAndTheDaemonStaysUp(string[] command, string message)
    {
        var (code, _, err) = Ctl(command);
        Assert.Equal(1, code);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.Equal(0, Ctl("stats").Code);
    }

    [Fact]
    public void StatsReportsTheNode()
    {
        var (code, output, _) = Ctl("stats", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("worker1", doc.RootElement.GetProperty("node").GetString());
        Assert.Equal("10.79.1.201", doc.RootElement.GetProperty("node_ip").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("ports").GetArrayLength());
        Assert.Contains("  port  \"antrea-gw0\": rx pkts=0, bytes=0, drop=0, errs=?, frame=?, over=?, crc=?\n           tx pkts=0, bytes=0, drop=0, errs=?, coll=?\n",
            Ctl("dump-ports").Out, StringComparison.Ordinal);
        Assert.Equal("flushed 0 connection(s)\n", Ctl("flush-conntrack", "zone=65520").Out);
    }

    [Fact]
    public void StoppingRemovesTheSocketAndExitsZero()
    {
        _stop.Set();
        Assert.True(_daemon.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, _exit);
        Assert.False(File.Exists(Socket));
    }

    public void Dispose()
    {
        _stop.Set();
        _daemon.Join(TimeSpan.FromSeconds(30));
        Directory.Delete(_dir, recursive: true);
    }
}
