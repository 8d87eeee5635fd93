using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

/// <summary>Bad input is an InputException at FILE:LINE:COL of the offending word; modules we do not implement are refused by name, never ignored.</summary>
public sealed class ErrorTests
{
    private const string FilterHead = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";
    private const string NatHead = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";

    /// <summary>Documents that are wrong (the kernel's iptables-restore refuses each of them too:
    /// KernelAcceptanceTests checks that), with the message we give.</summary>
    public static readonly TheoryData<string, string> BadDocuments = new()
    {
        { FilterHead + "-A FORWARD -s 10.0.0.300 -j ACCEPT\nCOMMIT\n", "bad.rules:5:15: host/network '10.0.0.300' not found: not an IPv4 address" },
        { FilterHead + "-A FORWARD -j ACCEPT\n", "bad.rules:6: COMMIT expected: table 'filter' (line 1) ends without COMMIT" },
        { FilterHead + "-A NOPE -j ACCEPT\nCOMMIT\n", "bad.rules:5:4: chain 'NOPE' does not exist in table 'filter'" },
        { FilterHead + "-A FORWARD -j MISSING\nCOMMIT\n", "bad.rules:5:15: chain 'MISSING' does not exist in table 'filter'" },
        { FilterHead + "-A FORWARD -p tcp --dport\nCOMMIT\n", "bad.rules:5:19: option '--dport' needs a value" },
        { FilterHead + "-A FORWARD -m tcp --dport 80 -j ACCEPT\nCOMMIT\n", "bad.rules:5:15: match 'tcp' needs -p tcp" },
        { FilterHead + "-A FORWARD -p tcp -m tcp --bogus 1 -j ACCEPT\nCOMMIT\n", "bad.rules:5:26: unknown option '--bogus' for match 'tcp'" },
        { "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD MAYBE [0:0]\nCOMMIT\n", "bad.rules:3:10: built-in chain 'FORWARD' needs policy ACCEPT or DROP, not 'MAYBE'" },
        { FilterHead + "-A FORWARD -j DNAT --to-destination 1.2.3.4\nCOMMIT\n", "bad.rules:5:15: target 'DNAT' is only valid in table 'nat'" },
        { NatHead + "-A POSTROUTING -p tcp -j DNAT --to-destination 1.2.3.4:80\nCOMMIT\n", "bad.rules:6:26: target 'DNAT' is not valid in a chain reached from POSTROUTING" },
        { FilterHead + ":A - [0:0]\n:B - [0:0]\n-A FORWARD -j A\n-A A -j B\n-A B -j A\nCOMMIT\n", "bad.rules:9:9: jump to 'A' makes a loop" },
        { FilterHead + "-A FORWARD -m statistic --mode random -j ACCEPT\nCOMMIT\n", "bad.rules:5:15: --mode random takes --probability (and not --every/--packet)" },
        { FilterHead + "-A INPUT -o eth0 -j ACCEPT\nCOMMIT\n", "bad.rules:5:10: can't use -o with INPUT" },
        { FilterHead + "-A FORWARD -p udp -j REJECT --reject-with tcp-reset\nCOMMIT\n", "bad.rules:5:22: --reject-with tcp-reset needs -p tcp" },
        { FilterHead + "-A FORWARD -m mark --mark 0xfoo -j ACCEPT\nCOMMIT\n", "bad.rules:5:27: '0xfoo' is not a valid mark" },
        { NatHead + "-A PREROUTING -j DNAT --to-destination 10.0.0.1:80\nCOMMIT\n", "bad.rules:6:18: a port range needs -p tcp, udp, sctp, dccp or udplite" },
        { "-A FORWARD -j ACCEPT\n", "bad.rules:1:1: '-A FORWARD -j ACCEPT' outside a table (expected '*raw', '*mangle', '*nat' or '*filter')" },
    };

    [Theory]
    [MemberData(nameof(BadDocuments))]
    public void Bad_lines_name_file_line_and_column(string document, string expected)
    {
        var e = Assert.Throws<InputException>(() => IptablesSaveParser.ParseText(document, "bad.rules"));
        Assert.Equal(expected, e.Message);
        Assert.DoesNotContain("unsupported", e.What, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unterminated_quote_runs_to_the_end_of_the_line_as_in_iptables_restore()
    {
        // iptables-restore (add_param_to_argv) closes an open quote at the end of the line: the comment is
        // "unterminated -j ACCEPT" and the rule has no target. KernelVerdictTests checks the tool agrees.
        var rules = IptablesSaveParser.ParseText(FilterHead + "-A FORWARD -m comment --comment \"unterminated -j ACCEPT\nCOMMIT\n", "quote.rules");
        var rule = Assert.Single(rules.AllRules);
        Assert.Equal("unterminated -j ACCEPT", rule.Comment);
        Assert.Equal(TargetKind.None, rule.Target.Kind);
    }

    [Fact]
    public void A_typo_in_an_option_is_located_with_a_did_you_mean()
    {
        var e = Assert.Throws<InputException>(() => IptablesSaveParser.ParseText(
            FilterHead + "-A FORWARD -m statistic --mode random --probabilty 0.5 -j ACCEPT\nCOMMIT\n", "typo.rules"));
        Assert.Equal("typo.rules:5:39: unknown option '--probabilty' for match 'statistic'", e.Message);
        Assert.Equal("did you mean '--probability'?", e.Hint);
    }

    [Fact]
    public void An_ipv6_address_in_an_ipv4_file_is_located_not_a_crash()
    {
        var e = Assert.Throws<InputException>(() => IptablesSaveParser.ParseText(
            FilterHead + "-A FORWARD -s fe80::1/64 -j ACCEPT\nCOMMIT\n", "v6.rules"));
        Assert.Equal("v6.rules:5:15: 'fe80::1' is not an IPv4 address (an IPv6 address in an IPv4 iptables file)", e.Message);
        Assert.NotNull(e.Hint);
    }

    [Fact]
    public void A_crlf_file_is_refused_at_its_table_line_as_iptables_restore_refuses_it()
    {
        var e = Assert.Throws<InputException>(() => IptablesSaveParser.ParseText(
            "# saved on Windows\r\n*filter\r\n:INPUT ACCEPT [0:0]\r\nCOMMIT\r\n", "crlf.rules"));
        Assert.Equal("crlf.rules:2:2: table name 'filter\\r' invalid", e.Message);
        Assert.Contains("CRLF", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_byte_order_mark_before_the_table_is_refused_at_line_1()
    {
        string path = Path.Combine(Path.GetTempPath(), "bom-" + Guid.NewGuid().ToString("N") + ".rules");
        File.WriteAllText(path, "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        try
        {
            var e = Assert.Throws<InputException>(() => IptablesSaveParser.ParseFile(path));
            Assert.Equal((1, 1), (e.Line, e.Column));
            Assert.Contains("byte-order mark", e.What, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("-A FORWARD -m physdev --physdev-in eth0 -j ACCEPT", "x.rules:5:15: unsupported match 'physdev'")]
    [InlineData("-A FORWARD -m connmark --mark 1 -j ACCEPT", "x.rules:5:15: unsupported match 'connmark'")]
    [InlineData("-A FORWARD -m limit --limit 5/s -j ACCEPT", "x.rules:5:15: unsupported match 'limit'")]
    [InlineData("-A FORWARD -j CONNMARK --set-mark 1", "x.rules:5:15: unsupported target 'CONNMARK'")]
    [InlineData("-A FORWARD -j NFQUEUE --queue-num 1", "x.rules:5:15: unsupported target 'NFQUEUE'")]
    [InlineData("-A FORWARD -m conntrack --ctexpire 10:20 -j ACCEPT", "x.rules:5:25: unsupported option '--ctexpire' of 'conntrack'")]
    [InlineData("-A FORWARD -p tcp -m tcp --tcp-option 2 -j ACCEPT", "x.rules:5:26: unsupported option '--tcp-option' of 'tcp'")]
    public void Unimplemented_modules_are_refused_by_name(string line, string expected)
    {
        var e = Assert.Throws<InputException>(() => IptablesSaveParser.ParseText(FilterHead + line + "\nCOMMIT\n", "x.rules"));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("create S hash:ip\nadd S 10.0.0.256\n", "s.save:2:7: cannot parse '10.0.0.256': resolving to IPv4 address failed")]
    [InlineData("create S hash:mac\n", "s.save:1:10: unsupported set type 'hash:mac' (hash:ip, hash:net and hash:ip,port are implemented)")]
    [InlineData("add S 10.0.0.1\n", "s.save:1:5: the set with the given name 'S' does not exist")]
    [InlineData("create S hash:ip timeout 30\n", "s.save:1:18: unsupported set option 'timeout'")]
    [InlineData("create S hash:ip,port\nadd S 10.0.0.1,tcp:99999\n", "s.save:2:7: cannot parse '99999' as a port (a number 0-65535 or a service name)")]
    [InlineData("create S hash:ip\ncreate S hash:ip\n", "s.save:2:8: set 'S' cannot be created: set with the same name already exists")]
    [InlineData("flush S\n", "s.save:1:1: unsupported ipset command 'flush' (ipset save files hold create and add)")]
    [InlineData("create S hash:ip\nadd S 10.0.0.0/30\nadd S 10.0.0.1\n", "s.save:3:7: element '10.0.0.1' cannot be added to set 'S': it's already added")]
    [InlineData("create S hash:ip\nadd S 10.0.0.1 comment \"x\"\n", "s.save:2:16: comment cannot be used: set was created without comment support")]
    [InlineData("create S hash:ip family inet\nadd S fe80::1\n", "s.save:2:7: cannot parse 'fe80::1': resolving to IPv4 address failed (an IPv6 address in a family inet set)")]
    [InlineData("\uFEFFcreate S hash:ip\n", "s.save:1:1: the line starts with a UTF-8 byte-order mark, which ipset refuses (no command specified)")]
    public void Bad_ipset_lines_name_file_line_and_column(string text, string expected)
    {
        var e = Assert.Throws<InputException>(() => IpSets.IpsetSaveParser.ParseText(text, "s.save"));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void An_ipset_file_with_crlf_line_ends_loads_as_ipset_restore_loads_it()
    {
        var sets = IpSets.IpsetSaveParser.ParseText("create S hash:ip family inet\r\nadd S 10.0.0.1\r\n", "crlf.save");
        Assert.True(sets.TryGet("S", out var s));
        Assert.True(s!.ContainsAddress(Ipv4Address.Parse("10.0.0.1").Value));
    }
}
