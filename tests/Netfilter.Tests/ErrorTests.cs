namespace Datapath.Netfilter.Tests;

/// <summary>Bad input names FILE:LINE; modules we do not implement are refused by name, never ignored.</summary>
public sealed class ErrorTests
{
    private const string FilterHead = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";
    private const string NatHead = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";

    /// <summary>Documents that are wrong (the kernel's iptables-restore refuses each of them too:
    /// KernelAcceptanceTests checks that), with the message we give.</summary>
    public static readonly TheoryData<string, string> BadDocuments = new()
    {
        { FilterHead + "-A FORWARD -s 10.0.0.300 -j ACCEPT\nCOMMIT\n", "bad.rules:5: '10.0.0.300' is not an IPv4 address" },
        { FilterHead + "-A FORWARD -j ACCEPT\n", "bad.rules:5: table 'filter' (line 1) ends without COMMIT" },
        { FilterHead + "-A NOPE -j ACCEPT\nCOMMIT\n", "bad.rules:5: chain 'NOPE' does not exist in table 'filter'" },
        { FilterHead + "-A FORWARD -j MISSING\nCOMMIT\n", "bad.rules:5: chain 'MISSING' does not exist in table 'filter'" },
        { FilterHead + "-A FORWARD -p tcp --dport\nCOMMIT\n", "bad.rules:5: option '--dport' needs a value" },
        { FilterHead + "-A FORWARD -m tcp --dport 80 -j ACCEPT\nCOMMIT\n", "bad.rules:5: match 'tcp' needs -p tcp" },
        { FilterHead + "-A FORWARD -p tcp -m tcp --bogus 1 -j ACCEPT\nCOMMIT\n", "bad.rules:5: unknown option '--bogus' for match 'tcp'" },
        { "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD MAYBE [0:0]\nCOMMIT\n", "bad.rules:3: built-in chain 'FORWARD' needs policy ACCEPT or DROP, not 'MAYBE'" },
        { FilterHead + "-A FORWARD -j DNAT --to-destination 1.2.3.4\nCOMMIT\n", "bad.rules:5: target 'DNAT' is only valid in table 'nat'" },
        { NatHead + "-A POSTROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80\nCOMMIT\n", "bad.rules:6: target 'DNAT' is not valid in a chain reached from POSTROUTING" },
        { FilterHead + ":A - [0:0]\n:B - [0:0]\n-A FORWARD -j A\n-A A -j B\n-A B -j A\nCOMMIT\n", "bad.rules:9: jump to 'A' makes a loop" },
        { FilterHead + "-A FORWARD -m statistic --mode random -j ACCEPT\nCOMMIT\n", "bad.rules:5: --mode random takes --probability (and not --every/--packet)" },
        { FilterHead + "-A INPUT -o eth0 -j ACCEPT\nCOMMIT\n", "bad.rules:5: can't use -o with INPUT" },
        { FilterHead + "-A FORWARD -p udp -j REJECT --reject-with tcp-reset\nCOMMIT\n", "bad.rules:5: --reject-with tcp-reset needs -p tcp" },
        { FilterHead + "-A FORWARD -m mark --mark 0xfoo -j ACCEPT\nCOMMIT\n", "bad.rules:5: '0xfoo' is not a valid mark" },
        { NatHead + "-A PREROUTING -j DNAT --to-destination 10.0.0.1:80\nCOMMIT\n", "bad.rules:6: a port range needs -p tcp, udp, sctp, dccp or udplite" },
        { "-A FORWARD -j ACCEPT\n", "bad.rules:1: '-A FORWARD -j ACCEPT' outside a table (expected '*raw', '*mangle', '*nat' or '*filter')" },
    };

    [Theory]
    [MemberData(nameof(BadDocuments))]
    public void Bad_lines_name_file_and_line(string document, string expected)
    {
        var e = Assert.Throws<NetfilterSyntaxException>(() => IptablesSaveParser.ParseText(document, "bad.rules"));
        Assert.Equal(expected, e.Message);
        Assert.False(e.IsUnsupported);
    }

    [Fact]
    public void An_unterminated_quote_is_an_error_here_although_iptables_restore_closes_it_at_the_end_of_the_line()
    {
        // Stricter than the kernel on purpose: iptables-restore would take "unterminated -j ACCEPT" as the
        // comment and load a rule without a target, which is never what the author meant.
        var e = Assert.Throws<NetfilterSyntaxException>(() => IptablesSaveParser.ParseText(
            FilterHead + "-A FORWARD -m comment --comment \"unterminated -j ACCEPT\nCOMMIT\n", "bad.rules"));
        Assert.Equal("bad.rules:5: unterminated quoted string", e.Message);
    }

    [Theory]
    [InlineData("-A FORWARD -m physdev --physdev-in eth0 -j ACCEPT", "unsupported match 'physdev' at x.rules:5")]
    [InlineData("-A FORWARD -m connmark --mark 1 -j ACCEPT", "unsupported match 'connmark' at x.rules:5")]
    [InlineData("-A FORWARD -m limit --limit 5/s -j ACCEPT", "unsupported match 'limit' at x.rules:5")]
    [InlineData("-A FORWARD -j CONNMARK --set-mark 1", "unsupported target 'CONNMARK' at x.rules:5")]
    [InlineData("-A FORWARD -j NFQUEUE --queue-num 1", "unsupported target 'NFQUEUE' at x.rules:5")]
    [InlineData("-A FORWARD -m conntrack --ctexpire 10:20 -j ACCEPT", "unsupported option '--ctexpire' of 'conntrack' at x.rules:5")]
    [InlineData("-A FORWARD -p tcp -m tcp --tcp-option 2 -j ACCEPT", "unsupported option '--tcp-option' of 'tcp' at x.rules:5")]
    public void Unimplemented_modules_are_refused_by_name(string line, string expected)
    {
        var e = Assert.Throws<NetfilterSyntaxException>(() => IptablesSaveParser.ParseText(FilterHead + line + "\nCOMMIT\n", "x.rules"));
        Assert.Equal(expected, e.Message);
        Assert.True(e.IsUnsupported);
    }

    [Theory]
    [InlineData("create S hash:ip\nadd S 10.0.0.256\n", "s.save:2: '10.0.0.256' is not an IPv4 address")]
    [InlineData("create S hash:mac\n", "s.save:1: unsupported set type 'hash:mac' (hash:ip, hash:net and hash:ip,port are implemented)")]
    [InlineData("add S 10.0.0.1\n", "s.save:1: set 'S' does not exist")]
    [InlineData("create S hash:ip timeout 30\n", "s.save:1: unsupported set option 'timeout'")]
    [InlineData("create S hash:ip,port\nadd S 10.0.0.1,tcp:99999\n", "s.save:2: '99999' is not a port or port range")]
    [InlineData("create S hash:ip\ncreate S hash:ip\n", "s.save:2: set 'S' already exists")]
    [InlineData("flush S\n", "s.save:1: unknown ipset command 'flush' (expected create or add)")]
    public void Bad_ipset_lines_name_file_and_line(string text, string expected)
    {
        var e = Assert.Throws<NetfilterSyntaxException>(() => IpSets.IpsetSaveParser.ParseText(text, "s.save"));
        Assert.Equal(expected, e.Message);
    }
}
