namespace Datapath.Cli.Tests.Commands;

/// <summary>
/// <c>--names</c> / <c>--no-names</c> on the embedded seed lab, whose bridges carry Antrea v0.10's table
/// names. dump-flows follows ovs-ofctl(8): names are accepted unless <c>--no-names</c>, and shown with
/// <c>--names</c> or when the output is a terminal. trace shows port names by default (as it always
/// did), adds table names with <c>--names</c> and shows numbers only with <c>--no-names</c>.
/// </summary>
public sealed class NamesOptionTests
{
    private const string FrontendSyn = "tcp,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,nw_src=10.222.1.48,nw_dst=10.104.65.133,tp_src=56670,tp_dst=80,tcp_flags=syn";

    private static (int Code, string Out, string Err) Run(params string[] args) => CommandLineMistakesTests.Run(args);

    [Fact]
    public void Dump_flows_names_tables_and_ports_with_names_and_numbers_them_with_no_names()
    {
        var named = Run("dump-flows", "--node", "worker1", "--no-stats", "--names", "table=0");
        Assert.True(named.Code == 0, named.Err);
        Assert.Contains("cookie=0x1000000000000, table=Classification, priority=200,in_port=\"antrea-gw0\" actions=load:0x1->NXM_NX_REG0[0..15],resubmit(,SpoofGuard)", named.Out, StringComparison.Ordinal);

        var numbered = Run("dump-flows", "--node", "worker1", "--no-stats", "--no-names", "table=0");
        Assert.True(numbered.Code == 0, numbered.Err);
        Assert.Contains("cookie=0x1000000000000, priority=200,in_port=2 actions=load:0x1->NXM_NX_REG0[0..15],resubmit(,10)", numbered.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("SpoofGuard", numbered.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_flows_shows_names_by_default_only_on_a_terminal()
    {
        var (code, text, err) = Run("dump-flows", "--node", "worker1", "--no-stats", "table=0");
        Assert.True(code == 0, err);
        Assert.Equal(!Console.IsOutputRedirected, text.Contains("resubmit(,SpoofGuard)", StringComparison.Ordinal));
        Assert.Equal(Console.IsOutputRedirected, text.Contains("resubmit(,10)", StringComparison.Ordinal));
    }

    [Fact]
    public void The_table_filter_takes_a_name_unless_no_names()
    {
        var (code, text, err) = Run("dump-flows", "--node", "worker1", "--no-stats", "--no-names", "table=SpoofGuard");
        Assert.Equal(1, code);
        Assert.Contains("unknown table \"SpoofGuard\"", err, StringComparison.Ordinal);
        Assert.Equal("", text);

        (code, text, err) = Run("dump-flows", "--node", "worker1", "--no-stats", "--names", "table=SpoofGuard");
        Assert.True(code == 0, err);
        Assert.All(text.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Contains(", table=SpoofGuard, ", l, StringComparison.Ordinal));
    }

    [Fact]
    public void A_misspelt_table_filter_is_a_bad_input_with_a_did_you_mean()
    {
        var (code, _, err) = Run("dump-flows", "--node", "worker1", "table=Spoofguard");
        Assert.Equal(1, code);
        Assert.StartsWith("error: 'table=Spoofguard' is not a table filter: unknown table \"Spoofguard\" (did you mean SpoofGuard?)", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dump-flows", "--node", "worker1")]
    [InlineData("trace", "--node", "worker1", "--in-port", "frontend-a3ba2f", FrontendSyn)]
    public void Names_and_no_names_together_are_refused(params string[] args)
    {
        var (code, _, err) = Run([.. args, "--names", "--no-names"]);
        Assert.Equal(1, code);
        Assert.Contains("--names and --no-names", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Trace_of_the_frontend_syn_shows_port_names_by_default_table_names_with_names_and_numbers_with_no_names()
    {
        string[] walk = ["trace", "--node", "worker1", "--in-port", "frontend-a3ba2f", "--bridge-only", FrontendSyn];
        var plain = Run(walk);
        Assert.True(plain.Code == 0, plain.Err);
        Assert.Contains(" 0. in_port=\"frontend-a3ba2f\", priority 190", plain.Out, StringComparison.Ordinal);
        Assert.Contains("    resubmit(,10)", plain.Out, StringComparison.Ordinal);

        var named = Run([.. walk, "--names"]);
        Assert.True(named.Code == 0, named.Err);
        Assert.Contains("    resubmit(,SpoofGuard)", named.Out, StringComparison.Ordinal);
        Assert.Contains("ct(table=ConntrackState,zone=65520)", named.Out, StringComparison.Ordinal);

        var numbered = Run([.. walk, "--no-names"]);
        Assert.True(numbered.Code == 0, numbered.Err);
        Assert.Contains(" 0. in_port=49, priority 190", numbered.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("frontend-a3ba2f\",", numbered.Out, StringComparison.Ordinal);
    }
}
