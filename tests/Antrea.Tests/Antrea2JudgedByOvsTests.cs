using Datapath.Classifier;
using Datapath.Engine;

namespace Datapath.Antrea.Tests;

/// <summary>
/// Open vSwitch 3.1 judges the Antrea 2.x lab's bridges: a headless ovs-vswitchd with each worker's ports and Antrea 2.x's
/// Flow_Table names takes our printed meters, groups and flows (as add-meter, add-groups and add-flows with --names) and
/// dumps back every line as we print it, with names and without.
/// </summary>
public sealed class Antrea2JudgedByOvsTests
{
    private static readonly AntreaScenario s_lab = AntreaScenario.LoadEmbedded("antrea-2");

    internal static OvsSwitchJudge StartLike(Bridge bridge)
        => OvsSwitchJudge.TryStart("br-int", bridge.Ports.Select(p => (p.OfPort, p.Name)), AntreaTables.V2FlowTables, out string? why)
            ?? throw new InvalidOperationException(why);

    /// <summary>Loads what our bridge prints into OVS: the TLV map, the meters, the groups and the flows, in add-meter, add-groups, add-flows order.</summary>
    internal static void LoadOurDump(OvsSwitchJudge ovs, Bridge bridge)
    {
        ovs.Ofctl("add-tlv-map", ovs.Bridge, AntreaFields.TlvMap);
        foreach (var m in bridge.Meters)
            ovs.Ofctl("-O", "OpenFlow15", "add-meter", ovs.Bridge, MeterLine(bridge, m.Id));
        string groups = Path.GetTempFileName(), flows = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(groups, bridge.DumpGroups(NamesShown.PortsAndTables));
            File.WriteAllLines(flows, bridge.DumpFlows(withStats: false, names: NamesShown.PortsAndTables));
            ovs.Ofctl("-O", "OpenFlow15", "--names", "add-groups", ovs.Bridge, groups);
            ovs.Ofctl("-O", "OpenFlow15", "--names", "add-flows", ovs.Bridge, flows);
        }
        finally
        {
            File.Delete(groups);
            File.Delete(flows);
        }
    }

    // dump-meters prints "meter=256 pktps burst bands=" and "type=drop rate=5000 burst_size=10000"; add-meter reads the same words comma-separated.
    private static string MeterLine(Bridge bridge, uint id)
        => string.Join(',', string.Concat(bridge.DumpMeters(id)).Split(' ', StringSplitOptions.RemoveEmptyEntries)).Replace("bands=,", "bands=", StringComparison.Ordinal);

    private static string[] Lines(string dump)
        => [.. dump.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("NXST_", StringComparison.Ordinal) && !l.StartsWith("OFPST_", StringComparison.Ordinal))];

    [Theory]
    [InlineData("worker1")]
    [InlineData("worker2")]
    public void Every_flow_group_and_meter_prints_back_from_ovs_3_1_as_we_print_it(string node)
    {
        if (OvsSwitchJudge.SkipReason is { } skip)
            throw new InvalidOperationException(skip); // a theory has no skip of its own: the judge must run (CI installs it)
        Bridge bridge = s_lab.GetNode(node).Bridge;
        using var ovs = StartLike(bridge);
        LoadOurDump(ovs, bridge);
        foreach (var (shown, flag) in new[] { (NamesShown.PortsAndTables, "--names"), (NamesShown.None, "--no-names") })
        {
            Assert.Equal(bridge.DumpFlows(withStats: false, names: shown).Order(StringComparer.Ordinal),
                Lines(ovs.Ofctl("-O", "OpenFlow15", flag, "--no-stats", "dump-flows", ovs.Bridge)).Order(StringComparer.Ordinal));
            // OVS lists groups in its hash map's order, ours by id.
            Assert.Equal(bridge.DumpGroups(shown).Order(StringComparer.Ordinal),
                Lines(ovs.Ofctl("-O", "OpenFlow15", flag, "dump-groups", ovs.Bridge)).Order(StringComparer.Ordinal));
        }
        foreach (var m in bridge.Meters)
            Assert.Equal(string.Join('\n', Lines(ovs.Ofctl("-O", "OpenFlow13", "dump-meters", ovs.Bridge, $"meter={m.Id}"))), string.Join('\n', bridge.DumpMeters(m.Id)));
        // The lab's files are those dumps, as a user would paste them from `ovs-ofctl dump-flows br-int --names --no-stats`.
        Assert.Equal(Lines(s_lab.ReadFile($"{node}.flows")!).Order(StringComparer.Ordinal),
            Lines(ovs.Ofctl("-O", "OpenFlow15", "--names", "--no-stats", "dump-flows", ovs.Bridge)).Order(StringComparer.Ordinal));
    }
}
