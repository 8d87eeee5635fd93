using System.Text.RegularExpressions;

namespace Datapath.Engine.Tests.Cache;

/// <summary>dump-flows with stats, durations left out (they are wall time): what two equivalent runs must agree on.</summary>
internal static partial class RuleStats
{
    public static List<string> Of(Node n)
        => n.Bridge.DumpFlows(withStats: true).Select(l => DurationRegex().Replace(l, "")).ToList();

    [GeneratedRegex(@"duration=[0-9.]+s, ")]
    private static partial Regex DurationRegex();
}
