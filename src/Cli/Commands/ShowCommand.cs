using System.CommandLine;
using Datapath.Engine;

namespace Datapath.Cli.Commands;

/// <summary>`datapath show --node N`: the node's bridge as `ovs-ofctl show` prints it (features, ports, config).</summary>
internal sealed class ShowCommand : NodeReplyCommand
{
    public override int Order => 44;
    protected override string Name => "show";
    protected override string Description => "Print a node's bridge, ports and MACs as ovs-ofctl show does";
    protected override string Key => "show";

    protected override IEnumerable<string> Reply(ParseResult parse, Node node, TextWriter stderr)
        => OfctlReplies.Show(node.Bridge, OfctlReplies.DefaultLocalMac(node.Name, node.Bridge.Name));
}
