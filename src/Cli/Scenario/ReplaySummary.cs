using System.Text.Json;
using Datapath.Engine;

namespace Datapath.Cli.Scenario;

/// <summary>
/// What a replay did: frames in, frames out per port, drops per reason (and place), frames a host
/// consumed, and the extra copies. Invariant, checked by <see cref="Balanced"/>: every frame in ended
/// somewhere, and frames_in == Σ outputs + Σ drops + delivered + waiting − copies (waiting: frames a host still holds
/// for a neighbour; a replay lets the hosts' timers run until it is 0). Counted as the journey reports
/// (keys are tuples, made text only when written), so a replay's steady state allocates nothing here.
/// </summary>
internal sealed class ReplaySummary(bool perNode)
{
    private readonly Dictionary<(string Node, string Port), long> _outputs = [];
    private readonly Dictionary<(string Node, string Port), long> _transits = [];
    private readonly Dictionary<DropReason, long> _drops = [];
    private readonly Dictionary<JourneyDrop, long> _dropsByPlace = [];

    public long FramesIn { get; private set; }
    /// <summary>Results beyond one per frame in: NORMAL's flood copies, a host's reply next to a consumed request.</summary>
    public long Copies { get; private set; }
    /// <summary>Frames a host accepted for itself (an ARP or echo request it answered).</summary>
    public long Delivered { get; private set; }
    /// <summary>Frames that produced nothing at all — never expected; a non-zero count is a bug.</summary>
    public long Lost { get; private set; }
    /// <summary>Frames still waiting for a neighbour (0 after the replay's hosts settled).</summary>
    public long Waiting { get; private set; }

    // The last port counted (see ReplaySink: names are the bridge's string instances); flushed into _outputs.
    private string? _lastNode, _lastPort;
    private long _lastCount;

    public void Output(string node, string port)
    {
        if (ReferenceEquals(node, _lastNode) && ReferenceEquals(port, _lastPort))
        {
            _lastCount++;
            return;
        }
        FlushLast();
        (_lastNode, _lastPort, _lastCount) = (node, port, 1);
    }

    private void FlushLast()
    {
        if (_lastNode is not null)
            _outputs[(_lastNode, _lastPort!)] = _outputs.GetValueOrDefault((_lastNode, _lastPort!)) + _lastCount;
        (_lastNode, _lastPort, _lastCount) = (null, null, 0);
    }

    /// <summary>A GENEVE frame carried to a peer node through a sending tunnel port (not a result: the peer's are).</summary>
    public void Transit(string node, string port) => _transits[(node, port)] = _transits.GetValueOrDefault((node, port)) + 1;

    public void Drop(in JourneyDrop drop)
    {
        _drops[drop.Reason] = _drops.GetValueOrDefault(drop.Reason) + 1;
        _dropsByPlace[drop] = _dropsByPlace.GetValueOrDefault(drop) + 1;
    }

    /// <summary>One frame's journey is over: what it came to.</summary>
    public void FrameDone(in JourneyResult result)
    {
        FramesIn++;
        if (result.Events == 0)
            Lost++;
        else
            Copies += result.Events - 1;
        Delivered += result.Delivered;
        Waiting += result.Queued;
    }

    /// <summary>A journey of the hosts' neighbour timers (no frame in): everything it came to is beyond the frames in.</summary>
    public void TimersDone(in JourneyResult result)
    {
        Copies += result.Events;
        Delivered += result.Delivered;
        Waiting += result.Queued;
    }

    public bool Balanced => Lost == 0 && FramesIn == FlushedOutputs().Values.Sum() + _drops.Values.Sum() + Delivered + Waiting - Copies;

    private Dictionary<(string Node, string Port), long> FlushedOutputs()
    {
        FlushLast();
        return _outputs;
    }

    private IEnumerable<(string Key, long Count)> ByPort(Dictionary<(string Node, string Port), long> counts)
        => counts.Select(kv => (perNode ? $"{kv.Key.Node}/{kv.Key.Port}" : kv.Key.Port, kv.Value)).OrderBy(x => x.Item1, StringComparer.Ordinal);

    private IEnumerable<(string Key, long Count)> Totals(IEnumerable<(string Key, long Count)> counts)
        => counts.GroupBy(x => x.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Sum(x => x.Count))).OrderBy(x => x.Key, StringComparer.Ordinal);

    private IEnumerable<(string Key, long Count)> DropsByName => Totals(_drops.Select(kv => (DropReasonNames.Name(kv.Key), kv.Value)));

    private IEnumerable<(string Key, long Count)> DropsByPlace => Totals(_dropsByPlace.Select(kv => (kv.Key.ToString(), kv.Value)));

    private TimeSpan _elapsed;
    private Engine.Cache.FlowCacheStats _cache;
    private bool _cacheOn;
    private int _workers = 1;
    private (long ParallelFrames, long SerialFrames, long ParallelRuns, long OrderHazards) _workerStats;

    /// <summary>Records how the frames were spread over worker threads (JourneyWorkers.Stats).</summary>
    public void Workers(int count, (long ParallelFrames, long SerialFrames, long ParallelRuns, long OrderHazards) stats)
        => (_workers, _workerStats) = (count, stats);

    /// <summary>Records the replay's wall time and the flow caches' counters summed over the nodes.</summary>
    public void Finish(TimeSpan elapsed, IEnumerable<Engine.Cache.FlowCacheStats> caches, bool cacheOn)
    {
        _elapsed = elapsed;
        _cacheOn = cacheOn;
        foreach (var c in caches)
            _cache += c;
    }

    private double FramesPerSecond => _elapsed.TotalSeconds > 0 ? FramesIn / _elapsed.TotalSeconds : 0;

    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("frames_in", FramesIn);
        w.WriteNumber("elapsed_s", Math.Round(_elapsed.TotalSeconds, 6));
        w.WriteNumber("frames_per_s", Math.Round(FramesPerSecond));
        _cache.WriteJson(w, _cacheOn);
        w.WriteStartObject("workers");
        w.WriteNumber("threads", _workers);
        w.WriteNumber("parallel_frames", _workerStats.ParallelFrames);
        w.WriteNumber("serial_frames", _workerStats.SerialFrames);
        w.WriteNumber("parallel_runs", _workerStats.ParallelRuns);
        w.WriteNumber("order_hazards", _workerStats.OrderHazards);
        w.WriteEndObject();
        w.WriteStartObject("outputs");
        foreach (var (k, v) in ByPort(FlushedOutputs()))
            w.WriteNumber(k, v);
        w.WriteEndObject();
        w.WriteStartObject("drops");
        foreach (var (k, v) in DropsByName)
            w.WriteNumber(k, v);
        w.WriteEndObject();
        if (Copies > 0)
            w.WriteNumber("copies", Copies);
        if (_transits.Count > 0)
        {
            w.WriteStartObject("tunnel_transits");
            foreach (var (k, v) in ByPort(_transits))
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
        foreach (var (k, v) in ByPort(FlushedOutputs()))
            o.WriteLine($"  {k,-32} {v}");
        if (FlushedOutputs().Count == 0)
            o.WriteLine("  (none)");
        o.WriteLine("drops:");
        foreach (var (k, v) in DropsByPlace)
            o.WriteLine($"  {k,-48} {v}");
        if (_dropsByPlace.Count == 0)
            o.WriteLine("  (none)");
        foreach (var (k, v) in ByPort(_transits))
            o.WriteLine($"through the tunnel to a peer node: {k} {v}");
        if (Delivered > 0)
            o.WriteLine($"delivered to a host: {Delivered}");
        o.WriteLine(_cacheOn
            ? $"flow cache: {_cache.Hits} hits, {_cache.Misses} misses ({_cache.HitRate:P1}), {_cache.Entries} megaflows"
            : "flow cache: off (--no-cache)");
        if (_workers > 1)
        {
            o.WriteLine($"workers: {_workers} threads, {_workerStats.ParallelFrames} frames in parallel, {_workerStats.SerialFrames} alone (new connections, ARP, ...)");
            if (_workerStats.OrderHazards > 0)
                o.WriteLine($"warning: {_workerStats.OrderHazards} parallel run(s) made an order-dependent choice (a random draw or MAC learning): the outputs may differ from --workers 1");
        }
        o.WriteLine($"{FramesIn} frames in {_elapsed.TotalSeconds:F3} s ({FramesPerSecond:N0} frames/s)");
        if (Copies > 0)
            o.WriteLine($"extra copies: {Copies}");
        o.WriteLine(Balanced
            ? "check: frames in = outputs + drops" + (Delivered > 0 ? " + delivered" : "") + (Waiting != 0 ? " + waiting" : "") + (Copies > 0 ? " - copies" : "") + ": ok"
            : $"check: FAILED, {Lost} frame(s) produced nothing (please report this)");
    }
}
