using Datapath.Io.Capture;

namespace Datapath.Cli.Output;

/// <summary>
/// One pcapng file whose interfaces are named NODE/PORT (e.g. <c>worker1/antrea-gw0</c>), the names
/// <c>replay --cluster</c> reads a frame's node and port from: an Interface Description Block is
/// added the first time a NODE/PORT is written, then every frame is an Enhanced Packet Block on
/// it, in the order written. Used by <c>demo --out</c> and <c>replay --pcapng</c>.
/// </summary>
/// <remarks>Thread-safety: none. Cost: a frame to the same NODE/PORT as the one before is a reference
/// compare of the two names (callers pass the bridge's own strings), else a dictionary lookup; no
/// allocation but the first time a NODE/PORT is seen.</remarks>
internal sealed class NodePortPcapng : IDisposable
{
    private readonly PcapngWriter _writer;
    private readonly Dictionary<(string Node, string Port), int> _interfaces = [];
    private string? _lastNode, _lastPort;
    private int _lastId;

    private NodePortPcapng(PcapngWriter writer) => _writer = writer;

    /// <summary>Creates (or overwrites) <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The file cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">The file is not ours to write.</exception>
    public static NodePortPcapng Create(string path) => new(PcapngWriter.Create(path));

    public long FramesWritten => _writer.FramesWritten;

    public int InterfaceCount => _writer.InterfaceCount;

    /// <summary>Writes <paramref name="frame"/> on interface NODE/PORT at <paramref name="timestampNanoseconds"/> (since 1970).</summary>
    public void Write(string node, string port, ReadOnlySpan<byte> frame, Int128 timestampNanoseconds)
    {
        if (!ReferenceEquals(node, _lastNode) || !ReferenceEquals(port, _lastPort))
        {
            if (!_interfaces.TryGetValue((node, port), out _lastId))
                _interfaces[(node, port)] = _lastId = _writer.AddInterface(node + "/" + port);
            (_lastNode, _lastPort) = (node, port);
        }
        _writer.WriteFrame(_lastId, frame, timestampNanoseconds);
    }

    public void Dispose() => _writer.Dispose();
}
