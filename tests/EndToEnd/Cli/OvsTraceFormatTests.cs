using System.Text.RegularExpressions;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// `datapath trace --format ovs --bridge-only` against what `ovs-appctl ofproto/trace` of Open vSwitch 3.1 printed
/// for the same bridge and flow (tests/Data/ovs-3.1/trace-*.txt): the line diff is exactly the one docs/trace.md
/// lists and explains, so any other difference fails. Plus --ct-next, and the default format's Final flow lines.
/// </summary>
public sealed partial class OvsTraceFormatTests
{
    private const string FrontendSyn =
        "tcp,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,nw_src=10.222.1.48,nw_dst=10.104.65.133,tp_src=56670,tp_dst=80,tcp_flags=syn";

    [Theory]
    [InlineData("trace-worker1-phase1.txt", "worker1")]
    [InlineData("trace-worker1-phase2.txt", "worker1")]
    [InlineData("trace-worker2-phase2.txt", "worker2")]
    public void The_ovs_format_is_ofproto_trace_but_for_the_documented_lines(string file, string node)
    {
        string[] stored = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", "ovs-3.1", file));
        string flow = stored[0]["# ovs-appctl ofproto/trace br-int ".Length..];
        var args = new List<string> { "trace", "--node", node, "--in-port", InPort().Match(flow).Groups[1].Value, "--bridge-only", "--format", "ovs", flow };
        // OVS's recirc_ids count over the daemon's life: this trace ran after others had used 0x1-0x4 (docs/trace.md).
        if (file == "trace-worker1-phase2.txt")
            args.InsertRange(1, ["--first-recirc-id", "5"]);
        var (code, text, err) = CliRunner.Run([.. args]);
        Assert.True(code == 0, err);

        var diff = LineDiff(stored[1..], text.TrimEnd('\n').Split('\n'));
        Assert.Equal(DocumentedDiff(file), diff);
    }

    [Fact]
    public void Ct_next_resumes_the_first_recirculation_established_and_the_walk_takes_the_established_path()
    {
        string text = TraceFrontendSyn("--bridge-only", "--format", "ovs", "--ct-next", "trk,est");
        Assert.Contains("recirc(0x1) - resume conntrack with ct_state=est|trk\n", text, StringComparison.Ordinal);
        Assert.Contains("Flow: recirc_id=0x1,ct_state=est|trk,ct_zone=65520,eth,tcp,", text, StringComparison.Ordinal);
        // Established: ConntrackCommit (105) does not commit again, so there is no second recirculation.
        Assert.Contains("105. priority 0, cookie 0x1000000000000\n    resubmit(,110)\n110. ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("recirc(0x2)", text, StringComparison.Ordinal);
        Assert.EndsWith("Datapath actions: 2\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Ct_next_is_one_state_per_recirculation_in_order_then_conntracks_own()
    {
        string text = TraceFrontendSyn("--bridge-only", "--format", "ovs", "--ct-next", "trk,new", "--ct-next", "rpl,trk,est");
        Assert.Contains("recirc(0x1) - resume conntrack with ct_state=new|trk\n", text, StringComparison.Ordinal);
        Assert.Contains("recirc(0x2) - resume conntrack with ct_state=est|rpl|trk\n", text, StringComparison.Ordinal);

        text = TraceFrontendSyn("--bridge-only", "--ct-next", "trk,est");
        Assert.Contains("recirc(0x1): resume at table 31 with ct_state=est|trk,ct_zone=65520 (--ct-next)", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("trk,bogus", "--ct-next 'trk,bogus': bogus: unknown connection tracking state flag")]
    [InlineData("est", "--ct-next 'est': est: invalid connection state: If \"trk\" is unset, no other flags are set")]
    [InlineData("trk,new,est", "--ct-next 'trk,new,est': new|est|trk: invalid connection state: \"new\" and \"est\" are mutually exclusive")]
    [InlineData("", "--ct-next '': no connection tracking state flag given")]
    public void A_bad_ct_next_is_an_input_error_naming_the_state(string state, string message)
    {
        var (code, text, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "49", "--ct-next", state, FrontendSyn);
        Assert.Equal(1, code);
        Assert.Equal("", text);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--first-recirc-id", "0", "--first-recirc-id '0': a recirc_id from 1")]
    [InlineData("--first-recirc-id", "0xzz", "--first-recirc-id '0xzz': a recirc_id from 1")]
    [InlineData("--format", "ofproto", "ofproto")]
    public void Bad_format_options_are_input_errors(string option, string value, string message)
    {
        var (code, _, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "49", option, value, FrontendSyn);
        Assert.Equal(1, code);
        Assert.Contains(message, err, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_and_the_ovs_format_do_not_go_together()
    {
        var (code, _, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "49", "--json", "--format", "ovs", FrontendSyn);
        Assert.Equal(1, code);
        Assert.Contains("--json and --format ovs", err, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_format_has_a_final_flow_per_pass_and_the_flow_after_each_recirculation()
    {
        string text = TraceFrontendSyn("--bridge-only");
        var lines = text.Split('\n');
        var finals = lines.Where(l => l.StartsWith("Final flow: ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, finals.Length);
        Assert.Equal(3, lines.Count(l => l.StartsWith("Megaflow: ", StringComparison.Ordinal)));
        Assert.StartsWith("Final flow: tcp,reg0=0x2,in_port=\"frontend-a3ba2f\",", finals[0], StringComparison.Ordinal);
        Assert.Equal("Final flow: unchanged", finals[2]);
        // Each recirculation block starts with the flow it resumes with, names as the default trace prints them.
        Assert.Contains("===\n\nFlow: ct_state=new|trk,ct_zone=65520,tcp,reg0=0x2,in_port=\"frontend-a3ba2f\",", text, StringComparison.Ordinal);
        Assert.Contains("===\n\nFlow: ct_state=new|trk,ct_zone=65520,tcp,reg0=0x10002,reg1=0x2,", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Across_nodes_each_bridge_traversal_is_its_own_ofproto_trace()
    {
        var (code, text, err) = CliRunner.Run("trace", "--node", "worker1", "--in-port", "49", "--format", "ovs",
            "tcp,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,nw_src=10.222.1.48,nw_dst=10.222.2.34,tp_src=56670,tp_dst=80,tcp_flags=syn");
        Assert.True(code == 0, err);
        // worker1 sends the GENEVE frame (OVS's native tunnel push), worker2 traces it from its tunnel port.
        Assert.Contains("     -> output to native tunnel\n", text, StringComparison.Ordinal);
        Assert.Contains("Datapath actions: tnl_push(tnl_port(1),header(size=50,type=5,eth(", text, StringComparison.Ordinal);
        Assert.Contains("ipv4(src=10.79.1.201,dst=10.79.1.202,proto=17,tos=0,ttl=64,frag=0x4000),udp(src=0,dst=6081,csum=0xffff),geneve(vni=0x0))", text, StringComparison.Ordinal);
        Assert.Contains("\n\n# node worker2\nFlow: tcp,tun_src=10.79.1.201,tun_dst=10.79.1.202,", text, StringComparison.Ordinal);
        Assert.EndsWith("Datapath actions: 3\n", text, StringComparison.Ordinal); // backend2-202ff6, datapath port 3
    }

    /// <summary>`datapath trace --node worker1 --in-port 49 ARGS FrontendSyn`, which must succeed; its stdout.</summary>
    private static string TraceFrontendSyn(params string[] args)
    {
        var (code, text, err) = CliRunner.Run(["trace", "--node", "worker1", "--in-port", "49", .. args, FrontendSyn]);
        Assert.True(code == 0, err);
        return text;
    }

    /// <summary>The lines only OVS printed ("- ") and only we print ("+ "), in order (a longest-common-subsequence diff).</summary>
    internal static List<string> LineDiff(string[] ovs, string[] ours)
    {
        int n = ovs.Length, m = ours.Length;
        var lcs = new int[n + 1, m + 1];
        for (int i = n - 1; i >= 0; i--)
        {
            for (int j = m - 1; j >= 0; j--)
                lcs[i, j] = ovs[i] == ours[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        }
        var diff = new List<string>();
        int a = 0, b = 0;
        while (a < n || b < m)
        {
            if (a < n && b < m && ovs[a] == ours[b])
            {
                a++;
                b++;
            }
            else if (b == m || (a < n && lcs[a + 1, b] >= lcs[a, b + 1]))
                diff.Add("- " + ovs[a++]);
            else
                diff.Add("+ " + ours[b++]);
        }
        return diff;
    }

    /// <summary>docs/trace.md's list for one stored trace: the "- "/"+ " lines of the fenced block after "#### FILE".</summary>
    private static List<string> DocumentedDiff(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(CliRunner.RepoRoot, "docs", "trace.md"));
        int at = Array.IndexOf(lines, "#### " + file);
        Assert.True(at >= 0, $"docs/trace.md has no '#### {file}' section");
        int open = Array.FindIndex(lines, at, l => l.StartsWith("```", StringComparison.Ordinal));
        int close = Array.FindIndex(lines, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        return [.. lines[(open + 1)..close].Where(l => l.StartsWith("- ", StringComparison.Ordinal) || l.StartsWith("+ ", StringComparison.Ordinal))];
    }

    [GeneratedRegex(@"in_port=(\d+)")]
    private static partial Regex InPort();
}
