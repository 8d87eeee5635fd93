namespace Datapath.Engine;

/// <summary>
/// One thread's batches of <see cref="Size"/> frames (dpif-netdev's NETDEV_MAX_BURST: what Node.Prepare takes at a time)
/// and its stats scopes of <see cref="StatsBatches"/> batches: while a scope is open, every node's flow cache on this
/// thread counts its hits in its megaflows and credits the rules and ports once, when the scope ends, so dump-flows is
/// exact at every scope's end and a frame costs no shared stats update. (Crediting a megaflow's rules is two atomic
/// adds per rule; per 32 frames it cost about 25 ns a frame, 8 % of a cached frame, measured 2026-12-06.) The live
/// daemon opens its own scope per received batch, so its counters lag by one batch at most.
/// Not thread-safe: one per thread.
/// </summary>
public sealed class JourneyBatch(IReadOnlyList<Node> nodes)
{
    public const int Size = 32;

    /// <summary>Batches per stats scope: replay credits the rules every 256 frames and at the end.</summary>
    public const int StatsBatches = 8;

    private readonly Node.BatchScope[] _scopes = new Node.BatchScope[nodes.Count];
    private int _frames;
    private bool _open;

    /// <summary>Called before each frame: opens a stats scope, or ends a full one and opens the next.</summary>
    public void Next()
    {
        if (_open && _frames == Size * StatsBatches)
            End();
        if (!_open)
        {
            for (int i = 0; i < nodes.Count; i++)
                _scopes[i] = nodes[i].Batch();
            _open = true;
            _frames = 0;
        }
        _frames++;
    }

    /// <summary>Ends the open stats scope (pushes the caches' stats).</summary>
    public void End()
    {
        if (!_open)
            return;
        foreach (var s in _scopes)
            s.Dispose();
        _open = false;
    }
}
