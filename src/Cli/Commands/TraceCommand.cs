using System.CommandLine;
using Datapath.Antrea;
using Datapath.Classifier;
using Datapath.Cli.Html;
using Datapath.Cli.Output;
using Datapath.Cli.Scenario;
using Datapath.Engine;
using Datapath.Engine.Host;
using Datapath.Engine.Tracing;
using Datapath.Io.Capture;
using Datapath.Netfilter;
using Datapath.Packets;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath trace [--scenario DIR] --node N --in-port PORT 'FLOW'` or `--pcap F [--frame K]`:
/// the packet's whole walk — every table, rule, action effect, conntrack result, recirculation,
/// tunnel and the final verdict — readable like `ovs-appctl ofproto/trace`, or as JSON; `--format ovs`:
/// exactly what OVS 3.1's ofproto/trace prints; `--format xtables`: the netfilter part as `xtables-monitor --trace`
/// prints it (TraceFormatOptions, XtablesTraceOptions, docs/trace.md).
/// </summary>
internal sealed class TraceCommand : ICliCommand
{
    public int Order => 30;

    public Command Create()
    {
        var args = new ScenarioArguments();
        var inPort = new Option<string?>("--in-port") { Description = "The port the frame enters on: a name (frontend-a3ba2f) or an ofport (49)" };
        var fromHost = new Option<bool>("--from-host") { Description = "Send the packet from the node's own stack, as a local process would (ip_local_out: routing and the source address, OUTPUT, re-routing after DNAT, POSTROUTING); instead of --in-port" };
        var flow = new Argument<string?>("FLOW") { Description = "A flow as ofproto/trace takes it, e.g. tcp,dl_src=..,nw_src=..,nw_dst=..,tp_dst=80,tcp_flags=syn", Arity = ArgumentArity.ZeroOrOne };
        var pcap = new Option<string?>("--pcap") { Description = "Take the frame from a pcap/pcapng file instead of a flow" };
        var frameIndex = NumberOption.Create("--frame", "Which frame of --pcap (1-based)", min: 1, max: int.MaxValue, defaultValue: 1, what: "a frame number");
        var bridgeOnly = new Option<bool>("--bridge-only") { Description = "Stay inside the node's bridge and stop at its ports, as ovs-appctl ofproto/trace does" };
        var noFrames = new Option<bool>("--no-frames") { Description = "Do not print the frames that leave (hex)" };
        var names = new Option<bool>("--names") { Description = "Print table names as well as port names in rules and actions (ofproto/trace --names)" };
        var noNames = new Option<bool>("--no-names") { Description = "Print port and table numbers in rules and actions" };
        var html = new Option<string?>("--html") { HelpName = "FILE", Description = "Also write the walk as a picture into FILE: a self-contained HTML page (nodes, the bridge's tables, the host's chains, the tunnel; each step's match, actions and field changes on hover, drops in red)" };
        var command = new Command("trace", "Show a packet's walk through tables, chains, tunnels and nodes") { flow, inPort, fromHost, pcap, frameIndex, bridgeOnly, noFrames, names, noNames, html };
        args.AddTo(command);
        var ovs = new TraceFormatOptions();
        ovs.AddTo(command);
        var xtables = new XtablesTraceOptions();
        xtables.AddTo(command, traceFile: false);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            string? flowText = parse.GetValue(flow);
            string? pcapPath = parse.GetValue(pcap);
            if ((flowText is null) == (pcapPath is null))
                return CliError.BadInput(stderr, "give either a FLOW or --pcap FILE (one of them)");
            if (parse.GetValue(names) && parse.GetValue(noNames))
                return CliError.BadInput(stderr, "--names and --no-names: give one of them");
            if (!ovs.TryRead(parse, parse.GetValue(args.Json), stderr, out var ctNext, out uint firstRecircId, out int code))
                return code;
            var scenario = args.Load(parse, stderr, out code);
            if (scenario is null)
                return code;
            string nodeName = parse.GetValue(args.Node)!;
            if (!ScenarioArguments.HasNode(scenario, nodeName, stderr, out code))
                return code;
            // The node's bridge; null for a Calico node, whose frames enter its host's devices (a pod's cali veth, the uplink).
            var node = scenario.Cluster.Nodes.FirstOrDefault(n => n.Name == nodeName);
            bool local = parse.GetValue(fromHost);
            if (local && parse.GetValue(inPort) is not null)
                return CliError.BadInput(stderr, "--from-host and --in-port: give one of them (a packet the node's stack sends enters no port)");
            if (local && parse.GetValue(bridgeOnly))
                return CliError.BadInput(stderr, "--from-host and --bridge-only: a packet from the node's stack starts in its host; drop --bridge-only");
            if (local && !FromHost.HasHost(scenario, nodeName, stderr, out code))
                return code;
            if (!local && parse.GetValue(inPort) is null)
                return CliError.BadInput(stderr, "give --in-port PORT (where the frame enters), or --from-host (sent by the node's own stack)");
            if (node is null && parse.GetValue(bridgeOnly))
                return CliError.BadInput(stderr, $"--bridge-only: node {nodeName} has no bridge (a Calico node: its host is the node); drop --bridge-only");
            if (node is null && !local && !FromHost.HasHost(scenario, nodeName, stderr, out code))
                return code;
            var port = local || node is null ? null : ScenarioArguments.FindPort(node, parse.GetValue(inPort)!, stderr, out code);
            if (port is null && !local && node is not null)
                return code;
            var scope = parse.GetValue(bridgeOnly) ? JourneyScope.Bridge : JourneyScope.Cluster;
            ulong seed = (ulong)(parse.GetValue(args.Seed) ?? 1);
            using var journey = ScenarioHosts.BuildJourney(scenario, scope, seed);
            var from = journey.GetNode(nodeName);
            // A bridge-less node's frame enters a device of its host (--in-port names it).
            HostInterface? device = null;
            if (!local && node is null && !HostDevice(from, parse.GetValue(inPort)!, stderr, out device, out code))
                return code;
            if (!xtables.TryAddRules(parse, journey.Nodes, seed, stderr, out code))
                return code;
            // --format xtables: the packet is traced from its first hook, in every node's host it meets.
            var xtablesText = new StringWriter();
            var monitor = ovs.Xtables(parse) ? new XtablesMonitor(xtablesText, xtables.Style(parse), seed) { TraceAll = true, NodeComments = true } : null;
            if (monitor is not null)
                XtablesTraceOptions.Attach(monitor, journey.Nodes);
            // Port names by default, as traces always showed them; --names adds table names, --no-names shows numbers.
            var trace = new Trace
            {
                Names = parse.GetValue(names) ? NamesShown.PortsAndTables : parse.GetValue(noNames) ? NamesShown.None : NamesShown.Ports,
                CtNext = ctNext,
                FirstRecircId = firstRecircId,
            };

            if (local)
            {
                long localMs = 0;
                byte[]? frame = flowText is not null
                    ? FromHost.BuildFrame(flowText, stderr, out code)
                    : ReadFrame(pcapPath!, parse.GetValue(frameIndex), stderr, out code, out localMs);
                if (frame is null)
                    return code;
                journey.RunLocal(from, frame, sink: null, localMs, trace);
            }
            else if (device is not null)
            {
                long deviceMs = 0;
                byte[]? frame = flowText is not null
                    ? HostFrame(flowText, device, stderr, out code)
                    : ReadFrame(pcapPath!, parse.GetValue(frameIndex), stderr, out code, out deviceMs);
                if (frame is null)
                    return code;
                journey.RunHost(from, device, frame, sink: null, deviceMs, trace);
            }
            else if (flowText is not null)
            {
                string prefix = flowText.Contains("in_port", StringComparison.Ordinal) ? "" : $"in_port={port!.OfPort},";
                string text = prefix + flowText;
                try
                {
                    journey.RunFlow(from, text, sink: null, nowMs: 0, trace);
                }
                catch (InputException e)
                {
                    // The column is the user's: the in_port= we put in front is not theirs.
                    return CliError.Located(stderr, e.Within("FLOW", 1, 1 - prefix.Length));
                }
            }
            else
            {
                byte[]? frame = ReadFrame(pcapPath!, parse.GetValue(frameIndex), stderr, out code, out long nowMs);
                if (frame is null)
                    return code;
                journey.Run(from, port!.OfPort, frame, sink: null, nowMs, trace);
            }

            // What waits for a neighbour is answered or FAILED as the host's timers run on (ARP retries, ICMP host unreachable).
            journey.Settle(sink: null, trace);

            if (parse.GetValue(html) is { } htmlPath
                && !TraceHtmlFiles.TryWritePage(htmlPath, new TraceHtmlPage(device is not null ? $"Packet walk: in on {nodeName} device {device.Name}" : port is null ? $"Packet walk: sent by {nodeName}'s own stack" : $"Packet walk: in on {nodeName} port {port.Name}", pcapPath is null ? null : $"{pcapPath}, frame {parse.GetValue(frameIndex)}", trace, scenario.Cluster), stderr, out code))
                return code;

            if (monitor is not null)
            {
                XtablesTraceOptions.Detach(journey.Nodes);
                WriteXtables(stdout, stderr, monitor, xtablesText.ToString(), port is null ? "the node's stack" : "port " + port.Name);
            }
            else if (ovs.Ovs(parse))
                stdout.Write(OvsTraceRenderer.Render(trace));
            else if (parse.GetValue(args.Json))
                stdout.WriteLine(TraceJsonWriter.Write(trace, indented: true));
            else
                TraceReport.WriteText(stdout, trace, hexFrames: !parse.GetValue(noFrames));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The device <paramref name="name"/> of a bridge-less node's host; else one line on stderr listing its devices.</summary>
    internal static bool HostDevice(JourneyNode node, string name, TextWriter stderr, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HostInterface? device, out int code)
    {
        code = ExitCodes.Ok;
        if (node.Host!.TryGetInterface(name, out device) && device.Kind != HostInterfaceKind.Loopback)
            return true;
        device = null;
        var names = node.Host.Interfaces.Where(i => i.Kind != HostInterfaceKind.Loopback).Select(i => i.Name).ToList();
        string? near = DidYouMean.Closest(name, names);
        code = CliError.BadInput(stderr, $"--in-port {name}: node {node.Name} has no bridge, and its host no device '{name}' (devices: {string.Join(", ", names)}){(near is null ? "" : $"; did you mean '{near}'?")}");
        return false;
    }

    /// <summary>
    /// The frame of <paramref name="flowText"/> as it arrives on a host device: a flow as ofproto/trace takes it, with no
    /// in_port; its dl_dst, when not given, is the device's MAC (a pod sends to its gateway's MAC, ee:ee:ee:ee:ee:ee on Calico).
    /// </summary>
    private static byte[]? HostFrame(string flowText, HostInterface device, TextWriter stderr, out int code)
    {
        code = ExitCodes.Ok;
        try
        {
            var key = FlowText.ParseKey(flowText, null, out var mask);
            if (mask.InPort != 0)
            {
                code = CliError.BadInput(stderr, $"FLOW gives in_port; the frame enters {device.Name}, which --in-port names (drop in_port=)");
                return null;
            }
            if (mask.DlDst.Value == 0)
                key.DlDst = device.Mac;
            return FlowText.BuildFrame(in key);
        }
        catch (InputException e)
        {
            code = CliError.Located(stderr, e);
            return null;
        }
    }

    /// <summary>
    /// The xtables-monitor output: as the monitor prints it when one node's host saw the packet; with a <c># NODE</c>
    /// line before each node's events when the packet crossed several hosts; a note on stderr when no host saw it.
    /// </summary>
    private static void WriteXtables(TextWriter stdout, TextWriter stderr, XtablesMonitor monitor, string text, string from)
    {
        if (monitor.Events == 0)
        {
            stderr.WriteLine($"note: the packet from {from} met no iptables (no host stack with rules on its way), so xtables-monitor prints nothing");
            return;
        }
        if (monitor.Nodes.Count == 1)
            text = text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..];
        stdout.Write(text);
    }

    /// <summary>The K-th frame of a capture file (1-based), and its timestamp in milliseconds.</summary>
    internal static byte[]? ReadFrame(string path, int index, TextWriter stderr, out int exitCode, out long timestampMs)
    {
        exitCode = ExitCodes.Ok;
        timestampMs = 0;
        if (index < 1)
        {
            exitCode = CliError.BadInput(stderr, $"--frame {index}: frames are numbered from 1");
            return null;
        }
        try
        {
            using var reader = PacketFileReader.Open(path);
            int n = 0;
            while (reader.TryReadNext(out var f))
            {
                if (++n == index)
                {
                    timestampMs = f.TimestampMilliseconds;
                    return f.Span.ToArray();
                }
            }
            exitCode = CliError.BadInput(stderr, $"{path}: has {n} frame(s), no frame {index}");
            return null;
        }
        catch (Exception e) when (CliError.TryReport(stderr, e, path, out int code))
        {
            exitCode = code;
            return null;
        }
    }
}
