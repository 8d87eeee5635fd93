using System.CommandLine;
using Datapath.Antrea;
using Datapath.Classifier;
using Datapath.Cli.Output;
using Datapath.Engine;

namespace Datapath.Cli.Scenario;

/// <summary>
/// The options every scenario command shares (<c>--scenario DIR</c>, <c>--node N</c>, <c>--json</c>,
/// <c>--seed N</c>) and loading the scenario with errors reported as DESIGN.md asks: the file, line and
/// column and what is wrong, exit code 1, no stack trace.
/// </summary>
internal sealed class ScenarioArguments
{
    public Option<string?> Scenario { get; } = new("--scenario")
    {
        Description = "A directory laid out like the seed scenario (cluster.yaml naming the flows, iptables and ipset files); default: the embedded seed lab",
    };

    public Option<string> Node { get; } = new("--node") { Description = "The node (e.g. worker1)", Required = true };

    public Option<bool> Json { get; } = new("--json") { Description = "Machine-readable output (the shapes: docs/json.md)" };

    public Option<int?> Seed { get; } = NumberOption.CreateOptional("--seed", "Seed for random choices (iptables statistic --mode random, select groups)",
        min: int.MinValue, max: int.MaxValue, what: "a whole number");

    public Option<bool> Strict { get; } = new("--strict")
    {
        Description = "Treat load warnings as errors: conjunctive flows that overlap at one priority (ovs-fields(7) calls the result unpredictable), resubmits to empty tables, undefined groups",
    };

    public void AddTo(Command command, bool node = true)
    {
        command.Options.Add(Scenario);
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
        exitCode = ExitCodes.Ok;
        try
        {
            AntreaScenario scenario = dir is null ? AntreaScenario.LoadEmbedded() : AntreaScenario.Load(dir);
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
        catch (Exception e) when (CliError.TryReport(stderr, e, dir ?? "<embedded>", out int code))
        {
            exitCode = code;
        }
        return null;
    }

    /// <summary>Finds a node by name; writes the error (listing the nodes) when there is none.</summary>
    public static Node? FindNode(AntreaScenario scenario, string name, TextWriter stderr, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        var node = scenario.Cluster.Nodes.FirstOrDefault(n => n.Name == name);
        if (node is null)
            exitCode = CliError.BadInput(stderr, $"no node named '{name}' in the scenario (nodes: {string.Join(", ", scenario.Cluster.Nodes.Select(n => n.Name))})");
        return node;
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
