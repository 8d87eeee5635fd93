namespace Datapath.Netfilter;

/// <summary>
/// The random source of <c>statistic --mode random</c>: xorshift64* seeded by the caller so a replay draws the
/// same numbers (the kernel uses get_random_u32). Thread-safe: the state advances by compare-exchange, so
/// concurrent callers each get a distinct draw; with one thread the sequence is fixed by the seed.
/// </summary>
public sealed class NetfilterRandom
{
    private ulong _state;

    public NetfilterRandom(ulong seed) => _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

    /// <summary>The generator's state: it changes exactly when a rule draws (workers compare it around a parallel run).</summary>
    public ulong State => Volatile.Read(ref _state);

    public uint NextUInt32()
    {
        ulong s, n;
        do
        {
            s = Volatile.Read(ref _state);
            n = s;
            n ^= n >> 12;
            n ^= n << 25;
            n ^= n >> 27;
        }
        while (Interlocked.CompareExchange(ref _state, n, s) != s);
        return (uint)((n * 0x2545F4914F6CDD1DUL) >> 32);
    }
}
