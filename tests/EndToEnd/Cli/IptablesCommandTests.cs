namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// `datapath iptables`, `datapath iptables-save` and replay's `--dump-iptables` / `--dump-host-conntrack`: the
/// seed as loaded (counters zero, the kernel's listing — judged byte for byte in Netfilter.Tests'
/// IptablesListingKernelTests), iptables' own error words, and the counters a replay of samples/seed-curl.pcapng
/// moves: the one SYN that worker1's host NATs is counted on KUBE-SERVICES' rule for backendsvc, the
/// KUBE-SVC rule that picked backend2 and KUBE-SEP-R5BOSGFC7D2XSIZA's DNAT; the connection is listed as
/// conntrack -L lists it.
/// </summary>
public sealed class IptablesCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-ipt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Sample => Path.Combine(CliRunner.RepoRoot, "samples", "seed-curl.pcapng");

    [Fact]
    public void Lists_the_seed_nat_chain_as_iptables_does()
    {
        var (code, output, err) = CliRunner.Run("iptables", "--node", "worker1", "-t", "nat", "-L", "KUBE-SVC-EKL7ZEFK3VFJKKGJ", "-n", "-v", "--line-numbers");
        Assert.True(code == 0, err);
        Assert.Equal(
            "Chain KUBE-SVC-EKL7ZEFK3VFJKKGJ (1 references)\n"
            + "num   pkts bytes target     prot opt in     out     source               destination         \n"
            + "1        0     0 KUBE-SEP-6PRWOLZVS5LKSHLK  0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/backendsvc: */ statistic mode random probability 0.50000000000\n"
            + "2        0     0 KUBE-SEP-R5BOSGFC7D2XSIZA  0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/backendsvc: */\n",
            output);
    }

    [Fact]
    public void Rules_and_save_forms()
    {
        var (code, output, err) = CliRunner.Run("iptables", "--node", "worker2", "-S", "KUBE-FORWARD");
        Assert.True(code == 0, err);
        Assert.Equal("-N KUBE-FORWARD\n-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP\n"
            + "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT\n"
            + "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n", output);
        (code, output, err) = CliRunner.Run("iptables-save", "--node", "worker1", "-c");
        Assert.True(code == 0, err);
        Assert.StartsWith("*filter\n:INPUT ACCEPT [0:0]\n", output, StringComparison.Ordinal);
        Assert.Contains("\n[0:0] -A KUBE-SERVICES -d 10.104.65.133/32 -p tcp -m comment --comment \"default/backendsvc: cluster IP\" -m tcp --dport 80 -j KUBE-SVC-EKL7ZEFK3VFJKKGJ\n", output, StringComparison.Ordinal);
        Assert.EndsWith("COMMIT\n", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-t nat -L NOPE", "iptables: No chain/target/match by that name.\n")]
    [InlineData("-t foo -L", "iptables v1.8.9 (nf_tables): table 'foo' does not exist\nPerhaps iptables or your kernel needs to be upgraded.\n")]
    [InlineData("-n", "iptables v1.8.9 (nf_tables): no command specified\nTry `iptables -h' or 'iptables --help' for more information.\n")]
    [InlineData("-L --bogus", "iptables v1.8.9 (nf_tables): unknown option \"--bogus\"\nTry `iptables -h' or 'iptables --help' for more information.\n")]
    public void Mistakes_are_told_in_iptables_words(string words, string expected)
    {
        var (code, output, err) = CliRunner.Run(["iptables", "--node", "worker1", .. words.Split(' ')]);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal(expected, err);
    }

    [Fact]
    public void A_replay_moves_the_counters_of_the_rules_the_SYN_took_and_leaves_its_connection_in_the_host_table()
    {
        var (code, output, err) = CliRunner.Run("replay", "--cluster", Sample, "--out", Path.Combine(_dir, "out"), "--dump-iptables", "--dump-host-conntrack");
        Assert.True(code == 0, err);
        string nat = Section(output, "worker1: iptables -t nat -L -n -v --line-numbers");
        Assert.Contains("Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)\n", nat, StringComparison.Ordinal);
        Assert.Contains("\n1        1    40 KUBE-SERVICES  0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* kubernetes service portals */\n", nat, StringComparison.Ordinal);
        Assert.Contains("\n10       1    40 KUBE-SVC-EKL7ZEFK3VFJKKGJ  6    --  *      *       0.0.0.0/0            10.104.65.133        /* default/backendsvc: cluster IP */ tcp dpt:80\n", nat, StringComparison.Ordinal);
        // seed 1 picks backend2 (rule 2 of the service chain): the SYN falls through the 0.5 draw.
        Assert.Contains("\n2        1    40 KUBE-SEP-R5BOSGFC7D2XSIZA  0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/backendsvc: */\n", nat, StringComparison.Ordinal);
        Assert.Contains("\n2        1    40 DNAT       6    --  *      *       0.0.0.0/0            0.0.0.0/0            /* default/backendsvc: */ tcp to:10.222.2.34:80\n", nat, StringComparison.Ordinal);
        Assert.Contains("Chain POSTROUTING (policy ACCEPT 1 packets, 40 bytes)\n", nat, StringComparison.Ordinal);
        // Every frame of the connection passes the filter table's FORWARD (the NAT table sees only the first).
        string filter = Section(output, "worker1: iptables -t filter -L -n -v --line-numbers");
        Assert.Contains("\n1       10   560 KUBE-FORWARD  0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* kubernetes forwarding rules */\n", filter, StringComparison.Ordinal);
        Assert.Contains("worker1: tcp      6 120 TIME_WAIT src=10.222.1.48 dst=10.104.65.133 sport=56670 dport=80 src=10.222.2.34 dst=10.222.1.48 sport=80 dport=56670 [ASSURED] mark=0 use=1\n", output, StringComparison.Ordinal);
        Assert.Contains("worker1: conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.", err, StringComparison.Ordinal);
    }

    private static string Section(string output, string header)
    {
        int at = output.IndexOf(header + "\n", StringComparison.Ordinal);
        Assert.True(at >= 0, $"no '{header}' in:\n{output}");
        int next = output.IndexOf(": iptables -t ", at + header.Length, StringComparison.Ordinal);
        return next < 0 ? output[at..] : output[at..next];
    }
}
