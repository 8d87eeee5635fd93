namespace Datapath.Netfilter.Tests;

/// <summary>
/// libxtables xtables_print_num: up to 99999 exact, then (n + 500) / 1000 while above 9999, suffixed K, M, G, T;
/// right-aligned in five columns (four and the suffix), eight with -x.
/// </summary>
public sealed class XtablesNumberTests
{
    [Theory]
    [InlineData(0UL, "    0")]
    [InlineData(1234UL, " 1234")]
    [InlineData(12345UL, "12345")]
    [InlineData(99999UL, "99999")]
    [InlineData(100000UL, " 100K")]
    [InlineData(123456UL, " 123K")]
    [InlineData(999499UL, " 999K")]
    [InlineData(999500UL, "1000K")]
    [InlineData(9999499UL, "9999K")]
    [InlineData(9999500UL, "  10M")]
    [InlineData(1234567890UL, "1235M")]
    [InlineData(12345678901UL, "  12G")]
    [InlineData(123456789012345UL, " 123T")]
    public void Kilo_mega_giga_columns(ulong value, string expected)
        => Assert.Equal(expected, IptablesListing.FormatNumber(value, kiloMegaGiga: true));

    [Theory]
    [InlineData(1UL, "       1")]
    [InlineData(123456789UL, "123456789")]
    public void Exact_columns(ulong value, string expected)
        => Assert.Equal(expected, IptablesListing.FormatNumber(value, kiloMegaGiga: false));

    [Fact]
    public void Chain_headers_print_the_number_unpadded()
    {
        var sb = new System.Text.StringBuilder();
        IptablesListing.FormatNumber(sb, 123456, kiloMegaGiga: true, table: false);
        IptablesListing.FormatNumber(sb, 7, kiloMegaGiga: true, table: false);
        Assert.Equal("123K 7 ", sb.ToString());
    }

    [Fact]
    public void Unknown_chain_and_table_are_refused_in_iptables_words()
    {
        var rules = IptablesSaveParser.ParseText(RuleFixtures.Nat);
        var sb = new System.Text.StringBuilder();
        Assert.False(IptablesListing.TryList(rules, "nat", "NOPE", default, sb, out string error));
        Assert.Equal("iptables: No chain/target/match by that name.", error);
        Assert.False(IptablesListing.TryList(rules, "foo", null, default, sb, out error));
        Assert.StartsWith("iptables v1.8.9 (nf_tables): table 'foo' does not exist", error, StringComparison.Ordinal);
        // A table iptables knows but the file did not load lists as the kernel lists it: empty built-in chains.
        Assert.True(IptablesListing.TryList(rules, "raw", null, new(true, false, false, false), sb, out _));
        Assert.Equal("Chain PREROUTING (policy ACCEPT)\ntarget     prot opt source               destination         \n\n"
            + "Chain OUTPUT (policy ACCEPT)\ntarget     prot opt source               destination         \n", sb.ToString());
    }
}
