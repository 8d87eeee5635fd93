using System.CommandLine;
using Datapath.Cli.Output;
using Datapath.Cli.Scenario;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Cli.Commands;

/// <summary>
/// `datapath dump-meters [--scenario DIR] --node N [meter=N]` and `datapath meter-stats ...`: a node's meters as
/// `ovs-ofctl -O OpenFlow13 dump-meters` and `meter-stats` print them, without OVS's reply header line (which only
/// names an OpenFlow message, as dump-flows leaves it out). With --json: {"node", "meters": [lines]}.
/// </summary>
internal sealed class DumpMetersCommand : ICliCommand
{
    public int Order => 41;

    public Command Create() => Build("dump-meters", "Print a node's meters as ovs-ofctl -O OpenFlow13 dump-meters does", stats: false);

    /// <summary>The two commands differ only in what they print.</summary>
    internal static Command Build(string name, string description, bool stats)
    {
        var args = new ScenarioArguments();
        var meter = new Argument<string?>("METER") { Description = "Only this meter: meter=N (meter=all, or nothing, for all)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command(name, description) { meter };
        args.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            uint? only;
            try
            {
                only = MeterParser.ParseSelector(parse.GetValue(meter), "METER");
            }
            catch (InputException e)
            {
                return CliError.BadInput(stderr, e.What);
            }
            var scenario = args.Load(parse, stderr, out int code);
            if (scenario is null)
                return code;
            var node = ScenarioArguments.FindNode(scenario, parse.GetValue(args.Node)!, stderr, out code);
            if (node is null)
                return code;
            var lines = stats ? node.Bridge.DumpMeterStats(only) : node.Bridge.DumpMeters(only);
            if (parse.GetValue(args.Json))
            {
                JsonOutput.WriteDocument(stdout, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("node", node.Name);
                    w.WriteStartArray("meters");
                    foreach (var l in lines.Where(l => l.Length > 0))
                        w.WriteStringValue(l);
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
                return ExitCodes.Ok;
            }
            foreach (var l in lines)
                stdout.WriteLine(l);
            return ExitCodes.Ok;
        });
        return command;
    }
}
