using Datapath.Engine;

namespace Datapath.Cli.Scenario;

/// <summary>
/// Groups a replay's frames into batches of <see cref="Size"/> (dpif-netdev's NETDEV_MAX_BURST): while a
/// batch is open every node's flow cache counts its hits in the megaflows and credits the rules once, when
/// the batch ends, so dump-flows after the replay is exact and the per-frame cost has no stats updates.
/// </summary>
internal sealed class ReplayBatch(IReadOnlyList<Node> nodes)
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
