using System.Text.RegularExpressions;
using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

/// <summary>
/// The TRACE target's effect and xtables-monitor's words in Linux 5.15's style (seed 002); the 6.18 style is judged
/// against the kernel in KernelSemanticsTests.
/// </summary>
public sealed class XtablesMonitorTests
{
    private const string Rules = """
        *raw
        :PREROUTING ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A OUTPUT -j MARK --set-xmark 0x1/0x1
        -A OUTPUT -p tcp -m tcp --dport 9898 -j TRACE
        COMMIT
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :EMPTY - [0:0]
        :EARLY - [0:0]
        :VIA - [0:0]
        -A OUTPUT -j EMPTY
        -A OUTPUT -j EARLY
        -A OUTPUT -g VIA
        -A OUTPUT -j ACCEPT
        -A EARLY -j RETURN
        -A EARLY -j ACCEPT
        -A VIA -p tcp -j MARK --set-xmark 0x4000/0x4000
        COMMIT
        """;

    private static (string Text, NetfilterVerdict Verdict) Output(ushort dport)
    {
        var rules = IptablesSaveParser.ParseText(Rules, "rules");
        var engine = new NetfilterEngine(rules, new NetfilterEngineOptions());
        var text = new StringWriter();
        new XtablesMonitor(text, XtablesTraceStyle.Linux515, seed: 3).Attach(rules, "node");
        var frame = Packets.TcpFrame("192.168.1.88", 49058, "10.43.156.98", dport);
        FlowKey.Extract(frame, 2, out var key);
        var packet = new NetfilterPacket(ref key, frame) { OutInterface = "enp3s0" };
        var v = engine.Run(NetfilterHook.Output, ref packet);
        return (text.ToString(), v);
    }

    [Fact]
    public void Trace_selects_the_packet_from_its_rule_on_and_reports_returns_gotos_and_policies_as_linux_5_15()
    {
        var (text, verdict) = Output(9898);
        Assert.Equal(NetfilterVerdict.Accept, verdict);
        string id = text.Split(' ')[2];
        // The MARK rule before the TRACE rule is not reported; the chains' handles follow the file (raw: PREROUTING 1,
        // OUTPUT 2, rules 3 and 4; nat: 7 chains, then rules 8 to 14). The 1.8.7 monitor prints no space before DF.
        Assert.Equal($"""
            PACKET: 2 {id} OUT=enp3s0 SRC=192.168.1.88 DST=10.43.156.98 LEN=40 TOS=0x0 TTL=64 ID=0DF SPORT=49058 DPORT=9898 SYN MARK=0x1 
             TRACE: 2 {id} raw:OUTPUT:rule:0x4:CONTINUE  -4 -t raw -A OUTPUT -p tcp -m tcp --dport 9898 -j TRACE
             TRACE: 2 {id} raw:OUTPUT:return:
             TRACE: 2 {id} raw:OUTPUT:policy:ACCEPT 
            PACKET: 2 {id} OUT=enp3s0 SRC=192.168.1.88 DST=10.43.156.98 LEN=40 TOS=0x0 TTL=64 ID=0DF SPORT=49058 DPORT=9898 SYN MARK=0x1 
             TRACE: 2 {id} nat:OUTPUT:rule:0x8:JUMP:EMPTY  -4 -t nat -A OUTPUT -j EMPTY
             TRACE: 2 {id} nat:EMPTY:return:
             TRACE: 2 {id} nat:OUTPUT:rule:0x9:JUMP:EARLY  -4 -t nat -A OUTPUT -j EARLY
             TRACE: 2 {id} nat:EARLY:return:
             TRACE: 2 {id} nat:OUTPUT:rule:0xa:GOTO:VIA  -4 -t nat -A OUTPUT -g VIA
             TRACE: 2 {id} nat:VIA:rule:0xe:CONTINUE  -4 -t nat -A VIA -p tcp -j MARK --set-xmark 0x4000/0x4000
             TRACE: 2 {id} nat:VIA:return:
             TRACE: 2 {id} nat:OUTPUT:policy:ACCEPT 

            """, text);
    }

    [Fact]
    public void Packets_no_trace_rule_selects_are_not_reported()
    {
        var (text, verdict) = Output(80);
        Assert.Equal(NetfilterVerdict.Accept, verdict);
        Assert.Equal("", text);
    }

    [Fact]
    public void Iptables_add_keeps_the_handles_and_gives_the_new_rule_the_next_one()
    {
        var rules = IptablesSaveParser.ParseText(Rules, "rules");
        var nat = rules.Nat!;
        var before = nat.Chains.SelectMany(c => c.Rules).ToDictionary(r => (r.Chain.Name, r.Number), r => r.Handle);
        Assert.Equal(14ul, nat.LastHandle);
        IptablesAppend.Add(rules, "-t nat -I OUTPUT 2 -p udp -j EMPTY", "--iptables-add");
        nat = rules.Nat!;
        var output = nat.GetChain("OUTPUT").Rules;
        Assert.Equal(15ul, output[1].Handle);
        Assert.Equal(before[("OUTPUT", 1)], output[0].Handle);
        Assert.Equal(before[("OUTPUT", 2)], output[2].Handle);
        Assert.Equal(before[("VIA", 1)], nat.GetChain("VIA").Rules[0].Handle);
        Assert.Same(nat.GetChain("EMPTY"), output[1].Target.Chain);
        Assert.Equal(15ul, nat.LastHandle);
        // A table the rule set did not have: its built-in chain gets a handle when first used, then the rule.
        IptablesAppend.Add(rules, "-t filter -A FORWARD -j DROP", "--iptables-add");
        Assert.Equal(2ul, rules.Filter!.GetChain("FORWARD").Rules[0].Handle);
        var e = Assert.Throws<InputException>(() => IptablesAppend.Add(rules, "-t nat -A OUTPUT -j NOPE", "--iptables-add"));
        Assert.Equal((1, 21), (e.Line, e.Column));
        Assert.Matches(new Regex("chain 'NOPE' does not exist"), e.What);
    }
}
