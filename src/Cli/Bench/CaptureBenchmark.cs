using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Datapath.Engine;
using Datapath.Engine.Cache;
using Datapath.Io.Capture;

namespace Datapath.Cli.Bench;

/// <summary>
/// `datapath bench FILE.pcap --node N --in-port P [--scenario DIR] [--workers K] [--no-cache] [--json]`: a user's
/// own capture through their own tables, timed. The capture is read into memory first (windows of the journey, as
/// replay fills them), so the clock sees only the datapath: every frame runs its whole journey (bridge, host stack
/// behind antrea-gw0) exactly as replay runs it, and what leaves is counted, not written. Reported: frames/s and ns
/// per frame, bytes allocated per frame, the flow cache's hit rate and megaflows, connections at the end, and per
/// OpenFlow table the packets its rules matched and the lookups that matched nothing (dump-tables' matched and
/// lookup counts over the run), as lookups/s and a hit rate.
/// </summary>
internal sealed class CaptureBenchmark : IJourneyWindowSink
{
    private long _outputs, _drops, _deliveries;

    public void FrameStart(JourneyWindow window, int index)
    {
    }

    public void FrameDone(JourneyWindow window, int index, in JourneyResult result)
    {
    }

    public void Output(in JourneyExit exit, ReadOnlySpan<byte> frame) => _outputs++;

    public void Transit(in JourneyExit via, ReadOnlySpan<byte> frame)
    {
        // Node scope: a frame to the tunnel leaves the journey as an output; no transit comes.
    }

    public void Deliver(JourneyNode node, ReadOnlySpan<byte> frame) => _deliveries++;

    public void Drop(in JourneyDrop drop) => _drops++;

    /// <summary>The result of one run.</summary>
    public sealed record Result(string Node, string InPort, long Frames, TimeSpan Elapsed, long AllocatedBytes, long Outputs, long Drops, long Deliveries,
        FlowCacheStats Cache, bool CacheOn, int Workers, IReadOnlyList<(string Node, string Table, int Connections)> Conntrack,
        IReadOnlyList<(byte Table, long Matched, long Missed)> Tables)
    {
        public double FramesPerSecond => Elapsed.TotalSeconds > 0 ? Frames / Elapsed.TotalSeconds : 0;
        public double NsPerFrame => Frames > 0 ? Elapsed.TotalNanoseconds / Frames : 0;
        public double BytesPerFrame => Frames > 0 ? (double)AllocatedBytes / Frames : 0;
    }

    /// <summary>Reads <paramref name="path"/> into windows for <paramref name="node"/>/<paramref name="inPort"/>, then runs them on <paramref name="workers"/> threads, timed.</summary>
    /// <exception cref="Packets.InputException">The capture is malformed (offset given).</exception>
    public static Result Run(Journey journey, JourneyNode node, BridgePort inPort, string path, int workers, bool cacheOn)
    {
        var windows = new List<JourneyWindow>();
        long frames = 0;
        using var pool = new JourneyWorkers(journey, workers);
        using (var reader = PacketFileReader.Open(path))
        {
            var window = new JourneyWindow(pool.WindowCapacity);
            while (reader.TryReadNext(out var frame))
            {
                window.Add(node, inPort.OfPort, frame.Span, frame.TimestampMilliseconds);
                frames++;
                if (window.IsFull)
                {
                    windows.Add(window);
                    window = new JourneyWindow(pool.WindowCapacity);
                }
            }
            if (window.Count > 0)
                windows.Add(window);
        }
        var bridge = node.Bridged.Bridge;
        var before = bridge.TableLookups();
        var sink = new CaptureBenchmark();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        foreach (var w in windows)
            pool.Run(w, sink);
        clock.Stop();
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var tables = bridge.TableLookups()
            .Select(t => (t.Key, Before: before.GetValueOrDefault(t.Key), Now: t.Value))
            .Select(t => (t.Key, t.Now.Matched - t.Before.Matched, t.Now.Missed - t.Before.Missed))
            .Where(t => t.Item2 != 0 || t.Item3 != 0).ToList();
        var conntrack = new List<(string, string, int)>();
        foreach (var n in journey.Nodes)
        {
            if (n.Node is { } bridged)
                conntrack.Add((n.Name, "bridge", bridged.Conntrack.Count));
            if (n.Host is { } h)
                conntrack.Add((n.Name, "host", h.Conntrack.Count));
        }
        var cache = journey.Nodes.Select(n => n.Node?.CacheStats ?? default).Aggregate(default(FlowCacheStats), (a, b) => a + b);
        return new Result(node.Name, inPort.Name, frames, clock.Elapsed, allocated, sink._outputs, sink._drops, sink._deliveries,
            cache, cacheOn, pool.Count, conntrack, tables);
    }

    public static void WriteText(TextWriter w, Result r)
    {
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine(string.Create(inv, $"bench {r.Node} in_port {r.InPort}: {r.Frames:N0} frames in {r.Elapsed.TotalSeconds:F3} s: {r.FramesPerSecond / 1e6:F2} M frames/s, {r.NsPerFrame:F0} ns/frame, {r.BytesPerFrame:F1} B/frame allocated ({r.Workers} worker{(r.Workers > 1 ? "s" : "")})"));
        w.WriteLine(string.Create(inv, $"outputs {r.Outputs:N0}, host deliveries {r.Deliveries:N0}, drops {r.Drops:N0}"));
        w.WriteLine(r.CacheOn
            ? string.Create(inv, $"flow cache: {r.Cache.HitRate:P2} hits ({r.Cache.Hits:N0} hits, {r.Cache.Misses:N0} misses, {r.Cache.Entries:N0} megaflows, {r.Cache.Prepared:N0} frames prepared ahead)")
            : "flow cache: off (--no-cache)");
        w.WriteLine("conntrack: " + string.Join(", ", r.Conntrack.Select(c => string.Create(inv, $"{c.Node} {c.Table} {c.Connections:N0}"))));
        w.WriteLine(" table    lookups/s      matched       missed  hit rate");
        foreach (var (table, matched, missed) in r.Tables)
        {
            long lookups = matched + missed;
            w.WriteLine(string.Create(inv, $"{table,6} {lookups / r.Elapsed.TotalSeconds / 1e6,10:F2} M {matched,12:N0} {missed,12:N0} {(double)matched / lookups,9:P1}"));
        }
    }

    public static void WriteJson(Utf8JsonWriter w, Result r)
    {
        w.WriteStartObject();
        w.WriteString("node", r.Node);
        w.WriteString("in_port", r.InPort);
        w.WriteNumber("frames", r.Frames);
        w.WriteNumber("workers", r.Workers);
        w.WriteNumber("elapsed_s", Math.Round(r.Elapsed.TotalSeconds, 6));
        w.WriteNumber("frames_per_s", Math.Round(r.FramesPerSecond));
        w.WriteNumber("ns_per_frame", Math.Round(r.NsPerFrame, 1));
        w.WriteNumber("allocated_bytes_per_frame", Math.Round(r.BytesPerFrame, 2));
        w.WriteNumber("outputs", r.Outputs);
        w.WriteNumber("host_deliveries", r.Deliveries);
        w.WriteNumber("drops", r.Drops);
        r.Cache.WriteJson(w, r.CacheOn);
        w.WriteStartArray("conntrack");
        foreach (var (node, table, connections) in r.Conntrack)
        {
            w.WriteStartObject();
            w.WriteString("node", node);
            w.WriteString("table", table);
            w.WriteNumber("connections", connections);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("tables");
        foreach (var (table, matched, missed) in r.Tables)
        {
            long lookups = matched + missed;
            w.WriteStartObject();
            w.WriteNumber("table", table);
            w.WriteNumber("lookups", lookups);
            w.WriteNumber("matched", matched);
            w.WriteNumber("missed", missed);
            w.WriteNumber("lookups_per_s", Math.Round(lookups / r.Elapsed.TotalSeconds));
            w.WriteNumber("hit_rate", Math.Round((double)matched / lookups, 4));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
