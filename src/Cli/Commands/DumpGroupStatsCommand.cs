using System.CommandLine;
using System.Globalization;
using Datapath.Engine;

namespace Datapath.Cli.Commands;

/// <summary>`datapath dump-group-stats --node N [GROUP]`: the node's group statistics as `ovs-ofctl dump-group-stats` prints them.</summary>
internal sealed class DumpGroupStatsCommand : NodeReplyCommand
{
    private readonly Argument<string?> _group = new("GROUP") { Description = "Print only this group (its group_id, or group_id=N)", Arity = ArgumentArity.ZeroOrOne };

    public override int Order => 46;
    protected override string Name => "dump-group-stats";
    protected override string Description => "Print a node's group statistics as ovs-ofctl dump-group-stats does";
    protected override string Key => "group_stats";
    protected override bool Indented => true;
    protected override IEnumerable<Argument> Arguments => [_group];

    protected override IEnumerable<string>? Reply(ParseResult parse, Node node, TextWriter stderr)
    {
        uint? only = null;
        if (parse.GetValue(_group) is { } g)
        {
            if (!TryParseGroupId(g, out uint n))
            {
                Output.CliError.BadInput(stderr, $"GROUP '{g}': not a group id (a number, or group_id=N)");
                return null;
            }
            only = n;
        }
        return OfctlReplies.DumpGroupStats(node.Bridge, groupId: only);
    }

    /// <summary>A group id as ovs-ofctl takes it on a command line: <c>N</c> or <c>group_id=N</c>.</summary>
    public static bool TryParseGroupId(string text, out uint id)
        => uint.TryParse(text.StartsWith("group_id=", StringComparison.Ordinal) ? text[9..] : text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
}
