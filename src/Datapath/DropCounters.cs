namespace Datapath.Engine;

/// <summary>
/// Drops per (table, reason), OVS's coverage counters made specific. Table 255 stands for
/// "not in a table" (ingress, tunnel, malformed). Lock-free increments; reads any time.
/// </summary>
public sealed class DropCounters
{
    /// <summary>The pseudo table of drops that happen outside the OpenFlow tables.</summary>
    public const byte NoTable = 255;

    private static readonly int s_reasonCount = Enum.GetValues<DropReason>().Length;
    private readonly long[] _counts = new long[256 * s_reasonCount];

    internal void Add(byte table, DropReason reason) => Interlocked.Increment(ref _counts[table * s_reasonCount + (int)reason]);

    public long Get(byte table, DropReason reason) => Volatile.Read(ref _counts[table * s_reasonCount + (int)reason]);

    /// <summary>Drops for a reason, all tables together.</summary>
    public long Get(DropReason reason)
    {
        long sum = 0;
        for (int t = 0; t < 256; t++)
            sum += Volatile.Read(ref _counts[t * s_reasonCount + (int)reason]);
        return sum;
    }

    public long Total
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _counts.Length; i++)
                sum += Volatile.Read(ref _counts[i]);
            return sum;
        }
    }

    /// <summary>The non-zero counters, table then reason order.</summary>
    public IEnumerable<(byte Table, DropReason Reason, long Count)> NonZero()
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            long c = Volatile.Read(ref _counts[i]);
            if (c != 0)
                yield return ((byte)(i / s_reasonCount), (DropReason)(i % s_reasonCount), c);
        }
    }

    internal void Clear() => Array.Clear(_counts);
}
