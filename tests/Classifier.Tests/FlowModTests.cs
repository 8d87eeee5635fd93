using Datapath.Packets;

namespace Datapath.Classifier.Tests;

public class FlowModTests
{
    private static FlowRule Rule(string text) => FlowParser.Parse(text, null).ToRule();

    private static Match M(string text) => FlowParser.ParseFilter(text, null).Match;

    private static FlowKey Key(string src) => Scenario.Ipv4(src, "10.0.0.9", IpProtocols.Tcp, 80);

    [Fact]
    public void Add_replaces_the_rule_with_the_same_match_and_priority()
    {
        var set = new FlowTableSet();
        FlowRule a = Rule("table=3,priority=5,ip,nw_src=10.0.0.1 actions=a");
        set.Add(a);
        set.Add(Rule("table=3,priority=6,ip,nw_src=10.0.0.1 actions=other-priority"));
        FlowRule? replaced = set.Add(Rule("table=3,priority=5,ip,nw_src=10.0.0.1 actions=b"));
        Assert.Same(a, replaced);
        Assert.Equal(["b", "other-priority"], set.Rules(3).Select(r => r.ActionsText).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Replacement_keeps_the_position_in_dump_order()
    {
        var set = new FlowTableSet();
        set.Add(Rule("priority=1,ip actions=first"));
        set.Add(Rule("priority=2,ip actions=second"));
        set.Add(Rule("priority=1,ip actions=first-again"));
        Assert.Equal(["first-again", "second"], set.Rules(0).Select(r => r.ActionsText));
    }

    [Fact]
    public void Non_strict_delete_removes_every_rule_within_the_match()
    {
        var set = new FlowTableSet();
        set.Add(Rule("priority=5,ip,nw_src=10.0.0.1 actions=a"));
        set.Add(Rule("priority=7,tcp,nw_src=10.0.0.1,tp_dst=80 actions=b"));
        set.Add(Rule("priority=5,ip,nw_src=10.0.0.2 actions=c"));
        set.Add(Rule("priority=5 actions=catchall"));
        Assert.Equal(2, set.Delete(M("ip,nw_src=10.0.0.1")));
        Assert.Equal(["c", "catchall"], set.Rules(0).Select(r => r.ActionsText));
    }

    [Fact]
    public void Strict_delete_needs_the_identical_match_and_priority()
    {
        var set = new FlowTableSet();
        set.Add(Rule("priority=5,ip,nw_src=10.0.0.1 actions=a"));
        set.Add(Rule("priority=7,tcp,nw_src=10.0.0.1,tp_dst=80 actions=b"));
        Assert.Equal(0, set.DeleteStrict(0, M("ip,nw_src=10.0.0.1"), 6));
        Assert.Equal(1, set.DeleteStrict(0, M("ip,nw_src=10.0.0.1"), 5));
        Assert.Equal(["b"], set.Rules(0).Select(r => r.ActionsText));
    }

    [Fact]
    public void Delete_by_cookie_and_mask()
    {
        var set = new FlowTableSet();
        set.Add(Rule("cookie=0x1050000000000,table=50,priority=5,ip actions=a"));
        set.Add(Rule("cookie=0x1040000000000,table=50,priority=6,ip actions=b"));
        set.Add(Rule("cookie=0x1050000000001,table=60,priority=5,ip actions=c"));
        Assert.Equal(2, set.Delete(Match.CatchAll, null, 0x1050000000000, 0xffff000000000000 | 0xff0000000000));
        Assert.Equal(["b"], set.Rules().Select(r => r.ActionsText));
    }

    [Fact]
    public void Modify_changes_actions_and_keeps_counters()
    {
        var set = new FlowTableSet();
        FlowRule a = Rule("priority=5,ip,nw_src=10.0.0.1 actions=a");
        set.Add(a);
        a.AddStats(100);
        Assert.Equal(1, set.Modify(M("ip"), Rule("ip actions=changed")));
        FlowRule now = Assert.Single(set.Rules(0));
        Assert.Equal("changed", now.ActionsText);
        Assert.Equal(1, now.PacketCount);
        Assert.Equal(100, now.ByteCount);
        Assert.Equal(5, now.Priority);
        FlowKey key = Key("10.0.0.1");
        FlowKey consulted = default;
        Assert.Same(now, set.Lookup(0, in key, ref consulted));
    }

    [Fact]
    public void Strict_modify_touches_only_the_identical_rule()
    {
        var set = new FlowTableSet();
        set.Add(Rule("priority=5,ip,nw_src=10.0.0.1 actions=a"));
        set.Add(Rule("priority=5,ip actions=b"));
        Assert.Equal(1, set.ModifyStrict(0, M("ip"), 5, Rule("ip actions=b2")));
        Assert.Equal(["a", "b2"], set.Rules(0).Select(r => r.ActionsText));
    }

    [Fact]
    public void Modify_to_conjunction_makes_the_rule_conjunctive()
    {
        var set = new FlowTableSet();
        set.Add(Rule("priority=5,ip,nw_src=10.0.0.1 actions=a"));
        set.Modify(M("ip"), Rule("ip actions=conjunction(1,1/2)"));
        Assert.True(Assert.Single(set.Rules(0)).IsConjunctive);
    }

    [Fact]
    public void A_failed_bundle_changes_nothing()
    {
        var set = new FlowTableSet();
        set.Add(Rule("priority=5,ip actions=keep"));
        long version = set.Version;
        FlowMod[] bundle =
        [
            FlowMod.Delete(Match.CatchAll),
            FlowMod.Add(Rule("priority=9,ip actions=new")),
            FlowMod.Add(Rule("priority=9,ip,nw_src=10.0.0.1,check_overlap actions=clash")),
        ];
        Assert.Throws<InvalidOperationException>(() => set.ApplyBundle(bundle));
        Assert.Equal(version, set.Version);
        Assert.Equal(["keep"], set.Rules(0).Select(r => r.ActionsText));
        FlowKey key = Key("10.0.0.1");
        FlowKey consulted = default;
        Assert.Equal("keep", set.Lookup(0, in key, ref consulted)!.ActionsText);
    }

    [Fact]
    public void Check_overlap_refuses_an_overlapping_add()
    {
        var set = new FlowTableSet();
        set.Add(Rule("priority=5,ip actions=a"));
        var ex = Assert.Throws<InvalidOperationException>(() => set.Add(Rule("priority=5,tcp,check_overlap actions=b")));
        Assert.StartsWith("OFPFMFC_OVERLAP", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bundle_is_atomic_for_concurrent_lookups()
    {
        // Each bundle deletes the only matching rule and adds its successor in another subtable
        // (alternating masks).  A reader that saw the delete without the add would miss; one that
        // saw the add without the delete could see the older generation after a newer one.
        static FlowRule Gen(int gen) => FlowParser.Parse(
            gen % 2 == 0 ? $"priority=5,ip,nw_src=10.0.0.0/8 actions=gen{gen}" : $"priority=5,ip actions=gen{gen}", null).ToRule();
        await RaceBundlesAgainstAReader(new FlowTableSet(), Gen, Key("10.0.0.1"));
    }

    [Fact]
    public async Task Bundle_is_atomic_for_concurrent_lookups_through_the_prefix_stage()
    {
        // Ten background subtables (nw_src /20../29 of another network) make the table use the
        // prefix stage; the generations alternate between nw_src /8 and /12, so every bundle
        // removes one prefix length and creates the other: a new prefix snapshot and a new plan,
        // published with the version, while the reader runs.
        var set = new FlowTableSet();
        for (int length = 20; length < 30; length++)
            set.Add(FlowParser.Parse($"priority=9,ip,nw_src=192.168.0.0/{length} actions=other", null).ToRule());
        static FlowRule Gen(int gen) => FlowParser.Parse(
            $"priority=5,ip,nw_src=10.0.0.0/{(gen % 2 == 0 ? 8 : 12)} actions=gen{gen}", null).ToRule();
        await RaceBundlesAgainstAReader(set, Gen, Key("10.0.0.1"));
    }

    /// <summary>
    /// Adds generation 0, then 3,000 bundles each deleting the current generation and adding the
    /// next, while a reader looks <paramref name="key"/> up: it never misses and never goes back.
    /// </summary>
    private static async Task RaceBundlesAgainstAReader(FlowTableSet set, Func<int, FlowRule> gen, FlowKey key)
    {
        set.Add(gen(0));
        using var stop = new CancellationTokenSource();
        int misses = 0, backwards = 0, reads = 0;
        using var started = new ManualResetEventSlim();
        Task reader = Task.Factory.StartNew(() =>
        {
            int last = 0;
            while (!stop.IsCancellationRequested)
            {
                FlowKey c = default;
                FlowRule? r = set.Lookup(0, in key, ref c);
                if (r is null)
                {
                    Interlocked.Increment(ref misses);
                    continue;
                }
                int g = int.Parse(r.ActionsText.AsSpan(3), System.Globalization.CultureInfo.InvariantCulture);
                if (g < last)
                    Interlocked.Increment(ref backwards);
                last = g;
                Interlocked.Increment(ref reads);
                started.Set();
            }
        }, TaskCreationOptions.LongRunning);
        // On a loaded machine the reader may start late: the bundles must race a running reader.
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "the reader never ran");
        FlowRule current = set.Rules(0).Single(r => r.ActionsText.StartsWith("gen", StringComparison.Ordinal));
        for (int g = 1; g <= 3000; g++)
        {
            FlowRule next = gen(g);
            set.ApplyBundle([FlowMod.Delete(current.Match, 0, strict: true, current.Priority), FlowMod.Add(next)]);
            current = next;
        }
        await stop.CancelAsync();
        await reader;
        Assert.Equal(0, misses);
        Assert.Equal(0, backwards);
        Assert.True(reads > 0);
        Assert.Equal("gen3000", Assert.Single(set.Rules(0), r => r.ActionsText.StartsWith("gen", StringComparison.Ordinal)).ActionsText);
    }

    [Fact]
    public void A_bundle_is_invisible_until_published()
    {
        var set = new FlowTableSet();
        set.Add(Rule("priority=1,ip actions=old"));
        FlowKey key = Key("10.0.0.1");
        var seen = new List<string>();
        // Nothing staged is visible: a rule added in a bundle that fails never showed.
        Assert.ThrowsAny<Exception>(() => set.ApplyBundle([FlowMod.Add(Rule("priority=9,ip actions=staged")), FlowMod.Add(Rule("check_overlap,priority=9,ip,nw_src=10.0.0.1 actions=bad"))]));
        FlowKey c = default;
        Assert.Equal("old", set.Lookup(0, in key, ref c)!.ActionsText);
        _ = seen;
    }
}
