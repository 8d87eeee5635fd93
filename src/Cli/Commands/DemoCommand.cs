using System.CommandLine;
using System.Text.Json;
using Datapath.Antrea;
using Datapath.Cli.Demo;
using Datapath.Cli.Html;
using Datapath.Cli.Output;
using Datapath.Cli.Scenario;
using Datapath.Engine;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath demo`: the packet walk of the seed articles on the embedded seed cluster — the frontend's
/// SYN to the backendsvc ClusterIP through worker1's tables, the host's DNAT, the tunnel, worker2's
/// tables and backend2's port; the SYN-ACK's way back; and the side stories (a spoofed source, ARP).
/// `demo --lab calico`: the Calico seeds' walks on the Calico lab (DemoPhases.Calico); `demo --lab antrea-2` the same
/// cluster in Antrea 2.x's pipeline with AntreaProxy (DemoPhases.Antrea2).
/// </summary>
internal sealed class DemoCommand : ICliCommand
{
    public int Order => 10;

    public Command Create()
    {
        var args = new ScenarioArguments();
        var noFrames = new Option<bool>("--no-frames") { Description = "Do not print the frames that leave (hex)" };
        var outDir = new Option<string?>("--out") { Description = "Also write the phases as pcapng files into DIR: phases.pcapng (every phase's frame on its NODE/PORT, replayable with replay --cluster) and NN-TITLE.pcapng per phase (its frame in and every frame out)" };
        var htmlDir = new Option<string?>("--html") { HelpName = "DIR", Description = "Also write the phases as pictures into DIR: index.html linking NN-TITLE.html per phase (named like --out's pcaps), each a self-contained page drawing the walk (nodes, tables, chains, tunnel; match, actions and field changes on hover, drops in red)" };
        var command = new Command("demo", "Walk the seed articles' packets through the embedded seed cluster, all phases") { noFrames, outDir, htmlDir };
        args.AddTo(command, node: false);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var scenario = args.Load(parse, stderr, out int code);
            if (scenario is null)
                return code;
            var phases = DemoPhases.For(scenario);
            try
            {
                foreach (var phase in phases)
                    scenario.Require(phase.Node, phase.FromHost ? null : phase.InPort, "the demo");
            }
            catch (InputException e)
            {
                return CliError.Located(stderr, e);
            }
            using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Cluster, (ulong)(parse.GetValue(args.Seed) ?? 1));
            bool json = parse.GetValue(args.Json);
            var results = new List<(DemoPhase Phase, Trace Trace)>();
            var captured = new List<(DemoPhase Phase, byte[] Frame, Trace Trace)>();
            const long StartMs = 1_000;
            long nowMs = StartMs;
            foreach (var phase in phases)
            {
                var trace = new Trace();
                byte[]? frame = phase.Reply is { } reply
                    ? results[phase.ReplyTo].Trace.Outputs.Select(o => reply(o.Frame)).FirstOrDefault()
                    : phase.Frame();
                if (frame is null)
                    return CliError.BadInput(stderr, $"the demo: phase {results.Count + 1} answers phase {phase.ReplyTo + 1}, whose packet reached no port in this scenario");
                if (phase.FromHost)
                    journey.RunLocal(journey.GetNode(phase.Node), frame, sink: null, nowMs, trace);
                else
                    journey.Inject(phase.Node, phase.InPort, frame, sink: null, nowMs, trace);
                journey.Settle(sink: null, trace);
                nowMs += 1;
                results.Add((phase, trace));
                captured.Add((phase, frame, trace));
            }
            List<string> files = [];
            if (parse.GetValue(outDir) is { } dir)
            {
                try
                {
                    files = DemoCaptures.Write(dir, captured, StartMs);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return CliError.Environment(stderr, $"demo --out {dir}: {e.Message}");
                }
            }
            List<string> pages = [];
            if (parse.GetValue(htmlDir) is { } pagesDir
                && !TraceHtmlFiles.TryWrite(pagesDir, stderr, out code, () => pages = DemoPages.Write(pagesDir, results, scenario.Cluster)))
                return code;
            if (json)
            {
                JsonOutput.WriteDocument(stdout, w =>
                {
                    w.WriteStartObject();
                    w.WriteStartArray("phases");
                    foreach (var (phase, trace) in results)
                    {
                        w.WriteStartObject();
                        w.WriteString("title", phase.Title);
                        w.WriteString("node", phase.Node);
                        w.WriteString("in_port", phase.InPort);
                        w.WritePropertyName("trace");
                        using (var doc = JsonDocument.Parse(TraceJsonWriter.Write(trace)))
                            doc.RootElement.WriteTo(w);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
                return ExitCodes.Ok;
            }
            int i = 0;
            foreach (var (phase, trace) in results)
            {
                i++;
                string rule = new('=', 100);
                stdout.WriteLine(rule);
                stdout.WriteLine($"{i}. {phase.Title}");
                stdout.WriteLine(phase.FromHost ? $"   sent by {phase.Node}'s own stack: {phase.Description}" : $"   in on {phase.Node}/{phase.InPort}: {phase.Description}");
                stdout.WriteLine(rule);
                TraceReport.WriteText(stdout, trace, hexFrames: !parse.GetValue(noFrames));
                stdout.WriteLine();
            }
            if (files.Count > 0)
                stdout.WriteLine($"wrote {string.Join(", ", files)} (replay them: datapath replay --cluster {files[0]} --out DIR)");
            if (pages.Count > 0)
                stdout.WriteLine($"wrote {pages[0]} and {pages.Count - 1} phase page(s) beside it (open it in a browser)");
            return ExitCodes.Ok;
        });
        return command;
    }
}
