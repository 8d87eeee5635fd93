using System.Text.Json;
using Datapath.Engine.Host;

namespace Datapath.Cli.Scenario;

/// <summary>
/// What a replay did: frames in, frames out per port, drops per reason (and place), frames a host
/// consumed, and the extra copies. Invariant, checked by <see cref="Balanced"/>: every frame in ended
/// somewhere, and frames_in == Σ outputs + Σ drops + delivered − copies.
/// </summary>
internal sealed class ReplaySummary(bool perNode)
{
    public long FramesIn { get; private set; }
    /// <summary>Results beyond one per frame in: NORMAL's flood copies, a host's reply next to a consumed request.</summary>
    public long Copies { get; private set; }
    /// <summary>Frames a host accepted for itself (an ARP or echo request it answered).</summary>
    public long Delivered { get; private set; }
    /// <summary>Frames that produced nothing at all — never expected; a non-zero count is a bug.</summary>
    public long Lost { get; private set; }
    public Dictionary<string, long> Outputs { get; } = new(StringComparer.Ordinal);
    /// <summary>GENEVE frames carried to a peer node, per sending tunnel port (not results: the peer's are).</summary>
    public Dictionary<string, long> Transits { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, long> Drops { get; } = new(StringComparer.Ordinal);
    /// <summary>Drops by "node place: reason" for the text report.</summary>
    public Dictionary<string, long> DropsByPlace { get; } = new(StringComparer.Ordinal);

    public void Add(HostedResult result)
    {
        FramesIn++;
        long events = result.Outputs.Count + result.Drops.Count + result.Delivered;
        if (events == 0)
            Lost++;
        else
            Copies += events - 1;
        Delivered += result.Delivered;
        foreach (var o in result.Outputs)
        {
            string key = ReplaySink.Key(o, perNode);
            Outputs[key] = Outputs.GetValueOrDefault(key) + 1;
        }
        foreach (var t in result.Transits)
        {
            string key = ReplaySink.Key(t, perNode);
            Transits[key] = Transits.GetValueOrDefault(key) + 1;
        }
        foreach (var d in result.Drops)
        {
            Drops[d.Reason] = Drops.GetValueOrDefault(d.Reason) + 1;
            string where = $"{d.Node} {d.Where}: {d.Reason}";
            DropsByPlace[where] = DropsByPlace.GetValueOrDefault(where) + 1;
        }
    }

    public bool Balanced => Lost == 0 && FramesIn == Outputs.Values.Sum() + Drops.Values.Sum() + Delivered - Copies;

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
        if (Transits.Count > 0)
        {
            w.WriteStartObject("tunnel_transits");
            foreach (var (k, v) in Transits.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                w.WriteNumber(k, v);
            w.WriteEndObject();
        }
        if (Delivered > 0)
            w.WriteNumber("delivered", Delivered);
        w.WriteBoolean("balanced", Balanced);
        w.WriteEndObject();
    }

    public void WriteText(TextWriter o)
    {
        o.WriteLine($"frames in: {FramesIn}");
        o.WriteLine("outputs:");
        foreach (var (k, v) in Outputs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            o.WriteLine($"  {k,-32} {v}");
        if (Outputs.Count == 0)
            o.WriteLine("  (none)");
        o.WriteLine("drops:");
        foreach (var (k, v) in DropsByPlace.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            o.WriteLine($"  {k,-48} {v}");
        if (DropsByPlace.Count == 0)
            o.WriteLine("  (none)");
        foreach (var (k, v) in Transits.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            o.WriteLine($"through the tunnel to a peer node: {k} {v}");
        if (Delivered > 0)
            o.WriteLine($"delivered to a host: {Delivered}");
        if (Copies > 0)
            o.WriteLine($"extra copies: {Copies}");
        o.WriteLine(Balanced
            ? "check: frames in = outputs + drops" + (Delivered > 0 ? " + delivered" : "") + (Copies > 0 ? " - copies" : "") + ": ok"
            : $"check: FAILED, {Lost} frame(s) produced nothing (please report this)");
    }
}
