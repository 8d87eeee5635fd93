namespace Datapath.Engine;

/// <summary>
/// Frames in input order for one <see cref="JourneyWorkers.Run"/>: where each enters (a node and a bridge port),
/// its time, a caller's tag (a replay keeps the capture timestamp there), and its bytes, copied into one arena
/// that is reused from window to window (no allocation once it has grown to the largest window).
/// </summary>
public sealed class JourneyWindow
{
    private readonly JourneyNode[] _nodes;
    private readonly uint[] _inPorts;
    private readonly long[] _nowMs;
    private readonly long[] _tags;
    private readonly int[] _offsets;
    private readonly int[] _lengths;
    private byte[] _arena = new byte[64 * 1024];
    private int _used;

    /// <param name="capacity">Frames per window.</param>
    public JourneyWindow(int capacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _nodes = new JourneyNode[capacity];
        _inPorts = new uint[capacity];
        _nowMs = new long[capacity];
        _tags = new long[capacity];
        _offsets = new int[capacity];
        _lengths = new int[capacity];
    }

    public int Capacity { get; }
    public int Count { get; private set; }
    public bool IsFull => Count == Capacity;

    /// <summary>Appends a frame entering <paramref name="node"/> on bridge port <paramref name="inPort"/> (copied).</summary>
    /// <exception cref="InvalidOperationException">The window is full.</exception>
    public void Add(JourneyNode node, uint inPort, ReadOnlySpan<byte> frame, long nowMs, long tag = 0)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (IsFull)
            throw new InvalidOperationException("the window is full");
        if (_used + frame.Length > _arena.Length)
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _used + frame.Length));
        frame.CopyTo(_arena.AsSpan(_used));
        int i = Count++;
        (_nodes[i], _inPorts[i], _nowMs[i], _tags[i], _offsets[i], _lengths[i]) = (node, inPort, nowMs, tag, _used, frame.Length);
        _used += frame.Length;
    }

    public void Clear()
    {
        Array.Clear(_nodes, 0, Count);
        Count = 0;
        _used = 0;
    }

    public JourneyNode Node(int index) => _nodes[Check(index)];
    public uint InPort(int index) => _inPorts[Check(index)];
    public long NowMs(int index) => _nowMs[Check(index)];
    public long Tag(int index) => _tags[Check(index)];
    public ReadOnlySpan<byte> Frame(int index) => _arena.AsSpan(_offsets[Check(index)], _lengths[index]);

    private int Check(int index) => (uint)index < (uint)Count ? index : throw new ArgumentOutOfRangeException(nameof(index));
}
