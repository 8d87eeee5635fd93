using System.CommandLine;
using Datapath.Antrea.Import;
using Datapath.Cli.Output;
using Datapath.Packets;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath import DIR --out SCENARIO`: a scenario from what was collected on real nodes (one sub-directory per node:
/// ovs-ofctl dump-flows, show, dump-groups, dump-meters, dump-tlv-map, iptables-save, ipset save, ip addr/link/route/
/// neigh, kubectl's YAML beside them) or from an Antrea support bundle (its directory or .tar.gz) as antctl wrote it
/// (docs/import.md). What is missing is reported on stderr with what it costs; a line that does not read is an error
/// at its FILE:LINE:COL (exit 1). The scenario is loaded before it is kept, so every command runs on it.
/// </summary>
internal sealed class ImportCommand : ICliCommand
{
    public int Order => 90;

    public Command Create()
    {
        var input = new Argument<string>("DIR") { Description = "A directory with one sub-directory per node's dumps, or an Antrea support bundle (directory or .tar.gz)" };
        var output = new Option<string>("--out") { Description = "The scenario directory to write (new or empty): cluster.yaml and the nodes' files", Required = true, HelpName = "SCENARIO" };
        var json = new Option<bool>("--json") { Description = "Print what was written as JSON (docs/json.md); the notes also go to stderr" };
        var command = new Command("import", "Build a scenario from real nodes' dumps or an Antrea support bundle (docs/import.md)") { input, output, json };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            string dir = parse.GetValue(input)!;
            string outDir = parse.GetValue(output)!;
            try
            {
                var result = ScenarioImporter.Import(ImportInput.Read(dir));
                foreach (string note in result.Notes)
                    stderr.WriteLine($"import: {note}");
                var scenario = result.Save(outDir);
                var bridges = scenario.Model.Nodes.Where(n => n.Flows is not null).ToList();
                if (parse.GetValue(json))
                {
                    JsonOutput.WriteDocument(stdout, w =>
                    {
                        w.WriteStartObject();
                        w.WriteString("out", outDir);
                        w.WriteStartArray("files");
                        w.WriteStringValue("cluster.yaml");
                        foreach (string f in result.Files.Keys)
                            w.WriteStringValue(f);
                        w.WriteEndArray();
                        w.WriteStartArray("nodes");
                        foreach (var n in scenario.Model.Nodes)
                        {
                            w.WriteStartObject();
                            w.WriteString("name", n.Name);
                            w.WriteBoolean("bridge", n.Flows is not null);
                            w.WriteNumber("pods", n.Pods.Count);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                        w.WriteNumber("services", scenario.Model.Services.Count);
                        w.WriteStartArray("notes");
                        foreach (string note in result.Notes)
                            w.WriteStringValue(note);
                        w.WriteEndArray();
                        w.WriteEndObject();
                    });
                    return ExitCodes.Ok;
                }
                stdout.WriteLine($"wrote {outDir}: cluster.yaml and {result.Files.Count} file(s); {scenario.Model.Nodes.Count} node(s), {bridges.Count} with a bridge ({string.Join(", ", bridges.Select(n => $"{n.Name}: {n.Pods.Count} pod(s)"))}), {scenario.Model.Services.Count} service port(s)");
                var first = bridges[0];
                string port = first.Pods.FirstOrDefault()?.Port ?? first.Gateway?.Name ?? "antrea-gw0";
                stdout.WriteLine($"run it: datapath dump-flows --scenario {outDir} --node {first.Name}; datapath trace --scenario {outDir} --node {first.Name} --in-port {port} 'FLOW'; datapath replay --scenario {outDir} --cluster CAPTURE.pcapng --out DIR");
                return ExitCodes.Ok;
            }
            catch (InputException e)
            {
                return CliError.Located(stderr, e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CliError.Environment(stderr, $"import --out {outDir}: {e.Message}");
            }
        });
        return command;
    }
}
