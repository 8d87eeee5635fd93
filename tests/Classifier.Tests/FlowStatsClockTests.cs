namespace Datapath.Classifier.Tests;

/// <summary>
/// dump-flows' <c>duration</c> and <c>idle_age</c> on the bridge's packet clock, as a running daemon keeps it:
/// rules loaded at the start are as old as the bridge, a flow-mod stamps its rule when it runs, a hit
/// resets idle_age, and mod-flows keeps a rule's age (OVS's modify keeps the rule's created time).
/// </summary>
public sealed class FlowStatsClockTests
{
    private static ParsedFlow Flow(string text) => FlowParser.Parse(text, null, "t.flows", 1);

    private static FlowRule Rule(FlowTableSet set, string match) => Assert.Single(set.Rules(), r => r.Format(null, false).Contains(match, StringComparison.Ordinal));

    [Fact]
    public void A_running_bridge_ages_its_rules_from_their_flow_mods_and_its_start()
    {
        long now = 0;
        var set = new FlowTableSet();
        set.Load([Flow("table=0,priority=10,ip,actions=drop")]);
        set.ClockMs = () => now;

        now = 5_000; // ctl add-flow at 5 s
        set.Apply(FlowMod.FromParsed(Flow("table=0,priority=20,tcp,actions=drop"), FlowModCommand.Add));
        var loaded = Rule(set, "priority=10,ip ");
        var added = Rule(set, "priority=20,tcp ");
        added.AddStats(60, nowMs: 7_250); // a packet at 7.25 s

        var clock = new FlowStatsClock(StartMs: 1_000, NowMs: 10_000);
        Assert.Equal(TimeSpan.FromMilliseconds(9_000), clock.Duration(loaded));
        Assert.Equal(TimeSpan.FromMilliseconds(9_000), clock.IdleAge(loaded)); // never hit: idle since it exists
        Assert.Equal(TimeSpan.FromMilliseconds(5_000), clock.Duration(added));
        Assert.Equal(TimeSpan.FromMilliseconds(2_750), clock.IdleAge(added));
        Assert.Contains("duration=5s, table=0, n_packets=1, n_bytes=60, idle_age=2, priority=20,tcp actions=drop", added.Format(null, true, clock), StringComparison.Ordinal);

        now = 8_000; // mod-flows at 8 s: new actions, the same rule's age and last hit
        set.Apply(FlowMod.FromParsed(Flow("table=0,priority=20,tcp,actions=output:1"), FlowModCommand.ModifyStrict));
        var modified = Rule(set, "priority=20,tcp ");
        Assert.NotSame(added, modified);
        Assert.Equal(TimeSpan.FromMilliseconds(5_000), clock.Duration(modified));
        Assert.Equal(TimeSpan.FromMilliseconds(2_750), clock.IdleAge(modified));
    }

    [Fact]
    public void The_latest_hit_wins_whatever_order_threads_report_them_in()
    {
        var set = new FlowTableSet();
        set.Load([Flow("priority=1,actions=drop")]);
        var rule = Assert.Single(set.Rules());
        Parallel.For(0, 10_000, i => rule.Touch(i % 2 == 0 ? i : 10_000 - i));
        Assert.Equal(9_999, rule.LastUsedMs);
        rule.Touch(5);
        Assert.Equal(9_999, rule.LastUsedMs);
    }
}
