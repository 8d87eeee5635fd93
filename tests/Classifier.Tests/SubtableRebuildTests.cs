using Datapath.Packets;

namespace Datapath.Classifier.Tests;

/// <summary>
/// The subtable's hash table grows and sweeps tombstones by building a new table (Subtable.Rebuild);
/// lookups must see exactly the rules present across those rebuilds, and the head rule cached per
/// identical-match list must follow adds and removes within the list.
/// </summary>
public class SubtableRebuildTests
{
    private static Match Dst(uint nwDst) => new MatchBuilder().Set(FieldId.EthType, EtherTypes.IPv4).Set(FieldId.NwDst, nwDst).Build();

    private static FlowKey Key(uint nwDst) => new() { EthType = EtherTypes.IPv4, NwDst = nwDst };

    [Fact]
    public void Lookups_follow_growth_and_tombstone_sweeps_of_one_subtable()
    {
        var c = new FlowClassifier();
        var rules = new FlowRule[600];
        for (int i = 0; i < rules.Length; i++)
        {
            rules[i] = new FlowRule(0, 100, Dst(0x0A000000u + (uint)i), "drop");
            c.Insert(rules[i]);
        }
        Assert.Equal(1, c.SubtableCount);
        for (int i = 0; i < rules.Length; i += 3)
            c.Remove(rules[i]);     // 200 emptied lists: several sweeps
        for (int i = 0; i < rules.Length; i++)
        {
            FlowRule? hit = c.Lookup(Key(0x0A000000u + (uint)i));
            Assert.Same(i % 3 == 0 ? null : rules[i], hit);
        }
        // An emptied list (tombstone or swept) comes back when its match is added again.
        var again = new FlowRule(0, 100, Dst(0x0A000000u), "drop");
        c.Insert(again);
        Assert.Same(again, c.Lookup(Key(0x0A000000u)));
    }

    [Fact]
    public void The_head_of_an_identical_match_list_follows_adds_and_removes()
    {
        var c = new FlowClassifier();
        var low = new FlowRule(0, 10, Dst(0x0A000001u), "low");
        var high = new FlowRule(0, 20, Dst(0x0A000001u), "high");
        c.Insert(low);
        Assert.Same(low, c.Lookup(Key(0x0A000001u)));
        c.Insert(high);
        Assert.Same(high, c.Lookup(Key(0x0A000001u)));
        c.Remove(high);
        Assert.Same(low, c.Lookup(Key(0x0A000001u)));
        c.Remove(low);
        Assert.Null(c.Lookup(Key(0x0A000001u)));
    }
}
