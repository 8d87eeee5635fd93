namespace Datapath.Classifier;

/// <summary>
/// The times a flow dump measures <c>duration=</c> and <c>idle_age=</c> against, in the milliseconds the
/// bridge's packets carry: offline, the frames' capture timestamps (a replay of a ten-second capture shows
/// rules ten seconds old); live, the daemon's monotonic clock. <see cref="StartMs"/> is when the bridge began
/// (the first frame of a replay, the daemon's start): a rule loaded with the scenario has existed since then.
/// The default, (0, 0), is a bridge that has seen no time pass (a dump of a scenario as loaded).
/// </summary>
public readonly record struct FlowStatsClock(long StartMs, long NowMs)
{
    /// <summary>The rule's age: from its flow-mod (or the bridge's start) to now; never negative.</summary>
    public TimeSpan Duration(FlowRule rule)
        => TimeSpan.FromMilliseconds(Math.Max(0, NowMs - Created(rule)));

    /// <summary>Time since the rule last matched a packet (since its creation if it never did), as OVS's idle_age.</summary>
    public TimeSpan IdleAge(FlowRule rule)
    {
        long last = rule.LastUsedMs;
        return TimeSpan.FromMilliseconds(Math.Max(0, NowMs - (last == FlowRule.Never ? Created(rule) : last)));
    }

    private long Created(FlowRule rule) => rule.CreatedMs == FlowRule.Never ? StartMs : rule.CreatedMs;
}
