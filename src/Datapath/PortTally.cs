namespace Datapath.Engine;

/// <summary>
/// One thread's rx/tx packet and byte counts per port of one bridge since the last push: the
/// per-frame counting is plain adds, and <see cref="Push"/> (at the end of a batch, or after each frame
/// outside one — the same points as the flow cache's stats) adds them to the ports' shared
/// <see cref="PortCounters"/> with one atomic add per counter touched, as dpif-netdev keeps per-PMD stats.
/// </summary>
/// <remarks>Owned by one thread (inside its XlateContext). Drops stay counted at once: they are rare.</remarks>
internal sealed class PortTally
{
    private BridgePort?[] _ports = new BridgePort?[16];
    private long[] _counts = new long[16 * 4];
    private readonly List<int> _dirty = [];

    public void Rx(BridgePort port, int bytes) => Add(port, 0, bytes);

    public void Tx(BridgePort port, int bytes) => Add(port, 2, bytes);

    private void Add(BridgePort port, int at, int bytes)
    {
        int i = port.Index;
        if (i >= _ports.Length)
        {
            Array.Resize(ref _ports, Math.Max(i + 1, _ports.Length * 2));
            Array.Resize(ref _counts, _ports.Length * 4);
        }
        if (_ports[i] is null)
        {
            _ports[i] = port;
            _dirty.Add(i);
        }
        _counts[i * 4 + at]++;
        _counts[i * 4 + at + 1] += bytes;
    }

    /// <summary>Adds the tallies to the ports' counters and starts again.</summary>
    public void Push()
    {
        foreach (int i in _dirty)
        {
            var c = _counts.AsSpan(i * 4, 4);
            _ports[i]!.Counters.Add(c[0], c[1], c[2], c[3]);
            c.Clear();
            _ports[i] = null;
        }
        _dirty.Clear();
    }
}
