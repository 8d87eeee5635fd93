using System.CommandLine;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath dump-meters [--scenario DIR] --node N [meter=N]`: a node's meters as `ovs-ofctl -O OpenFlow13
/// dump-meters` prints them, without OVS's reply header line (which only names an OpenFlow message, as dump-flows
/// leaves it out). With --json: {"node", "meters": [lines]}. <see cref="MeterStatsCommand"/> prints their counters.
/// </summary>
internal class DumpMetersCommand : NodeReplyCommand
{
    private readonly Argument<string?> _meter = new("METER") { Description = "Only this meter: meter=N (meter=all, or nothing, for all)", Arity = ArgumentArity.ZeroOrOne };

    public override int Order => 47;
    protected override string Name => "dump-meters";
    protected override string Description => "Print a node's meters as ovs-ofctl -O OpenFlow13 dump-meters does";
    protected override string Key => "meters";
    protected override IEnumerable<Argument> Arguments => [_meter];

    /// <summary>Whether the command prints the meters' counters (meter-stats) rather than their configuration.</summary>
    protected virtual bool Stats => false;

    protected override IEnumerable<string>? Reply(ParseResult parse, Node node, TextWriter stderr)
    {
        uint? only;
        try
        {
            only = MeterParser.ParseSelector(parse.GetValue(_meter), "METER");
        }
        catch (InputException e)
        {
            Output.CliError.BadInput(stderr, e.What);
            return null;
        }
        return Stats ? node.Bridge.DumpMeterStats(only) : node.Bridge.DumpMeters(only);
    }

    // The lines without the blank ones between meters.
    protected override void WriteJson(System.Text.Json.Utf8JsonWriter w, Node node, IEnumerable<string> lines)
        => base.WriteJson(w, node, lines.Where(l => l.Length > 0));
}
