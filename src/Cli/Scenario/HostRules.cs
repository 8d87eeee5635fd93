using System.CommandLine;
using System.Text;
using Datapath.Antrea;
using Datapath.Cli.Output;
using Datapath.Engine.Host;
using Datapath.Netfilter;

namespace Datapath.Cli.Scenario;

/// <summary>
/// Runs an iptables tool (<see cref="IptablesCommandLine.Run"/>, <see cref="IptablesCommandLine.RunSave"/>) on the
/// rule set of a scenario node's host (what its iptables-save file loads, counters as the file gives them), with the
/// words the command line gave after the datapath options, and prints its answer as the tool does.
/// </summary>
internal static class HostRules
{
    public delegate int Tool(RuleSet rules, IReadOnlyList<string> words, StringBuilder stdout, StringBuilder stderr);

    public static int Run(ParseResult parse, ScenarioArguments args, Tool tool)
    {
        var stdout = parse.InvocationConfiguration.Output;
        var stderr = parse.InvocationConfiguration.Error;
        var scenario = args.Load(parse, stderr, out int code);
        if (scenario is null)
            return code;
        string name = parse.GetValue(args.Node)!;
        if (!ScenarioArguments.HasNode(scenario, name, stderr, out code))
            return code;
        if (!ScenarioHosts.TryConfig(scenario, name, seed: 1, out var config))
            return CliError.BadInput(stderr, $"node '{name}' has no host behind a gateway, so no iptables");
        RuleSet rules;
        using (var host = HostStack.Create(config))
            rules = host.Netfilter?.Rules ?? new RuleSet();
        var output = new StringBuilder();
        var error = new StringBuilder();
        int result = tool(rules, Words(parse, [args.Scenario.Name, args.Lab.Name, args.Node.Name, args.Seed.Name]), output, error);
        stdout.Write(output.ToString());
        stderr.Write(error.ToString());
        return result == 0 ? ExitCodes.Ok : ExitCodes.BadInput;
    }

    /// <summary>The words after the command, in order, less the datapath options (and the values of those in <paramref name="valued"/>).</summary>
    private static List<string> Words(ParseResult parse, string[] valued)
    {
        var tokens = parse.Tokens.Select(t => t.Value).ToList();
        int start = tokens.IndexOf(parse.CommandResult.Command.Name) + 1;
        var words = new List<string>();
        for (int i = start; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (Array.IndexOf(valued, t) >= 0)
            {
                i++;
                continue;
            }
            if (t.StartsWith("--scenario=", StringComparison.Ordinal) || t.StartsWith("--lab=", StringComparison.Ordinal) || t.StartsWith("--node=", StringComparison.Ordinal)
                || t.StartsWith("--seed=", StringComparison.Ordinal) || t is "--json" or "--strict" or "--debug")
                continue;
            words.Add(t);
        }
        return words;
    }
}
