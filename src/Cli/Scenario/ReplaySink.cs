using Datapath.Engine;
using Datapath.Io.Capture;

namespace Datapath.Cli.Scenario;

/// <summary>
/// Writes every frame a replay sends to <c>DIR/&lt;port&gt;.pcap</c> (or <c>DIR/&lt;node&gt;/&lt;port&gt;.pcap</c>
/// for a cluster replay), opening each file on its first frame, and counts the frames per port.
/// Frames sent to a tunnel port are the GENEVE frames as they leave the node's uplink.
/// </summary>
internal sealed class ReplaySink(string directory, bool perNode) : IPacketSink, IDisposable
{
    private readonly Dictionary<(string Node, string Port), PcapWriter> _writers = [];
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    /// <summary>The capture time of the frame being replayed; outputs carry it.</summary>
    public long TimestampNanoseconds { get; set; }

    /// <summary>Frames sent, by port name (or NODE/PORT for a cluster replay).</summary>
    public IReadOnlyDictionary<string, long> Counts => _counts;

    public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame)
    {
        if (!_writers.TryGetValue((node.Name, port.Name), out var writer))
        {
            string dir = perNode ? Path.Combine(directory, node.Name) : directory;
            Directory.CreateDirectory(dir);
            writer = PcapWriter.Create(Path.Combine(dir, port.Name + ".pcap"));
            _writers.Add((node.Name, port.Name), writer);
        }
        writer.WriteFrame(frame, TimestampNanoseconds);
        string key = perNode ? $"{node.Name}/{port.Name}" : port.Name;
        _counts[key] = _counts.GetValueOrDefault(key) + 1;
    }

    public void Dispose()
    {
        foreach (var w in _writers.Values)
            w.Dispose();
        _writers.Clear();
    }
}
