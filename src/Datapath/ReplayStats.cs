using System.Text.Json;

namespace Datapath.Engine;

/// <summary>
/// The summary of a replay (DESIGN.md's <c>replay --json</c> shape): frames in, copies sent per
/// output port, drops per reason (and table), and the extra copies when a frame left on several
/// ports, so that frames_in = frames with an output + drops, checked by <see cref="IsBalanced"/>.
/// Use it as the sink (or wrap another) and call <see cref="Record"/> with each verdict.
/// </summary>
public sealed class ReplayStats : IPacketSink
{
    private readonly IPacketSink? _inner;
    private readonly SortedDictionary<string, long> _outputs = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _drops = new(StringComparer.Ordinal);

    public ReplayStats(IPacketSink? inner = null) => _inner = inner;

    public long FramesIn { get; private set; }
    /// <summary>Frames that left on at least one port.</summary>
    public long FramesOut { get; private set; }
    public long FramesDropped { get; private set; }
    /// <summary>Copies beyond the first of frames that left on several ports.</summary>
    public long Copies { get; private set; }
    /// <summary>Copies sent per port name.</summary>
    public IReadOnlyDictionary<string, long> Outputs => _outputs;
    /// <summary>Drops per "reason" or "reason in table N".</summary>
    public IReadOnlyDictionary<string, long> Drops => _drops;

    public bool IsBalanced => FramesIn == FramesOut + FramesDropped;

    public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame)
    {
        _outputs[port.Name] = _outputs.GetValueOrDefault(port.Name) + 1;
        _inner?.Output(node, port, frame);
    }

    /// <summary>Accounts one frame offered to a node.</summary>
    public void Record(PacketVerdict verdict)
    {
        FramesIn++;
        if (verdict.Outputs > 0)
        {
            FramesOut++;
            Copies += verdict.Outputs - 1;
        }
        else
        {
            FramesDropped++;
            string key = DropReasonNames.Describe(verdict.DropTable, verdict.DropReason ?? DropReason.NoOutput);
            _drops[key] = _drops.GetValueOrDefault(key) + 1;
        }
    }

    /// <summary><c>{"frames_in":N,"outputs":{"port":n},"drops":{"reason":n},"copies":n}</c>.</summary>
    public string ToJson(bool indented = false)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteNumber("frames_in", FramesIn);
            w.WriteStartObject("outputs");
            foreach (var (k, v) in _outputs)
                w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteStartObject("drops");
            foreach (var (k, v) in _drops)
                w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteNumber("copies", Copies);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
