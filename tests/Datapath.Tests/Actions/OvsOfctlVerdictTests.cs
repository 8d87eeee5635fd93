using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Actions;

/// <summary>
/// Flow text is refused exactly when ovs-ofctl refuses it. Each case is one <c>add-flows</c> line, loaded by
/// a bridge as <c>datapath</c> loads a flows file (FlowParser, ActionParser, ActionValidator, the table set's
/// bundle checks) and parsed by <c>ovs-ofctl parse-flow</c>; the two verdicts, accept or refuse, must agree.
/// The cases are the seed dumps (tests/Data/ovs-3.1, port names replaced by their numbers from the
/// show output, as parse-flow knows no switch), the seed lines with each value emptied in turn, and the
/// hand-written edges below: empty values, out-of-range numbers, malformed action arguments, valid text
/// written unusually (a trailing space, an empty action between commas).
/// </summary>
public sealed class OvsOfctlVerdictTests
{
    private static readonly string[] s_edges =
    [
        // Empty values: ovs-ofctl reads an empty field value as "0/0": a wildcard for a number,
        // an error for an address or a port; keywords and action arguments need their value.
        "ip,nw_src= actions=drop",
        "ip,nw_dst=,actions=drop",
        "dl_src=,actions=drop",
        "dl_dst=,actions=drop",
        "ipv6,ipv6_src=,actions=drop",
        "arp,arp_spa=,actions=drop",
        "arp,arp_sha=,actions=drop",
        "in_port=,actions=drop",
        "tcp,tp_dst=,actions=drop",
        "ip,nw_proto=,actions=drop",
        "arp,arp_op=,actions=drop",
        "ip,nw_tos=,actions=drop",
        "tcp,tcp_flags=,actions=drop",
        "reg0=,actions=drop",
        "ct_state=,actions=drop",
        "ct_mark=,actions=drop",
        "dl_type=,actions=drop",
        "table=,actions=drop",
        "priority=,actions=drop",
        "cookie=,actions=drop",
        "idle_timeout=,actions=drop",
        "hard_timeout=,actions=drop",
        "importance=,actions=drop",
        "out_port=,actions=drop",
        "ip,actions=ct(table=)",
        "ip,actions=ct(zone=)",
        "actions=output:",
        "actions=resubmit(,)",
        "actions=resubmit:",
        "actions=goto_table:",
        "actions=load:1->",
        "actions=load:->NXM_NX_REG0[]",
        "actions=move:->NXM_NX_REG0[]",
        "actions=move:NXM_NX_REG0[]->",
        "actions=set_field:->reg0",
        "actions=set_field:1->",
        "actions=group:",
        "actions=mod_dl_src:",
        "actions=mod_nw_dst:",
        "actions=push_vlan:",
        "actions=mod_vlan_vid:",
        "actions=note:",

        // Out of range.
        "in_port=99999999999,actions=drop",
        "in_port=4294967296,actions=drop",
        "in_port=0xffffffff,actions=drop",
        "in_port=65279,actions=drop",
        "priority=70000,actions=drop",
        "priority=65536,actions=drop",
        "priority=65535,actions=drop",
        "priority=-1,actions=drop",
        "table=300,actions=drop",
        "table=254,actions=drop",
        "table=255,actions=drop",
        "hard_timeout=70000,actions=drop",
        "idle_timeout=65535,actions=drop",
        "dl_vlan=4095,actions=drop",
        "dl_vlan=65536,actions=drop",
        "dl_vlan=0xffff,actions=drop",
        "dl_vlan=5/0xfff,actions=drop",
        "vlan_vid=0x1005/0x1fff,actions=drop",
        "dl_vlan_pcp=7,vlan_tci=0x1003/0x1fff,actions=drop",
        "vlan_pcp=3,actions=drop",
        "dl_vlan_pcp=256,actions=drop",
        "in_port=0x10,actions=drop",
        "in_port=4294967295,actions=drop",
        "in_port=4294967040,actions=drop",
        "in_port=4294967039,actions=drop",
        "in_port=0,actions=drop",
        "actions=output:0",
        "actions=output:0x10",
        "actions=output:65535",
        "actions=output:4294967295",
        "actions=output:4294967290",
        "actions=LOCAL,IN_PORT,NORMAL",
        "actions=mod_vlan_vid:5000",
        "actions=mod_vlan_vid:4095",
        "actions=mod_vlan_pcp:8",
        "actions=mod_vlan_pcp:7",
        "ip,actions=mod_nw_ttl:64",
        "ip,actions=load:0x40->NXM_NX_IP_TTL[]",
        "ip,actions=load:0x3->NXM_NX_IP_ECN[]",
        "ip,actions=mod_nw_ttl:256",
        "actions=mod_nw_ttl:64",
        "ip,actions=mod_nw_ecn:3",
        "ip,actions=mod_nw_ecn:4",
        "arp,actions=mod_nw_ecn:1",
        "actions=set_tunnel:5",
        "actions=set_tunnel64:0x123456789",
        "actions=set_tunnel:0x1ffffffffffffffff",
        "actions=set_tunnel:",
        "ip,actions=ct(zone=70000)",
        "ip,actions=ct(zone=65535)",
        "actions=resubmit(,300)",
        "actions=resubmit(,255)",
        "actions=resubmit(,254)",
        "actions=load:0x100000000->NXM_NX_REG0[]",
        "actions=load:0xffffffff->NXM_NX_REG0[]",
        "actions=load:0x10000->NXM_NX_REG0[0..15]",
        "actions=move:NXM_NX_REG0[0..3]->NXM_NX_REG1[0..4]",
        "ip,nw_src=10.0.0.1/33,actions=drop",
        "ip,nw_src=10.0.0.0/32,actions=drop",
        "ip,nw_src=10.0.0,actions=drop",
        "actions=conjunction(1,1/1)",
        "actions=conjunction(1,1/65)",
        "actions=conjunction(1,1/64)",
        "actions=conjunction(1,3/2)",
        "actions=conjunction(1,1/2)",
        "actions=65280",
        "actions=65279",

        // Malformed action arguments and lists.
        "actions=drop,output:1",
        "actions=output:1,drop",
        "actions=drop,drop",
        "actions=,",
        "actions=note",
        "actions=note:1",
        "ip,actions=ct(commit,,table=1)",
        "actions=resubmit(1,,)",
        "actions=note:zz",
        "actions=note:00.01.02",
        "actions=push_vlan:0x0800",
        "actions=push_vlan:0x8100",
        "actions=frobnicate",
        "actions=output:1,,output:2",
        "actions=output:1,",
        "actions=,output:1",
        "ip,actions=ct(commit,exec(load:1->NXM_NX_CT_MARK[]))",
        "ip,actions=ct(exec(load:1->NXM_NX_CT_MARK[]))",
        "ip,actions=ct(commit,exec())",
        "cookie=0x1/-1,actions=drop",
        "ip,nw_src=10.0.0.1",
        "nw_dts=10.0.0.1,actions=drop",

        // Valid text written unusually.
        "ip,nw_src=10.0.0.1 actions=ct(table=31,zone=65520) ",
        "priority=10 actions=drop",
        "actions=drop ",
        "actions=",
        "actions=1",
        "actions=dec_ttl",
        "actions=goto_table:5",
        " cookie=0x1000000000000, table=31, priority=0 actions=resubmit(,40)",
        "ip,nw_proto=6/0xf0,actions=drop",
        "tcp,tp_dst=0x50/0xfff0,actions=drop",
    ];

    public static TheoryData<string> Edges => new(s_edges);

    [OvsOfctlTheory]
    [MemberData(nameof(Edges))]
    public void An_edge_case_is_refused_exactly_when_ovs_ofctl_refuses_it(string flow)
    {
        var ours = Load(flow);
        var theirs = OvsOfctl.ParseFlow(flow);
        Assert.True(ours.Accepted == theirs.Accepted, Disagreement(flow, ours, theirs));
    }

    /// <summary>
    /// Where ovs-ofctl accepts a flow only by installing another one (it keeps the low bits of a value too
    /// wide for its field, or drops a field whose prerequisite is missing, logging "normalization changed
    /// ofp_match"), we refuse it and say why: the flow a user wrote is never silently changed. Each row is
    /// the line and what ovs-ofctl would install instead.
    /// </summary>
    [OvsOfctlTheory]
    [InlineData("dl_vlan=5000,actions=drop", "ADD dl_vlan=904 actions=drop")]
    [InlineData("dl_vlan_pcp=8,actions=drop", "ADD dl_vlan_pcp=0 actions=drop")]
    [InlineData("vlan_vid=0x2000,actions=drop", "ADD vlan_tci=0x0000 actions=drop")]
    [InlineData("ip,nw_src=10.0.0.256,actions=drop", "ADD ip,nw_src=10.0.0.0 actions=drop")]
    [InlineData("tp_dst=80,actions=drop", "ADD actions=drop")]
    [InlineData("ip,arp_op=1,actions=drop", "ADD icmp actions=drop")]
    [InlineData("ip,nw_src=99999999999.222.1.48,actions=drop", "ADD ip,nw_src=255.222.1.48 actions=drop")]
    [InlineData("ip,actions=conjunction(99999999999,1/2)", "ADD ip actions=conjunction(1215752191,1/2)")]
    public void A_flow_ovs_ofctl_would_silently_change_is_refused(string flow, string ovsInstalls)
    {
        var theirs = OvsOfctl.ParseFlow(flow);
        Assert.True(theirs.Accepted, theirs.Output);
        Assert.Contains(ovsInstalls, theirs.Output, StringComparison.Ordinal);
        var ours = Load(flow);
        Assert.False(ours.Accepted, $"[{flow}] loaded, but ovs-ofctl would install something else: {ovsInstalls}");
    }

    [OvsOfctlFact]
    public void Every_seed_flow_is_accepted_by_both()
    {
        var disagreements = SeedFlows().Select(Judge).OfType<string>().ToList();
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }

    [OvsOfctlFact]
    public void A_seed_flow_with_one_value_emptied_is_refused_exactly_when_ovs_ofctl_refuses_it()
    {
        var cases = SeedFlows().SelectMany(EmptyEachValue).Distinct()
            .Select(f => (Flow: f, Ours: Load(f), Theirs: OvsOfctl.ParseFlow(f))).ToList();
        var disagreements = cases.Where(c => c.Ours.Accepted != c.Theirs.Accepted).Select(c => Disagreement(c.Flow, c.Ours, c.Theirs)).ToList();
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} of {cases.Count}:\n" + string.Join("\n", disagreements));
        int refused = cases.Count(c => !c.Theirs.Accepted);
        Assert.True(refused >= 100 && cases.Count - refused >= 30, $"ovs-ofctl refused {refused} of {cases.Count}: the mutations should hold many of both");
    }

    [OvsOfctlFact]
    public void A_seed_flow_with_one_number_made_too_large_is_refused_exactly_when_ovs_ofctl_refuses_it()
    {
        var cases = SeedFlows().SelectMany(l => ReplaceEachNumber(l, "99999999999")).Distinct()
            .Select(f => (Flow: f, Ours: Load(f), Theirs: OvsOfctl.ParseFlow(f))).ToList();
        var disagreements = cases.Where(c => c.Ours.Accepted != c.Theirs.Accepted).Select(c => Disagreement(c.Flow, c.Ours, c.Theirs)).ToList();
        Assert.True(disagreements.Count == 0, $"{disagreements.Count} of {cases.Count}:\n" + string.Join("\n", disagreements));
        Assert.True(cases.Count >= 200, $"only {cases.Count} cases");
    }

    [OvsOfctlFact]
    public void The_edges_hold_refusals_and_acceptances_both()
    {
        var verdicts = s_edges.Select(f => OvsOfctl.ParseFlow(f).Accepted).ToList();
        Assert.True(verdicts.Count(v => v) >= 20, "too few cases ovs-ofctl accepts");
        Assert.True(verdicts.Count(v => !v) >= 40, "too few cases ovs-ofctl refuses");
    }

    // ---- the cases

    /// <summary>The seed dumps as add-flows lines, port names replaced by their OpenFlow numbers.</summary>
    private static IEnumerable<string> SeedFlows()
    {
        foreach (string worker in new[] { "worker1", "worker2" })
        {
            var ports = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string line in File.ReadLines(Path.Combine("Data", "ovs-3.1", worker + ".show.txt")))
            {
                var m = Regex.Match(line, @"^\s*(\d+)\(([^)]+)\):");
                if (m.Success)
                    ports[m.Groups[2].Value] = m.Groups[1].Value;
            }
            foreach (string line in File.ReadLines(Path.Combine("Data", "ovs-3.1", worker + ".dump-flows.txt")))
            {
                if (line.Trim().Length == 0)
                    continue;
                yield return Regex.Replace(line, "\"([^\"]+)\"", m => ports.TryGetValue(m.Groups[1].Value, out string? n) ? n : m.Value);
            }
        }
    }

    /// <summary>The line once per value it holds (after '=' or ':' up to the next ',', ' ', ')' or '->'), that value emptied.</summary>
    private static IEnumerable<string> EmptyEachValue(string line)
    {
        foreach (Match m in Regex.Matches(line, @"(?<=[=:])[^,\s()=:>-][^,\s()]*?(?=$|[,\s)]|->)"))
            yield return line[..m.Index] + line[(m.Index + m.Length)..];
    }

    /// <summary>
    /// The line once per whole number it holds (a value, a mask, a bit index, a table, a port), that number
    /// replaced. Not the parts of an address or a conjunction id: ovs-ofctl reads those with sscanf, which
    /// saturates or wraps a number too large (the silently changed flows above).
    /// </summary>
    private static IEnumerable<string> ReplaceEachNumber(string line, string replacement)
    {
        foreach (Match m in Regex.Matches(line, @"(?<=[=:(,\[/]|\.\.)(0x[0-9a-f]+|\d+)(?=$|[,\s)\]/]|->|\.\.)"))
        {
            if (line.AsSpan(0, m.Index).EndsWith("conjunction(", StringComparison.Ordinal) || InAddress(line, m.Index, m.Length))
                continue;
            yield return line[..m.Index] + replacement + line[(m.Index + m.Length)..];
        }
    }

    private static bool InAddress(string line, int at, int length)
        => Regex.Matches(line, @"\d+\.\d+\.\d+\.\d+|([0-9a-f]{2}:){5}[0-9a-f]{2}")
            .Any(a => a.Index <= at && at + length <= a.Index + a.Length);

    // ---- the verdicts

    private static (bool Accepted, string Why) Load(string flow)
    {
        // ovs-ofctl parse-flow consults no switch; a bridge refuses tun_metadata0 until its TLV map names it, so this
        // one has Antrea's map, as the switch the seed flows run on has.
        var bridge = new Bridge { TlvMap = Geneve.TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0") };
        try
        {
            using var reader = new StringReader(flow);
            bridge.LoadFlows(reader, "case.flows");
            return (true, "loaded");
        }
        catch (InputException e)
        {
            return (false, e.ToString());
        }
    }

    private static string? Judge(string flow)
    {
        var ours = Load(flow);
        var theirs = OvsOfctl.ParseFlow(flow);
        return ours.Accepted == theirs.Accepted ? null : Disagreement(flow, ours, theirs);
    }

    private static string Disagreement(string flow, (bool Accepted, string Why) ours, (bool Accepted, string Output) theirs)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"[{flow}] datapath {(ours.Accepted ? "accepts" : "refuses")}: {ours.Why} | ");
        sb.Append(CultureInfo.InvariantCulture, $"ovs-ofctl {(theirs.Accepted ? "accepts" : "refuses")}: {theirs.Output.Split('\n')[^1]}");
        return sb.ToString();
    }
}
