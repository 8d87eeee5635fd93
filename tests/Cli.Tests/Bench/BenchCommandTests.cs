namespace Datapath.Cli.Tests.Bench;

/// <summary>`datapath bench`'s command line: OVS's lines on stdout, mistakes in one line and exit 1.</summary>
public sealed class BenchCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Classifier_prints_both_runs()
    {
        var (code, output, err) = Run("bench", "classifier", "--ovstest", "--no-warmup", "10", "1", "1", "1", "1000");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Contains("\nWithout wildcards: \n\nhits: ", output, StringComparison.Ordinal);
        Assert.Contains("\nWith wildcards: \n\nhits: ", output, StringComparison.Ordinal);
        Assert.Equal(2, OvsTestRecording.HitsAndMisses(output).Count);
    }

    [Fact]
    public void Conntrack_prints_OVS_s_line()
    {
        var (code, output, _) = Run("bench", "conntrack", "--ovstest", "1", "1000", "32", "1");
        Assert.Equal(0, code);
        Assert.Matches(@"^conntrack:  +\d+ ms\n$", output);
    }

    [Theory]
    [InlineData("bench classifier --ovstest 10 0 1 1 1000", "error: bench classifier: N_PRIORITIES: '0' is not a number of priorities")]
    [InlineData("bench classifier --ovstest 10 1 1 1 many", "error: datapath bench classifier: N_LOOKUPS: 'many' is not a whole number")]
    [InlineData("bench classifier 10 1 1 1 1000", "error: bench classifier: --ovstest is required")]
    [InlineData("bench classifier --ovstest 10 1 1", "error: datapath bench classifier: missing N_THREADS")]
    [InlineData("bench conntrack --ovstest 1 1000 64", "error: bench conntrack: BATCH: batch_size must be between 1 and NETDEV_MAX_BURST(32)")]
    [InlineData("bench conntrack --ovstest 0 1000 32", "error: bench conntrack: N_THREADS: n_threads must be at least one")]
    [InlineData("bench conntrack --ovstest 1 x 32", "error: datapath bench conntrack: N_PACKETS: 'x' is not a whole number")]
    [InlineData("bench conntrack 1 1000 32", "error: bench conntrack: --ovstest is required")]
    [InlineData("bench classifier --ovstest 10 1 1 1 1000 7", "error: datapath bench classifier: unexpected argument '7'")]
    [InlineData("bench classifier --ovstest 10 1 1 1 99999999999", "error: datapath bench classifier: N_LOOKUPS: '99999999999' is not a whole number (at most 2147483647)")]
    public void Mistakes_are_one_error_line_and_exit_1(string args, string firstLine)
    {
        var (code, output, err) = Run(args.Split(' '));
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.StartsWith(firstLine, err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }
}
