namespace Datapath.Cli.Bench;

/// <summary>
/// Open vSwitch's pseudo-random numbers (lib/random.c, lib/random.h): Marsaglia's 32-bit xorshift
/// (13, 17, 5), one state per thread, set by <c>random_set_seed</c>. The ovstest benchmarks seed it
/// with 1 and derive their rules and lookup flows from it, so the same sequence here gives the same
/// rule set and the same lookups, and so the same hit and miss counts as OVS prints.
/// A mutable struct: keep it in a local or a field and pass it by ref.
/// </summary>
internal struct OvsRandom
{
    private uint _seed;

    /// <summary>random_set_seed: the seed must not be 0 (xorshift's one fixed point; OVS asserts it).</summary>
    public OvsRandom(uint seed)
    {
        ArgumentOutOfRangeException.ThrowIfZero(seed);
        _seed = seed;
    }

    /// <summary>random_uint32.</summary>
    public uint NextUInt32()
    {
        uint s = _seed;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        _seed = s;
        return s;
    }

    /// <summary>random_range(max): <c>random_uint32() % max</c> (max &gt; 0).</summary>
    public int Range(int max) => (int)(NextUInt32() % (uint)max);
}
