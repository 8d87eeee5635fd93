namespace Datapath.Engine;

/// <summary>
/// One thread's batches of up to <see cref="Size"/> frames (dpif-netdev's NETDEV_MAX_BURST): while a batch is
/// open, every node's flow cache on this thread counts its hits in its megaflows and credits the rules and ports
/// once, when the batch ends, so dump-flows stays exact and a frame costs no shared stats update.
/// Not thread-safe: one per thread.
/// </summary>
public sealed class JourneyBatch(IReadOnlyList<Node> nodes)
{
    public const int Size = 32;
    private readonly Node.BatchScope[] _scopes = new Node.BatchScope[nodes.Count];
    private int _frames;
    private bool _open;

    /// <summary>Called before each frame: opens a batch, or ends a full one and opens the next.</summary>
    public void Next()
    {
        if (_open && _frames == Size)
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

    /// <summary>Ends the open batch (pushes the caches' stats).</summary>
    public void End()
    {
        if (!_open)
            return;
        foreach (var s in _scopes)
            s.Dispose();
        _open = false;
    }
}
