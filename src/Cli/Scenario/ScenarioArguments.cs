using System.CommandLine;
using Datapath.Antrea;
using Datapath.Classifier;
using Datapath.Cli.Output;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Cli.Scenario;

/// <summary>
/// The options every scenario command shares (<c>--scenario DIR</c> or <c>--lab NAME</c>, <c>--node N</c>, <c>--json</c>,
/// <c>--seed N</c>) and loading the scenario with errors reported as DESIGN.md asks: the file, line and
/// column and what is wrong, exit code 1, no stack trace.
/// </summary>
internal sealed class ScenarioArguments
{
    public Option<string?> Scenario { get; } = new("--scenario")
    {
        Description = "A directory laid out like the seed scenario (cluster.yaml naming the flows, iptables and ipset files); default: the embedded seed lab",
    };

    public Option<string?> Lab { get; } = new("--lab")
    {
        HelpName = "NAME",
        Description = "An embedded lab instead of the seed lab: seed (Antrea v0.10, the seed articles' cluster; the default), calico (Calico VXLAN nodes, kube-proxy iptables) or antrea-2 (the seed's workers in Antrea 2.x's pipeline: AntreaProxy with proxyAll, session affinity, NodePort, PacketIn meters)",
    };

    public Option<string> Node { get; } = new("--node") { Description = "The node (e.g. worker1)", Required = true };

    public Option<bool> Json { get; } = new("--json") { Description = "Machine-readable output (the shapes: docs/json.md)" };

    public Option<int?> Seed { get; } = NumberOption.CreateOptional("--seed", "Seed for random choices (iptables statistic --mode random, select groups)",
        min: int.MinValue, max: int.MaxValue, what: "a whole number");

    public Option<bool> Strict { get; } = new("--strict")
    {
        Description = "Treat load warnings as errors: conjunctive flows that overlap at one priority (ovs-fields(7) calls the result unpredictable), resubmits to empty tables",
    };

    public void AddTo(Command command, bool node = true)
    {
        command.Options.Add(Scenario);
        command.Options.Add(Lab);
        if (node)
            command.Options.Add(Node);
        command.Options.Add(Json);
        command.Options.Add(Seed);
        command.Options.Add(Strict);
    }

    /// <summary>Loads the scenario named by the options; on failure writes the error and returns null with the exit code.</summary>
    public AntreaScenario? Load(ParseResult parse, TextWriter stderr, out int exitCode)
    {
        string? dir = parse.GetValue(Scenario);
        string? lab = parse.GetValue(Lab);
        exitCode = ExitCodes.Ok;
        if (dir is not null && lab is not null)
        {
            exitCode = CliError.BadInput(stderr, "--scenario and --lab: give one of them (a directory, or an embedded lab)");
            return null;
        }
        if (lab is not null && !AntreaScenario.EmbeddedLabs.Contains(lab))
        {
            string? near = DidYouMean.Closest(lab, AntreaScenario.EmbeddedLabs);
            exitCode = CliError.BadInput(stderr, $"--lab {lab}: no such embedded lab (labs: {string.Join(", ", AntreaScenario.EmbeddedLabs)}){(near is null ? "" : $"; did you mean '{near}'?")}");
            return null;
        }
        try
        {
            AntreaScenario scenario = dir is not null ? AntreaScenario.Load(dir) : AntreaScenario.LoadEmbedded(lab ?? "seed");
            // What the flows loaded with that OVS would accept silently: warnings on stderr, errors
            // under --strict; each names FILE:LINE (and COL where known).
            var warnings = new List<string>();
            foreach (var n in scenario.Cluster.Nodes)
            {
                warnings.AddRange(n.Bridge.Tables.LoadWarnings.Select(w => $"{w.File}:{w.Line}: {w.Message}"));
                warnings.AddRange(n.Bridge.LoadWarnings);
            }
            bool strict = parse.GetValue(Strict);
            foreach (string w in warnings)
                stderr.WriteLine((strict ? "error: " : "warning: ") + w);
            if (strict && warnings.Count > 0)
            {
                exitCode = CliError.BadInput(stderr, $"{warnings.Count} load warning(s), errors under --strict");
                return null;
            }
            return scenario;
        }
        catch (Exception e) when (CliError.TryReport(stderr, e, dir ?? $"<embedded {lab ?? "seed"} lab>", out int code))
        {
            exitCode = code;
        }
        return null;
    }

    /// <summary>Finds a node's bridge by name; writes the error (listing the nodes) when there is none.</summary>
    public static Node? FindNode(AntreaScenario scenario, string name, TextWriter stderr, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        var node = scenario.Cluster.Nodes.FirstOrDefault(n => n.Name == name);
        if (node is null && HasNode(scenario, name, stderr, out exitCode))
            exitCode = CliError.BadInput(stderr, $"node '{name}' has no bridge{(scenario.IsCalico ? " (a Calico node: its host is the node)" : "")}; the nodes with one are {string.Join(", ", scenario.Cluster.Nodes.Select(n => n.Name))}");
        return node;
    }

    /// <summary>Whether the scenario has a node of that name (with a bridge, a host or both); writes the error (listing the nodes) when not.</summary>
    public static bool HasNode(AntreaScenario scenario, string name, TextWriter stderr, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        if (scenario.Model.Nodes.Any(n => n.Name == name))
            return true;
        var names = scenario.Model.Nodes.Where(n => n.Flows is not null || scenario.IsCalico).Select(n => n.Name).ToList();
        string? near = DidYouMean.Closest(name, names);
        exitCode = CliError.BadInput(stderr, $"no node named '{name}' in the scenario (nodes: {string.Join(", ", names)}){(near is null ? "" : $"; did you mean '{near}'?")}");
        return false;
    }

    /// <summary>Finds a port by name or ofport on a node's bridge.</summary>
    public static BridgePort? FindPort(Node node, string nameOrNumber, TextWriter stderr, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        if (node.Bridge.TryGetPort(nameOrNumber, out var port)
            || (uint.TryParse(nameOrNumber, out uint ofport) && node.Bridge.TryGetPort(ofport, out port)))
            return port;
        exitCode = CliError.BadInput(stderr, $"no port '{nameOrNumber}' on {node.Name}'s {node.Bridge.Name} (ports: {string.Join(", ", node.Bridge.Ports.OrderBy(p => p.OfPort).Select(p => $"{p.OfPort}({p.Name})"))})");
        return null;
    }
}
