using System.Globalization;
using Datapath.Conntrack;
using Datapath.Engine;
using Prometheus;

namespace Datapath.Live;

// LiveMetrics: `datapath run --metrics ADDR:PORT`
// ===============================================
//
// What: the daemon's counters in Prometheus text format at http://ADDR:PORT/metrics, served by
// prometheus-net's MetricServer (an HttpListener) from a registry of its own (no process or .NET
// runtime collectors: only what the datapath counts).
//
// Design: pull, not push.  The engine keeps its counters where they are (Interlocked fields on ports,
// DropCounters, rules, conntrack, LiveCounters) and the packet path never touches a metric.  Before each
// scrape, the registry's before-collect callback reads every running node once and sets each series to
// the engine's value (Counter.IncTo for counters, Gauge.Set for levels), with a `node` label on every
// series and the label values OVS and ctl stats use (port names, DropReasonNames, table numbers,
// conntrack zones).  A scrape therefore costs the daemon what one `ctl stats` costs, and costs nothing
// between scrapes.
//
// Series (all prefixed datapath_):
//   port_{rx,tx}_{packets,bytes}_total, port_{rx,tx}_dropped_total     {node, port}   as ctl stats' ports
//   drops_total                                                        {node, table, reason}
//   host_drops_total                                                   {node, reason}  the host stack's
//   table_matched_packets_total, table_missed_packets_total            {node, table}   dump-tables' matched,
//       and lookups that fell off the table (the no-match drops counted there); lookups = matched + missed
//   flow_cache_{hits,misses,flushes}_total, flow_cache_megaflows        {node}
//   conntrack_connections                                              {node, table, zone}  table: bridge|host
//   conntrack_refused_total                                            {node, table, cause}  cause: full|zone_full|nat_exhausted
//   underlay_{rx,tx}_datagrams_total, underlay_send_errors_total       {node}
//   port_faults_total                                                  {node}
// Learned flows and meter drops are not series yet: the engine has neither learn nor meters.
//
// Invariants: counters only rise; a zone's gauge, once seen, stays and reads 0 when the zone empties (the engine's values never fall while the daemon runs); a series exists
// once its value has been seen (a drop reason appears at its first drop, as in ctl stats).
//
// Thread-safety: the callback runs on the server's thread while the receive loops run; every value it
// reads is an Interlocked or volatile read, or a snapshot the engine makes for concurrent readers.
internal sealed class LiveMetrics : IDisposable
{
    private readonly IReadOnlyList<LiveNode> _nodes;
    private readonly MetricServer _server;
    private readonly Counter _rxPackets, _rxBytes, _rxDropped, _txPackets, _txBytes, _txDropped;
    private readonly Counter _drops, _hostDrops, _matched, _missed;
    private readonly Counter _cacheHits, _cacheMisses, _cacheFlushes;
    private readonly Gauge _megaflows, _connections;
    private readonly Counter _refused, _underlayRx, _underlayTx, _underlaySendErrors, _portFaults;
    private readonly Dictionary<ConnectionTracker, HashSet<ushort>> _zonesSeen = [];
    private readonly List<ushort> _zones = [];

    private LiveMetrics(IReadOnlyList<LiveNode> nodes, string host, int port)
    {
        _nodes = nodes;
        var registry = Metrics.NewCustomRegistry();
        var f = Metrics.WithCustomRegistry(registry);
        Counter C(string name, string help, params string[] labels) => f.CreateCounter("datapath_" + name, help, ["node", .. labels]);
        Gauge G(string name, string help, params string[] labels) => f.CreateGauge("datapath_" + name, help, ["node", .. labels]);
        _rxPackets = C("port_rx_packets_total", "Frames received on a bridge port's live device", "port");
        _rxBytes = C("port_rx_bytes_total", "Bytes received on a bridge port's live device", "port");
        _rxDropped = C("port_rx_dropped_total", "Frames lost on receive: the kernel's queue overflowed, or the bridge dropped them on entry", "port");
        _txPackets = C("port_tx_packets_total", "Frames sent on a bridge port's live device", "port");
        _txBytes = C("port_tx_bytes_total", "Bytes sent on a bridge port's live device", "port");
        _txDropped = C("port_tx_dropped_total", "Frames the device refused on send", "port");
        _drops = C("drops_total", "Frames the bridge dropped, by the table where and the reason why", "table", "reason");
        _hostDrops = C("host_drops_total", "Packets the node's host stack dropped, by reason", "reason");
        _matched = C("table_matched_packets_total", "Packets a table's rules matched (the sum of their n_packets)", "table");
        _missed = C("table_missed_packets_total", "Lookups in a table that matched no rule (no-match drops there)", "table");
        _cacheHits = C("flow_cache_hits_total", "Passes run from the flow cache");
        _cacheMisses = C("flow_cache_misses_total", "Passes translated on the slow path");
        _cacheFlushes = C("flow_cache_flushes_total", "Flow cache flushes after the bridge's tables, groups or ports changed");
        _megaflows = G("flow_cache_megaflows", "Megaflows held in the flow caches now");
        _connections = G("conntrack_connections", "Connections in a connection table's zone now", "table", "zone");
        _refused = C("conntrack_refused_total", "Commits a connection table refused", "table", "cause");
        _underlayRx = C("underlay_rx_datagrams_total", "GENEVE datagrams received on the underlay socket");
        _underlayTx = C("underlay_tx_datagrams_total", "GENEVE datagrams sent on the underlay socket");
        _underlaySendErrors = C("underlay_send_errors_total", "Underlay datagrams the socket refused");
        _portFaults = C("port_faults_total", "Bridge ports that faulted (device gone, I/O error)");
        registry.AddBeforeCollectCallback(Update);
        _server = new MetricServer(host, port, "metrics/", registry);
    }

    /// <summary>The address the server listens on, as given (<c>127.0.0.1:9464</c>).</summary>
    public string Address { get; private init; } = "";

    /// <summary>Starts serving the nodes' counters at <c>http://ENDPOINT/metrics</c>.</summary>
    /// <exception cref="Io.Live.LiveIoException">The address cannot be listened on (in use, not ours).</exception>
    public static LiveMetrics Start(IReadOnlyList<LiveNode> nodes, MetricsEndpoint endpoint)
    {
        var m = new LiveMetrics(nodes, endpoint.ListenerHost, endpoint.Port) { Address = endpoint.ToString() };
        try
        {
            m._server.Start();
        }
        catch (System.Net.HttpListenerException e)
        {
            m.Dispose();
            throw new Io.Live.LiveIoException(Io.Live.LiveIoErrorKind.Environment, $"metrics {endpoint}: cannot listen: {e.Message}");
        }
        return m;
    }

    public void Dispose()
    {
        try
        {
            _server.Stop();
        }
        catch (ObjectDisposedException)
        {
        }
        _server.Dispose();
    }

    private void Update()
    {
        foreach (var live in _nodes)
        {
            var node = live.Node;
            string n = live.Name;
            foreach (var b in live.Ports)
            {
                var s = b.Statistics;
                string p = b.Name;
                _rxPackets.WithLabels(n, p).IncTo(s.RxPackets);
                _rxBytes.WithLabels(n, p).IncTo(s.RxBytes);
                _rxDropped.WithLabels(n, p).IncTo(b.RxDropped);
                _txPackets.WithLabels(n, p).IncTo(s.TxPackets);
                _txBytes.WithLabels(n, p).IncTo(s.TxBytes);
                _txDropped.WithLabels(n, p).IncTo(s.TxDropped);
            }
            if (node is not null)
                UpdateBridge(n, node);
            if (live.Host is { } host)
            {
                Conntrack(n, "host", host.Conntrack);
                foreach (var (reason, count) in host.NonZeroDrops())
                    _hostDrops.WithLabels(n, DropReasonNames.Name(reason)).IncTo(count);
            }
            var c = live.Counters;
            _underlayRx.WithLabels(n).IncTo(c.UnderlayRx);
            _underlayTx.WithLabels(n).IncTo(c.UnderlayTx);
            _underlaySendErrors.WithLabels(n).IncTo(c.UnderlaySendErrors);
            _portFaults.WithLabels(n).IncTo(c.PortFaults);
        }
    }

    private void UpdateBridge(string n, Engine.Node node)
    {
        var bridge = node.Bridge;
        foreach (var (table, reason, count) in bridge.Drops.NonZero())
        {
            string t = table == DropCounters.NoTable ? "none" : table.ToString(CultureInfo.InvariantCulture);
            _drops.WithLabels(n, t, DropReasonNames.Name(reason)).IncTo(count);
        }
        foreach (var (table, (matched, missed)) in bridge.TableLookups())
        {
            string t = table.ToString(CultureInfo.InvariantCulture);
            _matched.WithLabels(n, t).IncTo(matched);
            _missed.WithLabels(n, t).IncTo(missed);
        }
        var cache = node.CacheStats;
        _cacheHits.WithLabels(n).IncTo(cache.Hits);
        _cacheMisses.WithLabels(n).IncTo(cache.Misses);
        _cacheFlushes.WithLabels(n).IncTo(cache.Flushes);
        _megaflows.WithLabels(n).Set(cache.Entries);
        Conntrack(n, "bridge", node.Conntrack);
    }

    private void Conntrack(string node, string table, ConnectionTracker tracker)
    {
        _zones.Clear();
        tracker.CollectZones(_zones);
        if (!_zonesSeen.TryGetValue(tracker, out var seen))
            _zonesSeen[tracker] = seen = [];
        seen.UnionWith(_zones);
        foreach (ushort z in seen) // a zone whose connections have all gone reads 0, not its last count
            _connections.WithLabels(node, table, z.ToString(CultureInfo.InvariantCulture)).Set(tracker.CountInZone(z));
        var k = tracker.Counters;
        _refused.WithLabels(node, table, "full").IncTo(k.Full);
        _refused.WithLabels(node, table, "zone_full").IncTo(k.ZoneFull);
        _refused.WithLabels(node, table, "nat_exhausted").IncTo(k.NatExhausted);
    }
}
