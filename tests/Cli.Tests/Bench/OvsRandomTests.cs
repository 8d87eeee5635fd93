using Datapath.Cli.Bench;

namespace Datapath.Cli.Tests.Bench;

/// <summary>OvsRandom is lib/random.c's xorshift (13, 17, 5) step for step.</summary>
public sealed class OvsRandomTests
{
    /// <summary>The xorshift written out on 64-bit integers, as lib/random.c's random_next does it on a uint32_t.</summary>
    private static uint Reference(ref ulong s)
    {
        s = (s ^ (s << 13)) & 0xffffffff;
        s ^= s >> 17;
        s = (s ^ (s << 5)) & 0xffffffff;
        return (uint)s;
    }

    [Fact]
    public void Seed_1_starts_with_the_value_worked_out_by_hand()
    {
        // 1 ^ 1 << 13 = 8193; 8193 >> 17 = 0; 8193 ^ 8193 << 5 = 8193 ^ 262176 = 270369.
        var r = new OvsRandom(1);
        Assert.Equal(270369u, r.NextUInt32());
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(0xb3faca38u)]
    [InlineData(0xffffffffu)]
    public void Follows_the_reference_for_many_steps(uint seed)
    {
        var r = new OvsRandom(seed);
        ulong s = seed;
        for (int i = 0; i < 10_000; i++)
            Assert.Equal(Reference(ref s), r.NextUInt32());
    }

    [Fact]
    public void Range_is_the_remainder_of_the_next_value()
    {
        var a = new OvsRandom(7);
        var b = new OvsRandom(7);
        for (int i = 1; i < 1000; i++)
            Assert.Equal((int)(b.NextUInt32() % (uint)i), a.Range(i));
    }

    [Fact]
    public void Seed_0_is_refused_as_OVS_asserts()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new OvsRandom(0));
}
