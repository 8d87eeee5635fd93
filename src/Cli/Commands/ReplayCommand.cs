using System.CommandLine;
using Datapath.Antrea;
using Datapath.Cli.Output;
using Datapath.Cli.Scenario;
using Datapath.Engine;
using Datapath.Engine.Host;
using Datapath.Io.Capture;
using Datapath.Netfilter;
using Datapath.Packets;
using Spectre.Console;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath replay [--scenario DIR] --node N --in-port PORT IN.pcap --out DIR`: every frame of a
/// capture in on one port of one node; `DIR/&lt;port&gt;.pcap` per port that sends, and a summary
/// (frames in, out per port, drops per table and reason; in = out + drops, checked).
/// `datapath replay --cluster IN.pcapng --out DIR`: each frame enters where it was captured (the
/// pcapng interface name is NODE/PORT) and the walk follows tunnels; `DIR/NODE/PORT.pcap`.
/// `--pcapng OUT.pcapng` (with or instead of `--out`): every frame that leaves, in the order it
/// leaves, in one file, on an interface per NODE/PORT named as a cluster capture names them (so
/// `replay --cluster OUT.pcapng` reads it back), with the capture time of the frame that caused it.
/// </summary>
internal sealed class ReplayCommand : ICliCommand
{
    public int Order => 35;

    public Command Create()
    {
        var args = new ScenarioArguments();
        args.Node.Required = false;
        var input = new Argument<string>("IN") { Description = "A pcap or pcapng file" };
        var inPort = new Option<string?>("--in-port") { Description = "The port every frame enters on (name or ofport); with --node" };
        var fromHost = new Option<bool>("--from-host") { Description = "Send each frame from the node's own stack, as a local process would (ip_local_out; its L2 header ignored, IPv4); with --node, instead of --in-port" };
        var cluster = new Option<bool>("--cluster") { Description = "Inject each frame at its pcapng interface NODE/PORT and follow it across nodes" };
        var output = new Option<string?>("--out") { Description = "Directory for the per-port pcaps (give --out, --pcapng or both)" };
        var pcapngOut = new Option<string?>("--pcapng") { Description = "One pcapng of every frame that leaves, in order, on an interface per NODE/PORT (replay --cluster reads it back)" };
        var bridgeOnly = new Option<bool>("--bridge-only") { Description = "Stop at the bridge's ports, as ofproto/trace does (no host stack behind antrea-gw0)" };
        var dumpConntrack = new Option<bool>("--dump-conntrack") { Description = "Print the conntrack table afterwards, as ovs-appctl dpctl/dump-conntrack" };
        var dumpFlows = new Option<bool>("--dump-flows") { Description = "Print the flow tables with their stats afterwards, as ovs-ofctl dump-flows (duration and idle_age in the capture's time)" };
        var dumpIptables = new Option<bool>("--dump-iptables") { Description = "Print each host's iptables tables afterwards, as iptables -t TABLE -L -n -v --line-numbers (with the replay's counters)" };
        var dumpHostConntrack = new Option<bool>("--dump-host-conntrack") { Description = "Print each host's connection table afterwards, as conntrack -L (at the capture's latest time)" };
        var dumpNeigh = new Option<bool>("--dump-neigh") { Description = "Print each host's ARP cache afterwards, as ip neigh show (states in the capture's time)" };
        var dumpPorts = new Option<bool>("--dump-ports") { Description = "Print the bridge's port counters afterwards, as ovs-ofctl dump-ports" };
        var dumpTables = new Option<bool>("--dump-tables") { Description = "Print the bridge's table statistics afterwards, as ovs-ofctl dump-tables" };
        var dumpGroupStats = new Option<bool>("--dump-group-stats") { Description = "Print the bridge's group statistics afterwards, as ovs-ofctl dump-group-stats" };
        var noCache = new Option<bool>("--no-cache") { Description = "Translate every pass on the slow path (no flow cache); the results are the same" };
        var workers = NumberOption.Create("--workers",
            "Threads that run frames (default 1; see docs/architecture.md for when more pay); the pcaps are the same as with 1",
            min: 1, max: 256, defaultValue: 1, what: "a number of threads");
        var prefetch = NumberOption.Create("--prefetch-connections",
            $"Prepare each batch of 32 frames ahead (keys, first cache lookups, conntrack prefetch) once a node's connection table holds this many connections (default {Node.DefaultPrepareMinConnections}; 0: always); the results are the same",
            min: 0, max: int.MaxValue, defaultValue: Node.DefaultPrepareMinConnections, what: "a number of connections");
        var command = new Command("replay", "Run a capture through a node (or the cluster) and write what each port sends")
        {
            input, inPort, fromHost, cluster, output, pcapngOut, bridgeOnly, dumpConntrack, dumpFlows, dumpPorts, dumpTables, dumpGroupStats, dumpIptables, dumpHostConntrack, dumpNeigh, noCache, workers, prefetch,
        };
        command.Validators.Add(r =>
        {
            // Only once IN is given: System.CommandLine reports a command's own error instead of a missing argument.
            if (r.GetResult(input) is { Tokens.Count: > 0 } && r.GetResult(output) is null && r.GetResult(pcapngOut) is null)
                r.AddError("--out or --pcapng is required: --out DIR for per-port pcaps, --pcapng OUT.pcapng for one file, or both");
        });
        args.AddTo(command);
        var ctLimits = new ConntrackLimitOptions();
        ctLimits.AddTo(command);
        var xtables = new XtablesTraceOptions();
        xtables.AddTo(command, traceFile: true);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            bool isCluster = parse.GetValue(cluster);
            string? nodeName = parse.GetValue(args.Node);
            string? portName = parse.GetValue(inPort);
            if (isCluster && (nodeName is not null || portName is not null))
                return CliError.BadInput(stderr, "--cluster takes each frame's node and port from the capture; drop --node/--in-port");
            bool local = parse.GetValue(fromHost);
            if (local && (isCluster || portName is not null || parse.GetValue(bridgeOnly)))
                return CliError.BadInput(stderr, "--from-host: the frames are sent by the stack of --node N; drop --in-port, --cluster and --bridge-only");
            if (!isCluster && (nodeName is null || (portName is null && !local)))
                return CliError.BadInput(stderr, "give --node N --in-port PORT, --node N --from-host, or --cluster");
            string? outDir = parse.GetValue(output);
            string? pcapngPath = parse.GetValue(pcapngOut);
            var scenario = args.Load(parse, stderr, out int code);
            if (scenario is null)
                return code;
            Node? node = null;
            BridgePort? port = null;
            bool bridgeless = false;
            if (!isCluster)
            {
                if (!ScenarioArguments.HasNode(scenario, nodeName!, stderr, out code))
                    return code;
                // The node's bridge; null for a Calico node, whose frames enter its host's devices.
                node = scenario.Cluster.Nodes.FirstOrDefault(n => n.Name == nodeName);
                bridgeless = node is null;
                if ((local || bridgeless) && !FromHost.HasHost(scenario, nodeName!, stderr, out code))
                    return code;
                if (bridgeless && parse.GetValue(bridgeOnly))
                    return CliError.BadInput(stderr, $"--bridge-only: node {nodeName} has no bridge (a Calico node: its host is the node); drop --bridge-only");
                port = local || bridgeless ? null : ScenarioArguments.FindPort(node!, portName!, stderr, out code);
                if (port is null && !local && !bridgeless)
                    return code;
            }
            var scope = isCluster ? JourneyScope.Cluster : parse.GetValue(bridgeOnly) ? JourneyScope.Bridge : JourneyScope.Node;
            ulong seed = (ulong)(parse.GetValue(args.Seed) ?? 1);
            using var journey = ScenarioHosts.BuildJourney(scenario, scope, seed);
            HostInterface? fixedDevice = null;
            if (bridgeless && !local && !TraceCommand.HostDevice(journey.GetNode(nodeName!), portName!, stderr, out fixedDevice, out code))
                return code;
            // Like xtables-monitor on each node the replay runs: --node's host, or every host for --cluster (then a
            // "# NODE" line before each node's events).
            var traced = isCluster || nodeName is null ? journey.Nodes.ToList() : [journey.GetNode(nodeName)];
            if (!xtables.TryAddRules(parse, traced, seed, stderr, out code))
                return code;
            using var xtablesOut = XtablesTraceOptions.OpenTrace(parse.GetValue(xtables.Trace), stdout, stderr, out code);
            if (code != ExitCodes.Ok)
                return code;
            if (xtablesOut is not null)
            {
                var monitor = new XtablesMonitor(xtablesOut, xtables.Style(parse), seed) { NodeComments = traced.Count(n => n.Host?.Netfilter is not null) > 1 };
                if (XtablesTraceOptions.Attach(monitor, traced) == 0)
                    stderr.WriteLine("warning: --xtables-trace: no raw-table TRACE rule on any host, so no packet is traced (add one with --iptables-add '-t raw -A OUTPUT -p tcp --dport 80 -j TRACE')");
            }
            bool cache = !parse.GetValue(noCache);
            foreach (var n in scenario.Cluster.Nodes)
            {
                n.UseFlowCache = cache;
                n.PrepareMinConnections = parse.GetValue(prefetch);
            }
            var limits = ctLimits.Get(parse);
            foreach (var n in journey.Nodes)
            {
                if (n.Node is { } bridged)
                    limits.ApplyTo(bridged.Conntrack);
                if (n.Host is { } h)
                    limits.ApplyTo(h.Conntrack);
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            string path = parse.GetValue(input)!;
            bool json = parse.GetValue(args.Json);

            var summary = new ReplaySummary(perNode: isCluster);
            // The capture's clock: rules loaded with the scenario exist from its first frame, and a dump after the
            // replay is taken at its latest frame (dump-flows' duration and idle_age in the capture's time).
            long? firstMs = null;
            long lastMs = 0;
            bool reading = true; // whether an exception comes from the input (IN) or from writing the pcaps (--out, --pcapng)
            string writing = string.Join(" or ", new[] { outDir is null ? null : $"--out {outDir}", pcapngPath is null ? null : $"--pcapng {pcapngPath}" }.OfType<string>());
            string outName = writing; // what a write error names
            try
            {
                using var reader = PacketFileReader.Open(path);
                reading = false;
                if (outDir is not null && !PrepareOutput(outDir, stderr, out code))
                    return code;
                if (pcapngPath is not null && !PrepareFile(pcapngPath, stderr, out code))
                    return code;
                outName = $"--pcapng {pcapngPath}";
                using var pcapng = pcapngPath is null ? null : NodePortPcapng.Create(pcapngPath);
                outName = writing;
                using var sink = new ReplaySink(outDir, perNode: isCluster, summary, pcapng);
                long size = new FileInfo(path).Length;
                bool progress = !json && !Console.IsOutputRedirected && ReferenceEquals(stdout, Console.Out) && size > 32 << 20;
                var fixedNode = nodeName is null || isCluster ? null : journey.GetNode(nodeName);
                using var pool = new JourneyWorkers(journey, parse.GetValue(workers));
                void RunAll(Action<long>? advance)
                {
                    var window = new JourneyWindow(pool.WindowCapacity);
                    // The hosts' timers change only when frames run (a flush) or timers do: read once after each.
                    long nextTimerMs = journey.NextTimerMs;
                    void Flush()
                    {
                        pool.Run(window, sink);
                        window.Clear();
                        nextTimerMs = journey.NextTimerMs;
                    }
                    bool Next(out CapturedFrame frame)
                    {
                        reading = true;
                        bool more = reader.TryReadNext(out frame);
                        reading = false;
                        return more;
                    }
                    while (Next(out var frame))
                    {
                        var n = fixedNode!;
                        BridgePort? p = port;
                        HostInterface? d = fixedDevice;
                        if (isCluster && !ResolveInterface(journey, frame, out n, out p, out d, out string? why))
                        {
                            Flush();
                            throw InputException.AtOffset(path, frame.FileOffset, why!);
                        }
                        long ms = frame.TimestampMilliseconds;
                        firstMs ??= lastMs = ms;
                        lastMs = Math.Max(lastMs, ms);
                        // The hosts' neighbour timers due before this frame run first, each at its own time.
                        if (nextTimerMs <= ms)
                        {
                            Flush();
                            journey.RunTimersUntil(ms, sink, (due, result) =>
                            {
                                sink.TimestampNanoseconds = due * 1_000_000;
                                summary.TimersDone(in result);
                            });
                            nextTimerMs = journey.NextTimerMs;
                        }
                        // --from-host: the node's stack sends the frame (JourneyWindow.AddLocal runs it alone, in order).
                        if (local)
                            window.AddLocal(n, frame.Span, ms, tag: CaptureTime.Saturate(frame.TimestampNanoseconds));
                        else if (d is not null)
                            window.AddHost(n, d, frame.Span, ms, tag: CaptureTime.Saturate(frame.TimestampNanoseconds));
                        else
                            window.Add(n, p!.OfPort, frame.Span, ms, tag: CaptureTime.Saturate(frame.TimestampNanoseconds));
                        if (window.IsFull)
                        {
                            Flush();
                            advance?.Invoke(frame.FileOffset);
                        }
                    }
                    Flush();
                    // After the last frame the hosts' clocks run on until no frame waits for a neighbour: each pending
                    // ARP resolution is answered or FAILED (ICMP host unreachable to the sender), as on the nodes.
                    var settled = journey.Settle(sink, atTime: due => sink.TimestampNanoseconds = due * 1_000_000);
                    summary.TimersDone(in settled);
                }
                if (progress)
                {
                    AnsiConsole.Progress().Start(ctx =>
                    {
                        var task = ctx.AddTask($"replay {Path.GetFileName(path)}", maxValue: size);
                        RunAll(offset => task.Value = offset);
                        task.Value = size;
                    });
                }
                else
                {
                    RunAll(null);
                }
                summary.Workers(pool.Count, pool.Stats);
            }
            catch (Exception e) when (!reading && e is IOException or UnauthorizedAccessException)
            {
                return OutputError(stderr, outName, e);
            }
            catch (Exception e) when (CliError.TryReport(stderr, e, path, out int c))
            {
                return c;
            }

            if (xtablesOut is not null)
            {
                XtablesTraceOptions.Detach(traced);
                xtablesOut.Flush();
            }
            summary.Finish(clock.Elapsed, scenario.Cluster.Nodes.Select(n => n.CacheStats), cache);
            if (json)
            {
                JsonOutput.WriteDocument(stdout, summary.WriteJson);
            }
            else
            {
                summary.WriteText(stdout);
                if (outDir is not null)
                    stdout.WriteLine($"pcaps written to {outDir}");
                if (pcapngPath is not null)
                    stdout.WriteLine($"pcapng written to {pcapngPath}");
            }
            var nodes = node is not null ? [node] : bridgeless ? [] : scenario.Cluster.Nodes;
            if (parse.GetValue(dumpConntrack))
            {
                foreach (var n in nodes)
                    foreach (var line in n.Conntrack.Dump(null))
                        stdout.WriteLine(nodes.Count > 1 ? $"{n.Name}: {line}" : line);
            }
            if (parse.GetValue(dumpFlows))
            {
                foreach (var n in nodes)
                {
                    if (nodes.Count > 1)
                        stdout.WriteLine($"{n.Name}:");
                    foreach (var line in n.Bridge.DumpFlows(withStats: true, clock: new Classifier.FlowStatsClock(firstMs ?? 0, lastMs)))
                        stdout.WriteLine(Bridge.FlowDumpIndent + line);
                }
            }
            if (parse.GetValue(dumpPorts))
            {
                foreach (var n in nodes)
                    foreach (var line in n.Bridge.DumpPorts(n.Name, Classifier.NamesShown.Ports))
                        stdout.WriteLine(line);
            }
            if (parse.GetValue(dumpTables))
            {
                foreach (var n in nodes)
                {
                    if (nodes.Count > 1)
                        stdout.WriteLine($"{n.Name}:");
                    foreach (var line in OfctlReplies.DumpTables(n.Bridge))
                        stdout.WriteLine(line);
                }
            }
            if (parse.GetValue(dumpGroupStats))
            {
                foreach (var n in nodes)
                {
                    if (nodes.Count > 1)
                        stdout.WriteLine($"{n.Name}:");
                    foreach (var line in OfctlReplies.DumpGroupStats(n.Bridge, new Classifier.FlowStatsClock(firstMs ?? 0, lastMs)))
                        stdout.WriteLine(Bridge.FlowDumpIndent + line);
                }
            }
            var journeyNodes = bridgeless ? [journey.GetNode(nodeName!)] : isCluster || node is null ? journey.Nodes.ToList() : [journey.GetNode(node.Name)];
            if (parse.GetValue(dumpIptables))
                HostDumps.WriteIptables(stdout, journeyNodes);
            if (parse.GetValue(dumpHostConntrack))
                HostDumps.WriteHostConntrack(stdout, stderr, journeyNodes, lastMs);
            if (parse.GetValue(dumpNeigh))
                HostDumps.WriteNeighbors(stdout, journeyNodes);
            return summary.Balanced ? ExitCodes.Ok : ExitCodes.Environment;
        });
        return command;
    }

    /// <summary>
    /// Makes <paramref name="outDir"/> ready for the pcaps, or reports why it cannot be, naming
    /// <c>--out</c>: a path that is a file, or whose parent directory is missing, is a bad argument
    /// (exit 1); a directory that may not be created or written is the environment's problem (exit 2).
    /// </summary>
    private static bool PrepareOutput(string outDir, TextWriter stderr, out int code)
    {
        code = ExitCodes.Ok;
        if (File.Exists(outDir))
        {
            code = CliError.BadInput(stderr, $"--out {outDir}: is a file, not a directory (give a directory for the per-port pcaps)");
            return false;
        }
        string? parent = Path.GetDirectoryName(Path.GetFullPath(outDir));
        if (!Directory.Exists(outDir) && parent is not null && !Directory.Exists(parent))
        {
            code = CliError.BadInput(stderr, $"--out {outDir}: no such directory {parent} (create it first)");
            return false;
        }
        try
        {
            Directory.CreateDirectory(outDir);
            // A directory that exists may still refuse files: find out now, not after the first frame.
            using (new FileStream(Path.Combine(outDir, $".datapath-probe-{Environment.ProcessId}"), FileMode.CreateNew, FileAccess.Write,
                FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            code = OutputError(stderr, $"--out {outDir}", e);
            return false;
        }
    }

    /// <summary>
    /// Checks that <c>--pcapng</c> <paramref name="file"/> can be a file: a directory, or a file whose
    /// directory is missing, is a bad argument (exit 1); the file is created when the replay starts.
    /// </summary>
    private static bool PrepareFile(string file, TextWriter stderr, out int code)
    {
        code = ExitCodes.Ok;
        if (Directory.Exists(file))
        {
            code = CliError.BadInput(stderr, $"--pcapng {file}: is a directory, not a file (give a file name, e.g. {Path.Combine(file, "out.pcapng")})");
            return false;
        }
        string? parent = Path.GetDirectoryName(Path.GetFullPath(file));
        if (parent is not null && !Directory.Exists(parent))
        {
            code = CliError.BadInput(stderr, $"--pcapng {file}: no such directory {parent} (create it first)");
            return false;
        }
        return true;
    }

    /// <summary>Writing the pcaps failed: the environment's problem (permissions, a read-only or full file system), named as the option (--out DIR, --pcapng FILE).</summary>
    private static int OutputError(TextWriter stderr, string option, Exception e)
        => CliError.Environment(stderr, e is UnauthorizedAccessException
            ? $"{option}: permission denied (give a place this user may write)"
            : $"{option}: {e.Message}");

    /// <summary>A cluster capture names each frame's place as its pcapng interface: NODE/PORT.</summary>
    private static bool ResolveInterface(Journey journey, in CapturedFrame frame, out JourneyNode node, out BridgePort? port, out HostInterface? device, out string? why)
    {
        node = null!;
        port = null;
        device = null;
        string? name = frame.InterfaceName;
        int slash = name?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (name is null || slash <= 0)
        {
            why = $"interface {frame.InterfaceIndex} is named '{name}'; a cluster capture names interfaces NODE/PORT (e.g. worker2/backend2-202ff6)";
            return false;
        }
        string nodeName = name[..slash];
        var n = journey.Nodes.FirstOrDefault(x => x.Name == nodeName);
        if (n is null)
        {
            why = $"interface '{name}': no node '{nodeName}' in the scenario";
            return false;
        }
        if (n.Node is null)
        {
            // A Calico node: NODE/DEVICE names a device of its host (a cali veth, the uplink).
            if (n.Host!.TryGetInterface(name[(slash + 1)..], out var dev) && dev.Kind != HostInterfaceKind.Loopback)
            {
                node = n;
                device = dev;
                why = null;
                return true;
            }
            why = $"interface '{name}': no device '{name[(slash + 1)..]}' on {nodeName}'s host (it has no bridge)";
            return false;
        }
        if (!n.Node.Bridge.TryGetPort(name[(slash + 1)..], out var p))
        {
            why = $"interface '{name}': no port '{name[(slash + 1)..]}' on {nodeName}";
            return false;
        }
        node = n;
        port = p;
        why = null;
        return true;
    }
}
