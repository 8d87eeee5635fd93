using Datapath.Classifier;

namespace Datapath.Engine.Tests.Cache;

/// <summary>
/// dump-flows with stats, measured on one fixed packet clock (the runs' frames carry 1,000 ms on, 10 ms per
/// batch): n_packets, n_bytes, and idle_age from each rule's last hit — what two equivalent runs must agree on.
/// </summary>
internal static class RuleStats
{
    private static readonly FlowStatsClock s_clock = new(StartMs: 1_000, NowMs: 60_000);

    public static List<string> Of(Node n) => [.. n.Bridge.DumpFlows(withStats: true, clock: s_clock)];
}
