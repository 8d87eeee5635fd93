using System.Text.RegularExpressions;
using Datapath.Antrea;
using Datapath.Engine.Tracing;

namespace Datapath.Engine.Tests.Seed;

/// <summary>
/// Runs the flow of each real OVS 3.1 trace (tests/Data/ovs-3.1/trace-*.txt, first line) through
/// our bridge and compares the sequence of tables visited with the one OVS printed.
/// </summary>
public sealed partial class OvsTraceComparisonTests
{
    [GeneratedRegex(@"^\s*(\d+)\. ")]
    private static partial Regex TableLine();

    [Theory]
    [InlineData("trace-worker1-phase1.txt", "worker1")]
    [InlineData("trace-worker1-phase2.txt", "worker1")]
    [InlineData("trace-worker2-phase2.txt", "worker2")]
    public void Tables_visited_match_ovs(string file, string node)
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", "ovs-3.1", file));
        string flow = lines[0]["# ovs-appctl ofproto/trace br-int ".Length..];
        var expected = lines.Select(l => TableLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

        var scenario = AntreaScenario.LoadEmbedded();
        var trace = new Trace();
        var verdict = scenario.GetNode(node).ProcessFlow(flow, null, 1000, trace, out _);

        Assert.Equal(expected, trace.TablesVisited(node));
        Assert.Equal(1, verdict.Outputs);
    }
}
