using System.Text.Json;
using Datapath.Engine;

namespace Datapath.Cli.Scenario;

/// <summary>
/// What a replay did: frames in, frames out per port, drops per reason (and table), extra copies
/// and tunnel hops. Invariant, checked by <see cref="Balanced"/>:
/// frames_in + tunnel_hops == Σ outputs + Σ drops − copies.
/// </summary>
internal sealed class ReplaySummary
{
    public long FramesIn { get; set; }
    public long Copies { get; set; }
    /// <summary>Frames a node sent through its tunnel that the peer node then processed.</summary>
    public long TunnelHops { get; set; }
    public Dictionary<string, long> Outputs { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> Drops { get; } = new(StringComparer.Ordinal);
    /// <summary>Drops by "table N: reason" for the text report.</summary>
    public Dictionary<string, long> DropsByTable { get; } = new(StringComparer.Ordinal);

    public void Add(IReadOnlyList<(Node Node, PacketVerdict Verdict)> verdicts)
    {
        FramesIn++;
        TunnelHops += verdicts.Count - 1;
        foreach (var (node, v) in verdicts)
        {
            if (v.Outputs > 1)
                Copies += v.Outputs - 1;
            if (v.Outputs == 0)
            {
                string reason = v.DropReason is { } r ? DropReasonNames.Name(r) : "unknown";
                Drops[reason] = Drops.GetValueOrDefault(reason) + 1;
                string where = v.DropTable == DropCounters.NoTable ? $"{node.Name}: {reason}" : $"{node.Name} table {v.DropTable}: {reason}";
                DropsByTable[where] = DropsByTable.GetValueOrDefault(where) + 1;
            }
        }
    }

    public bool Balanced => FramesIn + TunnelHops == Outputs.Values.Sum() + Drops.Values.Sum() - Copies;

    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("frames_in", FramesIn);
        w.WriteStartObject("outputs");
        foreach (var (k, v) in Outputs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            w.WriteNumber(k, v);
        w.WriteEndObject();
        w.WriteStartObject("drops");
        foreach (var (k, v) in Drops.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            w.WriteNumber(k, v);
        w.WriteEndObject();
        if (Copies > 0)
            w.WriteNumber("copies", Copies);
        if (TunnelHops > 0)
            w.WriteNumber("tunnel_hops", TunnelHops);
        w.WriteBoolean("balanced", Balanced);
        w.WriteEndObject();
    }

    public void WriteText(TextWriter o)
    {
        o.WriteLine($"frames in: {FramesIn}");
        o.WriteLine("outputs:");
        foreach (var (k, v) in Outputs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            o.WriteLine($"  {k,-28} {v}");
        if (Outputs.Count == 0)
            o.WriteLine("  (none)");
        o.WriteLine("drops:");
        foreach (var (k, v) in DropsByTable.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            o.WriteLine($"  {k,-40} {v}");
        if (DropsByTable.Count == 0)
            o.WriteLine("  (none)");
        if (Copies > 0)
            o.WriteLine($"extra copies: {Copies}");
        if (TunnelHops > 0)
            o.WriteLine($"tunnel hops: {TunnelHops}");
        o.WriteLine(Balanced
            ? $"check: frames in{(TunnelHops > 0 ? " + tunnel hops" : "")} = outputs + drops{(Copies > 0 ? " - copies" : "")}: ok"
            : "check: frames in != outputs + drops (a frame was lost: please report this)");
    }
}
