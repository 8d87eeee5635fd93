using Datapath.Cli.Bench;

namespace Datapath.Cli.Tests.Bench;

/// <summary>
/// `datapath bench classifier --ovstest` against what OVS 3.1's `ovstest test-classifier benchmark`
/// printed for the same arguments (tests/Data/ovs-3.1/ovstest/): the same hits and misses, with and
/// without wildcards, and the same lines. No timing is asserted.
/// </summary>
public sealed class OvsClassifierBenchmarkTests
{
    /// <summary>The recorded argument sets (N_RULES N_PRIORITIES N_SUBTABLES N_THREADS N_LOOKUPS).</summary>
    public static TheoryData<string> Recorded =>
    [
        "1000 10 20 1 1000000",
        "100 10 10 1 1000000",
        "10 1 1 1 100000",
        "5000 100 50 2 100000",
        "3 509 8192 1 100000",
    ];

    private static OvsClassifierBenchmark.Arguments Parse(string args)
    {
        int[] n = [.. args.Split(' ').Select(int.Parse)];
        return new(n[0], n[1], n[2], n[3], n[4]);
    }

    [Theory]
    [MemberData(nameof(Recorded))]
    public void Hits_and_misses_equal_OVS_with_and_without_wildcards(string args)
        => AssertSameCounts(OvsTestRecording.Read("test-classifier", args), args);

    /// <summary>Our runs of <paramref name="args"/> count what <paramref name="ovsOutput"/> says, without wildcards then with.</summary>
    private static void AssertSameCounts(string ovsOutput, string args)
    {
        var ovs = OvsTestRecording.HitsAndMisses(ovsOutput);
        Assert.Equal(2, ovs.Count);
        var a = Parse(args);
        var exact = OvsClassifierBenchmark.Run(a, useWildcards: false);
        var wildcarded = OvsClassifierBenchmark.Run(a, useWildcards: true);
        Assert.Equal(ovs[0], (exact.Hits, exact.Misses));
        Assert.Equal(ovs[1], (wildcarded.Hits, wildcarded.Misses));
    }

    [Fact]
    public void Prints_the_lines_OVS_prints()
    {
        const string args = "100 10 10 1 1000000";
        var output = new StringWriter();
        OvsClassifierBenchmark.Print(output, Parse(args), warmUp: false);
        Assert.Equal(OvsTestRecording.Shape(OvsTestRecording.Read("test-classifier", args)), OvsTestRecording.Shape(output.ToString()));
    }

    [Fact]
    public void The_warm_up_before_the_clock_changes_no_count()
    {
        var a = Parse("100 10 10 1 1000000");
        var cold = OvsClassifierBenchmark.Run(a, useWildcards: true);
        var warm = OvsClassifierBenchmark.Run(a, useWildcards: true, warmUp: true);
        Assert.Equal((cold.Hits, cold.Misses), (warm.Hits, warm.Misses));
    }

    [Fact]
    public void Every_rule_has_the_one_mask_OVS_3_1_make_rule_gives_it()
    {
        // make_rule ignores its wc_fields but for priority 0, so N_SUBTABLES patterns make one subtable.
        var r = OvsClassifierBenchmark.Run(new(1000, 10, 20, 1, 1), useWildcards: false);
        Assert.Equal(1, r.Subtables);
        Assert.True(r.Rules > 900, $"{r.Rules} rules of 1000 drawn");
    }

    [Theory]
    [InlineData(1, 0, 1, 1, 1, "N_PRIORITIES")]
    [InlineData(1, 510, 1, 1, 1, "N_PRIORITIES")]
    [InlineData(1, 1, 0, 1, 1, "N_SUBTABLES")]
    [InlineData(1, 1, 8193, 1, 1, "N_SUBTABLES")]
    [InlineData(1, 1, 1, 0, 1, "N_THREADS")]
    [InlineData(1, 1, 1, 1, 0, "N_LOOKUPS")]
    [InlineData(-1, 1, 1, 1, 1, "N_RULES")]
    public void Arguments_OVS_would_crash_or_hang_on_are_refused_by_name(int rules, int priorities, int subtables, int threads, int lookups, string named)
    {
        string? error = OvsClassifierBenchmark.Validate(new(rules, priorities, subtables, threads, lookups));
        Assert.NotNull(error);
        Assert.StartsWith(named + ":", error, StringComparison.Ordinal);
    }

    [OvsTestFact]
    public void The_real_ovstest_agrees_on_hits_and_misses()
    {
        const string args = "500 7 13 1 200000";
        AssertSameCounts(ExternalTools.Run(OvsTestFactAttribute.Path!, ["test-classifier", "benchmark", .. args.Split(' ')]), args);
    }
}
