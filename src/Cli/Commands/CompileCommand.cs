using System.CommandLine;
using Datapath.Antrea;
using Datapath.Antrea.Compile;
using Datapath.Cli.Output;
using Datapath.Packets;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath compile MANIFESTS.yaml... --cluster cluster.yaml --out DIR [--pipeline antrea-v0.10|antrea-2]`: Kubernetes
/// objects (Pods, Services, Endpoints, EndpointSlices, NetworkPolicies) applied to cluster.yaml's nodes become a scenario
/// directory: cluster.yaml with every pod, port and service, and per node either Antrea v0.10's flows with kube-proxy's
/// and Antrea's iptables and the ipset (antrea-v0.10, the default), or Antrea 2.x's flows, Service groups, PacketIn
/// meters, ANTREA-* iptables and ipsets (antrea-2: AntreaProxy with proxyAll, no kube-proxy),
/// which every scenario command then loads with <c>--scenario DIR</c>. The directory is loaded before the command
/// ends, so what it wrote is what `demo`, `trace`, `replay` and `dump-flows --strict` accept (ClusterCompiler's essay
/// says what the compile decides; docs/compile.md is the user's account).
/// </summary>
internal sealed class CompileCommand : ICliCommand
{
    public int Order => 50;

    public Command Create()
    {
        var manifests = new Argument<string[]>("MANIFESTS")
        {
            Description = "Kubernetes manifests (YAML, several documents or a kind: List; kubectl get pods,services,endpoints,networkpolicies -o yaml)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var cluster = new Option<string>("--cluster") { HelpName = "cluster.yaml", Description = "The cluster's nodes (a cluster.yaml: its nodes, and the pods and services it already has)", Required = true };
        var output = new Option<string>("--out") { HelpName = "DIR", Description = "The scenario directory to write (created; its files are replaced)", Required = true };
        var pipeline = new Option<string>("--pipeline")
        {
            HelpName = "PIPELINE",
            Description = "The Antrea pipeline to write: antrea-v0.10 (the seed lab's, with kube-proxy's iptables; the default) or antrea-2 (the --lab antrea-2 lab's: AntreaProxy with proxyAll, groups, meters, Antrea's own iptables)",
            DefaultValueFactory = _ => "antrea-v0.10",
        };
        pipeline.AcceptOnlyFromAmong(s_pipelines.Keys.ToArray());
        var quiet = new Option<bool>("--quiet") { Description = "Do not list what the compile allocated (pods' addresses and ports, clusterIPs, NodePorts)" };
        var command = new Command("compile", "Compile Kubernetes manifests and cluster.yaml's nodes into a scenario: per node Antrea v0.10 flows and kube-proxy iptables, or Antrea 2.x's flows, groups, meters and iptables (--pipeline antrea-2)")
        {
            manifests, cluster, output, pipeline, quiet,
        };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            string clusterPath = parse.GetValue(cluster)!;
            string dir = parse.GetValue(output)!;
            var target = s_pipelines[parse.GetValue(pipeline)!];
            CompiledScenario compiled;
            try
            {
                compiled = ClusterCompiler.Compile(clusterPath, parse.GetValue(manifests) ?? [], target);
            }
            catch (InputException e)
            {
                return CliError.Located(stderr, e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CliError.Environment(stderr, $"compile: {e.Message}");
            }
            if (File.Exists(dir))
                return CliError.BadInput(stderr, $"--out {dir}: is a file, not a directory");
            IReadOnlyList<string> written;
            try
            {
                written = ScenarioWriter.WriteDirectory(dir, compiled.Model, compiled.Files,
                    [$"written by datapath compile from {Path.GetFileName(clusterPath)}{string.Concat((parse.GetValue(manifests) ?? []).Select(m => " and " + Path.GetFileName(m)))}:",
                     target == CompilePipeline.Antrea2
                        ? "Antrea 2.x's flows, groups, meters, iptables and ipsets per node (AntreaProxy with proxyAll); load it with --scenario DIR"
                        : "Antrea v0.10's flows and kube-proxy's (Kubernetes 1.18) iptables per node; load it with --scenario DIR"]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return CliError.Environment(stderr, $"--out {dir}: {e.Message}");
            }

            // What was written must load, as every scenario command loads it, and pass --strict.
            AntreaScenario scenario;
            try
            {
                scenario = AntreaScenario.Load(dir);
            }
            catch (InputException e)
            {
                stderr.WriteLine("error: the compiled scenario does not load (a fault of the compile; please report it with the input):");
                return CliError.Located(stderr, e);
            }
            var warnings = scenario.Cluster.Nodes.SelectMany(n => n.Bridge.Tables.LoadWarnings.Select(w => $"{w.File}:{w.Line}: {w.Message}").Concat(n.Bridge.LoadWarnings)).ToList();
            foreach (string w in warnings)
                stderr.WriteLine("warning: " + w);

            if (!parse.GetValue(quiet))
                foreach (string note in compiled.Notes)
                    stdout.WriteLine("note: " + note);
            var nodes = compiled.Model.Nodes.Where(n => n.Flows is not null).ToList();
            stdout.WriteLine($"compiled {nodes.Count} node(s) ({string.Join(", ", nodes.Select(n => n.Name))}): {nodes.Sum(n => n.Pods.Count)} pod(s), {compiled.Model.Services.Count} service port(s)");
            foreach (var n in scenario.Cluster.Nodes)
                stdout.WriteLine($"  {n.Name}: {n.Bridge.Tables.Rules().Count()} flows in {n.Bridge.Tables.Rules().Select(r => r.TableId).Distinct().Count()} tables, {n.Bridge.Ports.Count()} ports");
            stdout.WriteLine($"wrote {Path.Combine(dir, written[0])}, {string.Join(", ", written.Skip(1))}");
            stdout.WriteLine($"try: datapath demo --scenario {dir}; datapath dump-flows --scenario {dir} --node {nodes.FirstOrDefault()?.Name ?? "NODE"}");
            return warnings.Count == 0 ? ExitCodes.Ok : ExitCodes.BadInput;
        });
        return command;
    }

    // --pipeline's values.
    private static readonly Dictionary<string, CompilePipeline> s_pipelines = new(StringComparer.Ordinal)
    {
        ["antrea-v0.10"] = CompilePipeline.AntreaV010,
        ["antrea-2"] = CompilePipeline.Antrea2,
    };
}
