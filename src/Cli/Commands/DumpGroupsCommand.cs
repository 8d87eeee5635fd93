using System.CommandLine;
using Datapath.Classifier;
using Datapath.Cli.Output;
using Datapath.Cli.Scenario;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath dump-groups [--scenario DIR] --node N [GROUP] [--names|--no-names]`: a node's OpenFlow groups as
/// `ovs-ofctl dump-groups` prints them (each group after OVS's leading space; OVS's reply header, which only names
/// an OpenFlow message, is left out as dump-flows leaves it out), one group with `GROUP` (its id).
/// </summary>
internal sealed class DumpGroupsCommand : ICliCommand
{
    public int Order => 41;

    public Command Create()
    {
        var args = new ScenarioArguments();
        var group = new Argument<string?>("GROUP") { Description = "Print only this group (its group_id), as ovs-ofctl dump-groups BRIDGE GROUP", Arity = ArgumentArity.ZeroOrOne };
        var names = new Option<bool>("--names") { Description = "Print port names (the default when the output is a terminal, as ovs-ofctl)" };
        var noNames = new Option<bool>("--no-names") { Description = "Print port numbers" };
        var command = new Command("dump-groups", "Print a node's groups as ovs-ofctl dump-groups does") { group, names, noNames };
        args.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            if (parse.GetValue(names) && parse.GetValue(noNames))
                return CliError.BadInput(stderr, "--names and --no-names: give one of them");
            uint? only = null;
            if (parse.GetValue(group) is { } g)
            {
                if (!DumpGroupStatsCommand.TryParseGroupId(g, out uint n))
                    return CliError.BadInput(stderr, $"GROUP '{g}': not a group id (a number, or group_id=N)");
                only = n;
            }
            var scenario = args.Load(parse, stderr, out int code);
            if (scenario is null)
                return code;
            var node = ScenarioArguments.FindNode(scenario, parse.GetValue(args.Node)!, stderr, out code);
            if (node is null)
                return code;
            bool show = parse.GetValue(names) || (!parse.GetValue(noNames) && !Console.IsOutputRedirected);
            DumpLines.Write(stdout, parse.GetValue(args.Json), node.Name, "groups", node.Bridge.DumpGroups(show ? NamesShown.Ports : NamesShown.None, only));
            return ExitCodes.Ok;
        });
        return command;
    }
}
