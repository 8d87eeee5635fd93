using Datapath.Engine.Host;

namespace Datapath.Engine;

/// <summary>
/// Frames in input order for one <see cref="JourneyWorkers.Run"/>: where each enters (a node and a bridge port, a
/// device of the node's host: <see cref="AddHost"/>, or the node's own stack: <see cref="AddLocal"/>), its time, a caller's tag (a replay keeps the capture timestamp there), and its bytes, copied into one arena
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
    private readonly bool[] _local;
    private readonly HostInterface?[] _devices;
    private byte[] _arena = new byte[64 * 1024];
    private int _used;

    /// <summary>Frames per window unless the caller says otherwise.</summary>
    public const int DefaultCapacity = 4096;

    /// <param name="capacity">Frames per window.</param>
    public JourneyWindow(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _nodes = new JourneyNode[capacity];
        _inPorts = new uint[capacity];
        _nowMs = new long[capacity];
        _tags = new long[capacity];
        _offsets = new int[capacity];
        _lengths = new int[capacity];
        _local = new bool[capacity];
        _devices = new HostInterface?[capacity];
    }

    public int Capacity { get; }
    public int Count { get; private set; }
    public bool IsFull => Count == Capacity;

    /// <summary>Appends a frame entering <paramref name="node"/> on bridge port <paramref name="inPort"/> (copied).</summary>
    /// <exception cref="InvalidOperationException">The window is full.</exception>
    public void Add(JourneyNode node, uint inPort, ReadOnlySpan<byte> frame, long nowMs, long tag = 0)
        => Append(node, inPort, local: false, frame, nowMs, tag);

    /// <summary>
    /// Appends a packet <paramref name="node"/>'s host sends itself (ip_local_out, <see cref="Journey.RunLocal"/>;
    /// its L2 header is ignored). Such frames always run alone, in window order (see <see cref="JourneyWorkers"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The window is full.</exception>
    public void AddLocal(JourneyNode node, ReadOnlySpan<byte> frame, long nowMs, long tag = 0)
        => Append(node, 0, local: true, frame, nowMs, tag);

    /// <summary>
    /// Appends a frame <paramref name="node"/>'s host receives on <paramref name="device"/> (<see cref="Journey.RunHost"/>:
    /// a pod's frame on its cali veth). Like <see cref="AddLocal"/>'s, such frames run alone, in window order.
    /// </summary>
    /// <exception cref="InvalidOperationException">The window is full.</exception>
    public void AddHost(JourneyNode node, HostInterface device, ReadOnlySpan<byte> frame, long nowMs, long tag = 0)
    {
        ArgumentNullException.ThrowIfNull(device);
        Append(node, 0, local: true, frame, nowMs, tag);
        _devices[Count - 1] = device;
    }

    private void Append(JourneyNode node, uint inPort, bool local, ReadOnlySpan<byte> frame, long nowMs, long tag)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (IsFull)
            throw new InvalidOperationException("the window is full");
        if (_used + frame.Length > _arena.Length)
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _used + frame.Length));
        frame.CopyTo(_arena.AsSpan(_used));
        int i = Count++;
        (_nodes[i], _inPorts[i], _nowMs[i], _tags[i], _offsets[i], _lengths[i], _local[i]) = (node, inPort, nowMs, tag, _used, frame.Length, local);
        _used += frame.Length;
        _devices[i] = null;
    }

    public void Clear()
    {
        Array.Clear(_nodes, 0, Count);
        Array.Clear(_devices, 0, Count);
        Count = 0;
        _used = 0;
    }

    public JourneyNode Node(int index) => _nodes[Check(index)];
    public uint InPort(int index) => _inPorts[Check(index)];
    /// <summary>Whether frame <paramref name="index"/> enters its node's host, sent by its stack (<see cref="AddLocal"/>) or received on a device (<see cref="AddHost"/>), rather than a bridge port.</summary>
    public bool IsLocal(int index) => _local[Check(index)];
    /// <summary>The host device frame <paramref name="index"/> is received on (<see cref="AddHost"/>), or null.</summary>
    public HostInterface? Device(int index) => _devices[Check(index)];
    public long NowMs(int index) => _nowMs[Check(index)];
    public long Tag(int index) => _tags[Check(index)];
    public ReadOnlySpan<byte> Frame(int index) => _arena.AsSpan(_offsets[Check(index)], _lengths[index]);

    private int Check(int index) => (uint)index < (uint)Count ? index : throw new ArgumentOutOfRangeException(nameof(index));
}
