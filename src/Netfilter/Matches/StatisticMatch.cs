namespace Datapath.Netfilter.Matches;

/// <summary>
/// <c>-m statistic --mode random [!] --probability P</c> and <c>--mode nth [!] --every N [--packet P]</c>
/// (xt_statistic). As the kernel: random matches when <c>(rand32 &amp; 0x7FFFFFFF) &lt; lround(P * 2^31)</c>;
/// nth keeps a per-rule counter that starts at N-1-P and matches when it wraps from N-1 to 0.
/// </summary>
public sealed class StatisticMatch : XtMatch
{
    private int _count;

    internal StatisticMatch(bool random, uint probability, uint every, uint packet, bool invert)
    {
        IsRandom = random;
        Probability = probability;
        Every = every;
        Packet = packet;
        Invert = invert;
        _count = (int)(every - 1 - packet);
    }

    public override string Name => "statistic";

    public bool IsRandom { get; }

    /// <summary>The kernel's u.random.probability: lround(P * 0x80000000).</summary>
    public uint Probability { get; }

    /// <summary>N of --every N (the kernel stores N-1).</summary>
    public uint Every { get; }

    public uint Packet { get; }

    public bool Invert { get; }

    internal override bool Matches(ref NetfilterPacket packet, NetfilterEngine engine)
    {
        if (IsRandom)
            return ((engine.Random.NextUInt32() & 0x7FFFFFFF) < Probability) ^ Invert;

        int last = (int)(Every - 1);
        int oval, nval;
        do
        {
            oval = Volatile.Read(ref _count);
            nval = oval == last ? 0 : oval + 1;
        }
        while (Interlocked.CompareExchange(ref _count, nval, oval) != oval);
        return (nval == 0) ^ Invert;
    }
}
