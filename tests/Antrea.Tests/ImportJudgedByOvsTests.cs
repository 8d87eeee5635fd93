using Datapath.Antrea.Import;
using Datapath.Classifier;
using Datapath.Engine;

namespace Datapath.Antrea.Tests;

/// <summary>
/// Open vSwitch 3.1 prints the dumps: a headless ovs-vswitchd holds the seed's worker1 bridge (its ports with their
/// MACs, Antrea v0.10's table names, the TLV map, the flows, plus a select group, a meter and a flow using both), and
/// what ovs-ofctl prints for it — dump-flows with stats (OpenFlow 1.0 as a user runs it, and <c>-O OpenFlow15 --names</c>
/// as Antrea's agent and its support bundle run it), show, dump-groups, dump-meters, dump-tlv-map, dump-tables — is
/// imported beside worker1's host dumps. The imported bridge then holds exactly what OVS holds: its flows, groups and
/// meters print as OVS prints them, its ports and table numbers are the switch's.
/// </summary>
public sealed class ImportJudgedByOvsTests : IDisposable
{
    private static readonly AntreaScenario s_seed = AntreaScenario.LoadEmbedded();
    private static readonly string s_dumps = Path.Combine(AppContext.BaseDirectory, "Data", "import", "seed");
    private readonly string _dir = Directory.CreateTempSubdirectory("import-ovs").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Group = "group_id=1,type=select,bucket=bucket_id:0,actions=output:48,bucket=bucket_id:1,actions=output:49";
    private const string Meter = "meter=256,pktps,burst,stats,bands=type=drop,rate=100,burst_size=200";
    private const string MeteredFlow = "table=110,priority=300,ip,nw_dst=10.222.1.250,actions=meter:256,group:1";

    [JudgedFact(nameof(OvsSwitchJudge))]
    public void What_ovs_3_1_prints_for_a_bridge_imports_into_the_same_bridge()
    {
        var seed = s_seed.GetNode("worker1").Bridge;
        using var ovs = OvsSwitchJudge.TryStart("br-int", seed.Ports.Select(p => (p.OfPort, p.Name)), seed.TableNames!.Entries.Select(e => new KeyValuePair<byte, string>(e.Table, e.Name)), out string? why)
            ?? throw new InvalidOperationException(why);
        foreach (var p in seed.Ports)
            ovs.SetInterface(p.Name, "type=internal", $"mac=\"{p.Mac}\"");
        ovs.Ofctl("add-tlv-map", ovs.Bridge, AntreaFields.TlvMap);
        ovs.Ofctl("-O", "OpenFlow13", "add-meter", ovs.Bridge, Meter);
        ovs.Ofctl("-O", "OpenFlow15", "add-group", ovs.Bridge, Group);
        string flows = Path.Combine(_dir, "add.flows");
        File.WriteAllLines(flows, [.. seed.DumpFlows(withStats: false, names: NamesShown.PortsAndTables), MeteredFlow]);
        ovs.Ofctl("del-flows", ovs.Bridge);
        ovs.Ofctl("-O", "OpenFlow15", "--names", "add-flows", ovs.Bridge, flows);

        string[] theirGroups = Lines(ovs.Ofctl("-O", "OpenFlow15", "--no-names", "dump-groups", ovs.Bridge)).Skip(1).Select(l => l.Trim()).ToArray();
        string theirMeters = ovs.Ofctl("-O", "OpenFlow13", "dump-meters", ovs.Bridge);
        // OVS prints a register load as load: in OpenFlow 1.0 and as set_field: in 1.5: the imported flows keep the dump's spelling.
        foreach (var (variant, version) in new[] { ("openflow10", "OpenFlow10"), ("antrea-agent", "OpenFlow15") })
        {
            string dumpFlows = variant == "openflow10" ? ovs.Ofctl("dump-flows", ovs.Bridge) : ovs.Ofctl("-O", version, "--names", "dump-flows", ovs.Bridge);
            string[] theirFlows = [.. Lines(ovs.Ofctl("-O", version, "--no-stats", "--no-names", "dump-flows", ovs.Bridge)).Select(l => l.TrimStart())]; // without the leading space, as DumpFlows
            string input = Path.Combine(_dir, variant);
            CopyHostDumps(input);
            string w1 = Path.Combine(input, "worker1");
            File.WriteAllText(Path.Combine(w1, "dump-flows"), dumpFlows);
            File.WriteAllText(Path.Combine(w1, "show"), ovs.Ofctl("show", ovs.Bridge));
            File.WriteAllText(Path.Combine(w1, "dump-groups"), ovs.Ofctl("-O", "OpenFlow15", "dump-groups", ovs.Bridge));
            File.WriteAllText(Path.Combine(w1, "dump-meters"), theirMeters);
            File.WriteAllText(Path.Combine(w1, "dump-tlv-map"), ovs.Ofctl("dump-tlv-map", ovs.Bridge));
            File.WriteAllText(Path.Combine(w1, "dump-tables"), ovs.Ofctl("dump-tables", ovs.Bridge));

            var result = ScenarioImporter.Import(ImportInput.Read(input));
            Assert.DoesNotContain(result.Notes, n => n.StartsWith("worker1: dump-tlv-map", StringComparison.Ordinal) || n.Contains("numbered in the order", StringComparison.Ordinal));
            var scenario = result.Save(Path.Combine(_dir, variant + "-scenario"));
            var ours = scenario.GetNode("worker1").Bridge;
            Assert.Equal(theirFlows.Order(StringComparer.Ordinal), ours.DumpFlows(withStats: false, names: NamesShown.None).Order(StringComparer.Ordinal));
            Assert.Equal(theirGroups, ours.DumpGroups().ToArray());
            Assert.Equal(Lines(theirMeters).Skip(1), ours.DumpMeters());
            // dump-tables names every table OVS names; OpenFlow 1.0 carries 31 characters of a name, and the flows give the rest of those they name.
            Assert.Equal(seed.TableNames!.Entries.Select(e => (e.Table, Cut(e.Name))), ours.TableNames!.Entries.OrderBy(e => e.Table).Select(e => (e.Table, Cut(e.Name))));
            Assert.Equal(seed.Ports.OrderBy(p => p.OfPort).Select(p => (p.OfPort, p.Name, p.Mac, p.Kind)), ours.Ports.OrderBy(p => p.OfPort).Select(p => (p.OfPort, p.Name, p.Mac, p.Kind)));
        }
    }

    private static string Cut(string name) => name.Length > 31 ? name[..31] : name;

    private static string[] Lines(string text) => text.TrimEnd('\n').Split('\n');

    /// <summary>worker1's host dumps (ip addr, routes, neighbours, iptables, ipsets), worker2 and kubectl's YAML from tests/Data/import/seed.</summary>
    private static void CopyHostDumps(string into)
    {
        foreach (string file in Directory.GetFiles(s_dumps, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(s_dumps, file);
            if (rel.StartsWith("worker1", StringComparison.Ordinal) && Path.GetFileName(rel) is "dump-flows" or "show" or "dump-tlv-map")
                continue;
            string to = Path.Combine(into, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }
}
