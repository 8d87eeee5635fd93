using Datapath.Antrea.Import;

namespace Datapath.Antrea.Tests;

/// <summary>
/// How an import reads what it is given: files named nothing in particular are recognised by their content; a dump
/// that names its tables (Antrea 2.x's agent names them; its support bundle's flows are <c>--names</c> dumps) gets
/// numbers in the dump's own table order when no dump-tables says them; dump-meters' layout becomes add-meter lines.
/// </summary>
public sealed class ImportFormatsTests : IDisposable
{
    private static readonly string s_seed = Path.Combine(AppContext.BaseDirectory, "Data", "import", "seed");
    private readonly string _dir = Directory.CreateTempSubdirectory("import-formats").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Files_named_nothing_in_particular_are_read_by_their_content()
    {
        foreach (string node in new[] { "master", "worker1", "worker2" })
        {
            Directory.CreateDirectory(Path.Combine(_dir, "named", node));
            Directory.CreateDirectory(Path.Combine(_dir, "unnamed", node));
            int i = 0;
            foreach (string file in Directory.GetFiles(Path.Combine(s_seed, node)).Order(StringComparer.Ordinal))
            {
                File.Copy(file, Path.Combine(_dir, "named", node, Path.GetFileName(file)));
                File.Copy(file, Path.Combine(_dir, "unnamed", node, $"output-{++i}.txt"));
            }
        }
        File.Copy(Path.Combine(s_seed, "kubectl.yaml"), Path.Combine(_dir, "named", "kubectl.yaml"));
        File.Copy(Path.Combine(s_seed, "kubectl.yaml"), Path.Combine(_dir, "unnamed", "everything.txt"));
        var named = ScenarioImporter.Import(ImportInput.Read(Path.Combine(_dir, "named")));
        var unnamed = ScenarioImporter.Import(ImportInput.Read(Path.Combine(_dir, "unnamed")));
        Assert.Equal(named.ClusterYaml, unnamed.ClusterYaml);
        Assert.Equal(named.Files, unnamed.Files);
    }

    [Theory]
    [InlineData("dump-flows.txt", DumpKind.Flows)]
    [InlineData("ovs-ofctl_show.out", DumpKind.Show)]
    [InlineData("ovsports", DumpKind.Show)]
    [InlineData("iptables-save.log", DumpKind.Iptables)]
    [InlineData("worker1.iptables", DumpKind.Iptables)]
    [InlineData("ipset.save", DumpKind.Ipsets)]
    [InlineData("address", DumpKind.IpAddr)]
    [InlineData("ip-j-addr.json", DumpKind.IpAddr)]
    [InlineData("route-table-all", DumpKind.IpRoute)]
    [InlineData("neighbours", DumpKind.IpNeigh)]
    [InlineData("clusterinfo", DumpKind.Kube)]
    public void The_obvious_names_name_their_dumps(string name, DumpKind kind) => Assert.Equal(kind, DumpNames.Classify(name, ""));

    [Fact]
    public void Named_tables_without_dump_tables_are_numbered_in_the_dumps_order()
    {
        // Antrea 2.x's pipeline as its agent's dump-flows --names prints it: table 0 unnamed, the others in table order.
        const string flows = """
             cookie=0x1000000000000, duration=5.1s, table=0, n_packets=0, n_bytes=0, idle_age=5, priority=200,in_port="antrea-gw0" actions=set_field:0x2/0xf->reg0,goto_table:ClassifierTable
             cookie=0x1000000000000, duration=5.1s, table=ClassifierTable, n_packets=0, n_bytes=0, idle_age=5, priority=0 actions=goto_table:SpoofGuard
             cookie=0x1000000000000, duration=5.1s, table=SpoofGuard, n_packets=0, n_bytes=0, idle_age=5, priority=0 actions=goto_table:UnSNAT
             cookie=0x1000000000000, duration=5.1s, table=UnSNAT, n_packets=0, n_bytes=0, idle_age=5, priority=0 actions=goto_table:ConntrackZone
             cookie=0x1000000000000, duration=5.1s, table=ConntrackZone, n_packets=0, n_bytes=0, idle_age=5, priority=200,ip actions=ct(table=ConntrackState,zone=65520,nat)
             cookie=0x1000000000000, duration=5.1s, table=ConntrackState, n_packets=0, n_bytes=0, idle_age=5, priority=0 actions=resubmit(,"DNAT(SessionAffinity)")
             cookie=0x1000000000000, duration=5.1s, table=Output, n_packets=0, n_bytes=0, idle_age=5, priority=0 actions=drop
            """;
        var tables = TableNamesDump.Number(flows, "flows", fromDump: null, out bool guessed);
        Assert.True(guessed);
        Assert.Equal(
            [(1, "ClassifierTable"), (2, "SpoofGuard"), (3, "UnSNAT"), (4, "ConntrackZone"), (5, "ConntrackState"), (6, "Output"), (7, "DNAT(SessionAffinity)")],
            tables!.Select(t => ((int)t.Key, t.Value)));

        // With dump-tables (OpenFlow 1.0 cuts names to 31 characters) the node's own numbers.
        var dumped = TableNamesDump.ParseDumpTables(new DumpFile(DumpKind.Tables, "dump-tables", """
              table 0:
                active=1, lookup=0, matched=0
              table 1 ("ClassifierTable"):
              table 2 ("SpoofGuard"): ditto
              table 5 ("UnSNAT"): ditto
              table 9 ("ConntrackZone"): ditto
              table 10 ("ConntrackState"): ditto
              table 12 ("DNAT(SessionAffinity)"): ditto
              table 40 ("Output"): ditto
              table 41 ("AntreaPolicyMultiTierIngressRul"): ditto
            """));
        var numbered = TableNamesDump.Number(flows, "flows", dumped, out guessed);
        Assert.False(guessed);
        Assert.Equal([(1, "ClassifierTable"), (2, "SpoofGuard"), (5, "UnSNAT"), (9, "ConntrackZone"), (10, "ConntrackState"), (12, "DNAT(SessionAffinity)"), (40, "Output"), (41, "AntreaPolicyMultiTierIngressRul")],
            numbered!.Select(t => ((int)t.Key, t.Value)));
    }

    [Fact]
    public void Dump_meters_layout_becomes_one_add_meter_line_per_meter()
    {
        const string dump = """
            OFPST_METER_CONFIG reply (OF1.3) (xid=0x2):
            meter=1 kbps burst stats bands=
            type=drop rate=1000 burst_size=50
            type=drop rate=2000 burst_size=80

            meter=256 pktps burst stats bands=
            type=drop rate=100 burst_size=200
            """;
        Assert.Equal(
            [("meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=50,type=drop,rate=2000,burst_size=80", 2), ("meter=256,pktps,burst,stats,bands=type=drop,rate=100,burst_size=200", 6)],
            DumpText.Meters(dump));
    }

    [Fact]
    public void Reply_headers_and_ip6tables_tables_become_comments_and_keep_the_line_numbers()
    {
        Assert.Equal("# NXST_FLOW reply (xid=0x4):\n cookie=0x0, priority=0 actions=drop\n", DumpText.CommentReplyHeaders("NXST_FLOW reply (xid=0x4):\n cookie=0x0, priority=0 actions=drop\n"));
        string v4 = "# Generated by iptables-save v1.8.9\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n";
        string v6 = "# Generated by ip6tables-save v1.8.9\n*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n";
        Assert.Equal(v4 + "# Generated by ip6tables-save v1.8.9\n#*filter\n#:INPUT ACCEPT [0:0]\n#COMMIT\n", DumpText.Ipv4Tables(v4 + v6, out bool hadIpv6));
        Assert.True(hadIpv6);
    }
}
