using System.CommandLine;
using Datapath.Classifier;
using Datapath.Engine;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath dump-groups [--scenario DIR] --node N [GROUP] [--names|--no-names]`: a node's OpenFlow groups as
/// `ovs-ofctl dump-groups` prints them (each group after OVS's leading space; OVS's reply header, which only names
/// an OpenFlow message, is left out as dump-flows leaves it out), one group with `GROUP` (its id).
/// </summary>
internal sealed class DumpGroupsCommand : NodeReplyCommand
{
    private readonly Argument<string?> _group = new("GROUP") { Description = "Print only this group (its group_id), as ovs-ofctl dump-groups BRIDGE GROUP", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<bool> _names = new("--names") { Description = "Print port and table names (the default when the output is a terminal, as ovs-ofctl)" };
    private readonly Option<bool> _noNames = new("--no-names") { Description = "Print port numbers" };

    public override int Order => 41;
    protected override string Name => "dump-groups";
    protected override string Description => "Print a node's groups as ovs-ofctl dump-groups does";
    protected override string Key => "groups";
    protected override bool Indented => true;
    protected override IEnumerable<Argument> Arguments => [_group];
    protected override IEnumerable<Option> Options => [_names, _noNames];

    protected override IEnumerable<string>? Reply(ParseResult parse, Node node, TextWriter stderr)
    {
        if (parse.GetValue(_names) && parse.GetValue(_noNames))
        {
            Output.CliError.BadInput(stderr, "--names and --no-names: give one of them");
            return null;
        }
        uint? only = null;
        if (parse.GetValue(_group) is { } g)
        {
            if (!DumpGroupStatsCommand.TryParseGroupId(g, out uint n))
            {
                Output.CliError.BadInput(stderr, $"GROUP '{g}': not a group id (a number, or group_id=N)");
                return null;
            }
            only = n;
        }
        bool show = parse.GetValue(_names) || (!parse.GetValue(_noNames) && !Console.IsOutputRedirected);
        // ovs-ofctl --names names the tables of resubmit(,T) in buckets too, as in dump-flows.
        return node.Bridge.DumpGroups(show ? NamesShown.PortsAndTables : NamesShown.None, only);
    }
}
