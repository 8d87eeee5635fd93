using Datapath.Netfilter.IpSets;
using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

internal static class Harness
{
    public static IpSetCollection Sets()
    {
        var sets = IpsetSaveParser.ParseText(RuleFixtures.Ipsets, "RuleFixtures.Ipsets");
        return IpsetSaveParser.ParseFile(RepoPaths.Scenario("ipsets.save"), sets);
    }

    public static NetfilterEngine Engine(string document, ulong seed = 1, INetfilterHost? host = null, INatConntrack? conntrack = null)
        => new(IptablesSaveParser.ParseText(document, "fixture"), new NetfilterEngineOptions
        {
            Sets = Sets(),
            RandomSeed = seed,
            Host = host,
            Conntrack = conntrack,
        });

    /// <summary>Runs one hook with tracing on; returns the verdict and the trace as strings.</summary>
    public static (NetfilterVerdict Verdict, List<string> Trace) Run(NetfilterEngine engine, NetfilterHook hook, ref FlowKey key,
        string? inInterface = null, string? outInterface = null, long nowMs = 0, Span<byte> frame = default)
    {
        var trace = new List<NetfilterTraceStep>();
        var packet = new NetfilterPacket(ref key, frame)
        {
            InInterface = inInterface,
            OutInterface = outInterface,
            NowMs = nowMs,
            Trace = trace,
        };
        var v = engine.Run(hook, ref packet);
        return (v, trace.ConvertAll(s => s.ToString()));
    }

    /// <summary>The last rule step of a trace ("table:chain:rule:N:VERDICT"), or the policy step.</summary>
    public static string Last(List<string> trace) => trace.Count == 0 ? "<none>" : trace[^1];
}
