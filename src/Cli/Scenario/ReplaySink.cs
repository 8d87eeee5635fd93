using Datapath.Engine.Host;
using Datapath.Io.Capture;

namespace Datapath.Cli.Scenario;

/// <summary>
/// Writes every frame a replay sends to <c>DIR/&lt;port&gt;.pcap</c> (or <c>DIR/&lt;node&gt;/&lt;port&gt;.pcap</c>
/// for a cluster replay), opening each file on its first frame. Frames sent to a tunnel port are the
/// GENEVE frames as they leave the node's uplink, including those the peer node then received.
/// </summary>
internal sealed class ReplaySink(string directory, bool perNode) : IDisposable
{
    private readonly Dictionary<(string Node, string Port), PcapWriter> _writers = [];

    public static string Key(HostedOutput o, bool perNode) => perNode ? $"{o.Node}/{o.Port}" : o.Port;

    public void Write(HostedResult result, long timestampNanoseconds)
    {
        foreach (var o in result.Transits.Concat(result.Outputs))
        {
            if (!_writers.TryGetValue((o.Node, o.Port), out var writer))
            {
                string dir = perNode ? Path.Combine(directory, o.Node) : directory;
                Directory.CreateDirectory(dir);
                writer = PcapWriter.Create(Path.Combine(dir, o.Port + ".pcap"));
                _writers.Add((o.Node, o.Port), writer);
            }
            writer.WriteFrame(o.Frame, timestampNanoseconds);
        }
    }

    public void Dispose()
    {
        foreach (var w in _writers.Values)
            w.Dispose();
        _writers.Clear();
    }
}
