using Datapath.Cli.Output;
using Datapath.Engine;
using Datapath.Io.Capture;

namespace Datapath.Cli.Scenario;

/// <summary>
/// The journey sink of a replay: writes every frame that leaves to <c>DIR/&lt;port&gt;.pcap</c> (or
/// <c>DIR/&lt;node&gt;/&lt;port&gt;.pcap</c> for a cluster replay) as it comes, opening each file on its first
/// frame, and tells the summary. Frames sent to a tunnel port are the GENEVE frames as they leave the node's
/// uplink, including those the peer node then received (transits). With a <paramref name="pcapng"/>
/// (<c>replay --pcapng</c>), every such frame is also written there, in order, on interface NODE/PORT;
/// with no <paramref name="directory"/>, there only. A pod's answer to an ARP request that left on its port (the
/// scenario's pods answer as their kernels do) goes into that port's pcap too, as a capture on the veth shows it.
/// </summary>
internal sealed class ReplaySink(string? directory, bool perNode, ReplaySummary summary, NodePortPcapng? pcapng = null) : IJourneyWindowSink, IDisposable
{
    private readonly Dictionary<(string Node, string Port), PcapWriter> _writers = [];
    // The last port written: a replay's frames mostly leave by the same port, and the names are the
    // bridge's own string instances, so a reference compare saves hashing two strings per frame.
    private string? _lastNode, _lastPort;
    private PcapWriter? _lastWriter;

    /// <summary>The capture time of the frame being replayed: the time of everything it causes.</summary>
    public long TimestampNanoseconds { get; set; }

    /// <summary>A window's frame begins: its capture time (the window's tag) is the time of what it causes.</summary>
    public void FrameStart(JourneyWindow window, int index) => TimestampNanoseconds = window.Tag(index);

    public void FrameDone(JourneyWindow window, int index, in JourneyResult result) => summary.FrameDone(in result);

    public void Output(in JourneyExit exit, ReadOnlySpan<byte> frame)
    {
        Write(exit.Node.Name, exit.Name, frame);
        summary.Output(exit.Node.Name, exit.Name);
    }

    public void Transit(in JourneyExit via, ReadOnlySpan<byte> frame)
    {
        Write(via.Node.Name, via.Name, frame);
        summary.Transit(via.Node.Name, via.Name);
    }

    public void Deliver(JourneyNode node, ReadOnlySpan<byte> frame)
    {
        // Counted from the journey's result (ReplaySummary.FrameDone); nothing to write.
    }

    public void Drop(in JourneyDrop drop) => summary.Drop(in drop);

    /// <summary>A pod's ARP reply to a request that left on its port: written to that port's pcap after the request, as tcpdump on the veth shows it.</summary>
    public void Answer(in JourneyExit exit, ReadOnlySpan<byte> frame) => Write(exit.Node.Name, exit.Name, frame);

    private void Write(string node, string port, ReadOnlySpan<byte> frame)
    {
        pcapng?.Write(node, port, frame, TimestampNanoseconds);
        if (directory is null)
            return;
        if (ReferenceEquals(node, _lastNode) && ReferenceEquals(port, _lastPort))
        {
            _lastWriter!.WriteFrame(frame, TimestampNanoseconds);
            return;
        }
        if (!_writers.TryGetValue((node, port), out var writer))
        {
            string dir = perNode ? Path.Combine(directory, node) : directory;
            Directory.CreateDirectory(dir);
            writer = PcapWriter.Create(Path.Combine(dir, port + ".pcap"));
            _writers.Add((node, port), writer);
        }
        (_lastNode, _lastPort, _lastWriter) = (node, port, writer);
        writer.WriteFrame(frame, TimestampNanoseconds);
    }

    public void Dispose()
    {
        foreach (var w in _writers.Values)
            w.Dispose();
        _writers.Clear();
    }
}
